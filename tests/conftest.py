import numpy as np
import pytest
import torch

from skfair_ij.datasets import make_biased_classification


@pytest.fixture(autouse=True)
def _fixed_seeds():
    """Every test starts from the same global seeds."""
    np.random.seed(0)  # noqa: NPY002  (legacy global seed, for libraries)
    torch.manual_seed(0)
    yield


@pytest.fixture(scope="module")
def biased():
    # one draw of the problem (the coefficients depend on random_state), split in two
    X, y, s = make_biased_classification(2500, 5, bias=2.0, random_state=0)
    return X[:1500], y[:1500], s[:1500], X[1500:], y[1500:], s[1500:]


@pytest.fixture(scope="session")
def dask_client():
    """A Dask cluster of two worker processes of one thread each, started once
    for the session by the first test that asks for it (skipped without the
    extra ``dask``)."""
    distributed = pytest.importorskip("distributed")
    import warnings

    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        cluster = distributed.LocalCluster(
            n_workers=2, threads_per_worker=1, processes=True, dashboard_address=None
        )
    with distributed.Client(cluster) as client:
        yield client
    cluster.close()
