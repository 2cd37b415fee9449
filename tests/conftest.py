import numpy as np
import pytest
import torch


@pytest.fixture(autouse=True)
def _fixed_seeds():
    """Every test starts from the same global seeds."""
    np.random.seed(0)  # noqa: NPY002  (legacy global seed, for libraries)
    torch.manual_seed(0)
    yield
