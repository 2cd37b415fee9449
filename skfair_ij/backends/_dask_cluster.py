"""The cluster under the Dask backend: retries when a worker is lost, waits with
an end, and the graph pieces every pass shares (a tree sum, held values, row
alignment, the model as a graph node)."""

import contextlib
import operator
import sys
import threading
import time
from concurrent.futures import CancelledError

import numpy as np
import torch

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


NOT_ON_DASK = (
    "{what} is not available on Dask inputs; use weighting='ijack', 'fair_ij' or "
    "'drop_upweight', or pass the data in memory."
)
# blocks through a model's own forward run one at a time in a process: torch's
# forward-mode AD has one global dual level, and a functional call of a module
# swaps its parameters in place (threads of a worker would clash)
_AUTODIFF = threading.RLock()


def model_lock(jacobian_products):
    """The lock of a block's work: none for a logit affine in θ (plain products)."""
    return contextlib.nullcontext() if jacobian_products is not None else _AUTODIFF


def is_dask_collection(x):
    """Whether x is a Dask collection (False when Dask is not installed).

    Dask is not imported for the question (its import takes a few tenths of a
    second): a Dask collection exists only once Dask has been imported."""
    dask = sys.modules.get("dask")
    return dask is not None and bool(dask.is_dask_collection(x))


def _tree_sum(parts, op=operator.add):
    """Pairwise ``op`` of delayed values: a reduction tree of depth log2(blocks)."""
    from dask import delayed

    while len(parts) > 1:
        odd = [parts[-1]] if len(parts) % 2 else []
        pairs = zip(parts[::2], parts[1::2], strict=False)
        parts = [delayed(op)(a, b) for a, b in pairs] + odd
    return parts[0]


def _settle(collection):
    """Persist ``collection`` and wait for it: the next graph sent to the
    scheduler never overlaps a computation still running on the same keys."""
    if _client() is None:
        return collection.persist()
    from distributed import wait

    def attempt():
        settled = collection.persist()
        wait(settled, timeout=PASS_TIMEOUT)
        return settled

    return on_cluster("holding values on the cluster", attempt)


def _aligned_to(a, row_chunks):
    """A row argument (dask, numpy or torch) as a dask array chunked as X's rows."""
    import dask.array as da

    if isinstance(a, torch.Tensor):
        a = a.detach().cpu().numpy()
    if not is_dask_collection(a):
        a = da.from_array(np.asarray(a), chunks=-1)
    wanted = (tuple(row_chunks),) + (((a.shape[1],),) if a.ndim == 2 else ())
    return a if a.chunks == wanted else a.rechunk(wanted)


def _shared(value):
    """``value`` as a dependency of every block task: one node of each pass's
    graph. Not scattered: a scatter to a worker that has just died can block
    without end, and scattered data have no lineage, so a worker lost with
    the only copy would fail the pass; a graph node is re-sent and re-run
    (the model, θ and its logit function, is small next to a pass over the
    rows)."""
    from dask import delayed

    return delayed(value, pure=True, traverse=False)
