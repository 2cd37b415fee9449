"""Failures of a Dask cluster: a pass over the rows that fails as a worker is lost
is retried, then ends in one clear error; no wait is without end."""

import time
from concurrent.futures import CancelledError

# A worker lost mid-pass: the scheduler re-runs its tasks, but results only it held
# may be lost with it. Such a pass is retried a few times, then one clear error.
# No wait is without end: a gather of computed results, a pass (one read of the rows).
DASK_RETRIES = 3
TRANSFER_TIMEOUT = 120.0  # seconds for a gather of computed results
PASS_TIMEOUT = 3600.0  # seconds for one pass over the rows
WORKER_LOST = (
    "The Dask cluster lost a worker, and {what} failed {n} times in a row ({error}). "
    "Check the workers (memory limits, restarts) and fit again."
)


class DaskWorkerLostError(RuntimeError):
    """A pass over the rows on a Dask cluster failed repeatedly as workers were lost."""


def _client():
    """The active ``distributed`` client, or None (Dask's local schedulers)."""
    try:
        from distributed import default_client

        return default_client()
    except (ImportError, ValueError):
        return None


def _lost_worker_errors():
    """What a lost worker raises in the client: closed comms, cancelled futures,
    an unknown worker address (KeyError), a timeout or a killed worker."""
    from distributed import KilledWorker

    return (OSError, KeyError, TimeoutError, CancelledError, KilledWorker)


def on_cluster(what, attempt):
    """``attempt()``, again when a worker was lost meanwhile.

    Without a distributed client, errors pass through unchanged. After
    ``DASK_RETRIES`` retries, raises :class:`DaskWorkerLostError`.
    """
    if _client() is None:
        return attempt()
    errors = _lost_worker_errors()
    for n in range(DASK_RETRIES + 1):
        try:
            return attempt()
        except errors as exc:
            error = exc
            if n == DASK_RETRIES:
                break
            time.sleep(min(2.0**n, 8.0))  # the scheduler notices the loss meanwhile
    detail = f"{type(error).__name__}: {error}"
    raise DaskWorkerLostError(
        WORKER_LOST.format(what=what, n=DASK_RETRIES + 1, error=detail)
    ) from error


def compute(*collections):
    """``dask.compute``; on a distributed client the results come back within
    ``TRANSFER_TIMEOUT`` of the computation's end."""
    client = _client()
    if client is None:
        import dask

        return dask.compute(*collections)
    from dask import is_dask_collection
    from distributed import wait

    lazy = [i for i, c in enumerate(collections) if is_dask_collection(c)]
    futures = client.compute([collections[i] for i in lazy])
    wait(futures, timeout=PASS_TIMEOUT)
    results = list(collections)
    for i, future in zip(lazy, futures, strict=True):
        results[i] = future.result(timeout=TRANSFER_TIMEOUT)
    return tuple(results)
