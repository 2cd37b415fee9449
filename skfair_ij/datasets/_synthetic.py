"""A synthetic binary problem with a sensitive attribute and tunable bias."""

import numpy as np
from sklearn.utils import check_random_state


def make_biased_classification(
    n_samples=1000,
    n_features=10,
    *,
    bias=1.0,
    proxy_strength=1.0,
    group_ratio=0.5,
    noise=1.0,
    random_state=None,
):
    """Generate a binary classification problem that is unfair to one group.

    Each sample has a group ``s ∈ {0, 1}`` (``P(s = 1) = group_ratio``) and
    standard-normal features. The label is ``y = 1[x·β + bias·(s - ½) + ε > 0]``
    with ``ε ~ N(0, noise²)``: ``bias`` shifts the base rate of group 1 up, so a
    model fitted to y is unfair in demographic parity. The first feature is a
    proxy of the group (``x₀ += proxy_strength·(s - ½)``) so that the bias is
    learnt even when ``s`` itself is not an input. ``bias=0`` and
    ``proxy_strength=0`` give a fair problem.

    Parameters
    ----------
    n_samples : int, default=1000
        Number of samples.
    n_features : int, default=10
        Number of features (at least 1).
    bias : float, default=1.0
        Shift of the latent score of group 1 relative to group 0.
    proxy_strength : float, default=1.0
        How strongly the first feature reveals the group.
    group_ratio : float, default=0.5
        Fraction of samples in group 1.
    noise : float, default=1.0
        Standard deviation of the latent noise (label noise).
    random_state : int, RandomState instance or None, default=None
        Seed of the generator.

    Returns
    -------
    X : ndarray of shape (n_samples, n_features)
    y : ndarray of shape (n_samples,) of int in {0, 1}
    sensitive : ndarray of shape (n_samples,) of int in {0, 1}

    Examples
    --------
    >>> from skfair_ij.datasets import make_biased_classification
    >>> X, y, s = make_biased_classification(2000, 5, bias=2.0, random_state=0)
    >>> X.shape
    (2000, 5)
    >>> bool(y[s == 1].mean() > y[s == 0].mean())
    True
    """
    if n_samples < 2 or n_features < 1:
        raise ValueError("n_samples must be >= 2 and n_features >= 1.")
    if not 0 < group_ratio < 1:
        raise ValueError(f"group_ratio must lie in (0, 1), got {group_ratio}.")
    rng = check_random_state(random_state)
    sensitive = (rng.uniform(size=n_samples) < group_ratio).astype(np.int64)
    X = rng.normal(size=(n_samples, n_features))
    X[:, 0] += proxy_strength * (sensitive - 0.5)
    beta = rng.normal(size=n_features) / np.sqrt(n_features)
    latent = X @ beta + bias * (sensitive - 0.5) + noise * rng.normal(size=n_samples)
    y = (latent > 0).astype(np.int64)
    return X, y, sensitive
