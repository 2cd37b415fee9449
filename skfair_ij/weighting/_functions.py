"""The closed forms of Ghosh et al.'s rules, as pure functions of the influences."""

import numpy as np

from ..backends import is_distributed

WEIGHTING_RULES = ("fair_ij", "drop_upweight", "ijack", "simjack", "utility_constrained")


def _check(influences, lam):
    if not is_distributed(influences):  # a cluster's lazy array stays one (lazy weights)
        influences = np.asarray(influences, dtype=float)
    if influences.ndim != 1:
        raise ValueError(f"influences must be 1-D, got shape {influences.shape}.")
    if not np.isfinite(lam) or lam < 0:
        raise ValueError(f"lambda must be a finite non-negative number, got {lam}.")
    return influences


def fair_ij_weights(influences, lam):
    """Fair-IJ (drop-K): drop every point whose influence exceeds ``1/λ``.

    Parameters
    ----------
    influences : array-like of shape (n_samples,)
    lam : float
        λ ≥ 0; ``λ = 0`` keeps every point.

    Returns
    -------
    ndarray of shape (n_samples,) with values in {0, 1}

    Examples
    --------
    >>> from skfair_ij.weighting import fair_ij_weights
    >>> fair_ij_weights([3.0, 0.5, -2.0], lam=1.0)
    array([0., 1., 1.])
    """
    influences = _check(influences, lam)
    if lam == 0:
        return np.ones_like(influences)
    return np.where(influences > 1.0 / lam, 0.0, 1.0)


def drop_upweight_weights(influences, lam):
    """Drop-K / up-weight-M: ``w = 0`` if ``I > 1/λ``, ``w = 2`` if ``I < −1/λ``.

    Parameters
    ----------
    influences : array-like of shape (n_samples,)
    lam : float

    Returns
    -------
    ndarray of shape (n_samples,) with values in {0, 1, 2}

    Examples
    --------
    >>> from skfair_ij.weighting import drop_upweight_weights
    >>> drop_upweight_weights([3.0, 0.5, -2.0], lam=1.0)
    array([0., 1., 2.])
    """
    influences = _check(influences, lam)
    if lam == 0:
        return np.ones_like(influences)
    return np.where(influences > 1.0 / lam, 0.0, np.where(influences < -1.0 / lam, 2.0, 1.0))


def ijack_weights(influences, lam):
    """I-JACK: ``w = 1 − λ I`` (squared-ℓ2 proximal term).

    Parameters
    ----------
    influences : array-like of shape (n_samples,)
    lam : float

    Returns
    -------
    ndarray of shape (n_samples,)

    Examples
    --------
    >>> from skfair_ij.weighting import ijack_weights
    >>> ijack_weights([0.5, -0.5], lam=0.2)
    array([0.9, 1.1])
    """
    influences = _check(influences, lam)
    return 1.0 - lam * influences


def similarity_product(features, vector, epsilon=1.0):
    """``C v`` with ``C = Φ Φᵀ / m + ε I``, in O(N P), never forming C.

    Φ (N, P) holds one feature row per training point and ``m`` is their mean
    squared norm, so that a point's similarity to itself is about 1 whatever
    the scale of the features: ``(C v)_n = ε v_n + Σ_k (φ_n·φ_k / m) v_k``. The
    sum over similar points dominates, which is SIM-JACK's smoothing of noisy
    influences; ε > 0 keeps C positive definite.

    Parameters
    ----------
    features : array-like of shape (n_samples, n_features)
    vector : array-like of shape (n_samples,)
    epsilon : float, default=1.0
        Ridge ε > 0 of C.

    Returns
    -------
    ndarray of shape (n_samples,)

    Examples
    --------
    >>> import numpy as np
    >>> from skfair_ij.weighting import similarity_product
    >>> phi = np.array([[1.0, 0.0], [1.0, 0.0], [0.0, 1.0]])
    >>> similarity_product(phi, np.array([3.0, 0.0, 0.0]), epsilon=1.0)
    array([6., 3., 0.])
    """
    features = np.asarray(features, dtype=float)
    vector = np.asarray(vector, dtype=float)
    if features.ndim != 2 or len(features) != len(vector):
        raise ValueError(
            f"features must be (n_samples, n_features) with n_samples={len(vector)}, got "
            f"shape {features.shape}."
        )
    if epsilon <= 0:
        raise ValueError(f"epsilon must be positive, got {epsilon}.")
    scale = max(float(np.mean(np.sum(features**2, axis=1))), np.finfo(float).tiny)
    return epsilon * vector + features @ (features.T @ vector) / scale


def simjack_weights(influences, lam, features, epsilon=1.0):
    """SIM-JACK: ``w = 1 − λ C I`` with the similarity C of :func:`similarity_product`.

    Similar points get similar weights, which makes the rule robust to noisy
    influence estimates.

    Parameters
    ----------
    influences : array-like of shape (n_samples,)
    lam : float
    features : array-like of shape (n_samples, n_features)
        Φ: an intermediate layer of the model, its inputs, or an auxiliary encoder.
    epsilon : float, default=1.0

    Returns
    -------
    ndarray of shape (n_samples,)

    Examples
    --------
    >>> import numpy as np
    >>> from skfair_ij.weighting import simjack_weights
    >>> phi = np.array([[1.0, 0.0], [1.0, 0.0], [0.0, 1.0]])
    >>> simjack_weights([0.3, 0.0, 0.0], lam=1.0, features=phi)
    array([0.4, 0.7, 1. ])
    """
    influences = _check(influences, lam)
    return 1.0 - lam * similarity_product(features, influences, epsilon)


def rule_weights(rule, influences, lam, *, features=None, epsilon=1.0):
    """Weights of the rule named ``rule`` (one of ``WEIGHTING_RULES``).

    Examples
    --------
    >>> from skfair_ij.weighting import rule_weights
    >>> rule_weights("drop_upweight", [3.0, 0.5, -2.0], 1.0)
    array([0., 1., 2.])
    """
    if rule == "fair_ij":
        return fair_ij_weights(influences, lam)
    if rule == "drop_upweight":
        return drop_upweight_weights(influences, lam)
    if rule == "ijack":
        return ijack_weights(influences, lam)
    if rule == "simjack":
        if features is None:
            raise ValueError("The 'simjack' rule needs features.")
        return simjack_weights(influences, lam, features, epsilon)
    if rule == "utility_constrained":
        raise ValueError(
            "The 'utility_constrained' rule needs the influences on the validation loss: "
            "use utility_constrained_weights."
        )
    raise ValueError(f"weighting must be one of {WEIGHTING_RULES}, got {rule!r}.")
