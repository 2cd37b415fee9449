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
