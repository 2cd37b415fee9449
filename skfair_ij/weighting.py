"""Re-weighting rules of Ghosh et al. as pure functions of the influence vector.

Each rule minimises ``Iᵀ(w − 1) + (1/λ) D(w, 1)`` over a set of weights W
(Ghosh et al., Propositions 3.1–3.3 and C.1):

=============== ========== ============================ ==============================
rule            W          proximal term D              closed form
=============== ========== ============================ ==============================
``fair_ij``     {0, 1}     Hamming                      w_n = 0 iff I_n > 1/λ
``drop_upweight`` {0,1,2}  Hamming                      0 iff I_n > 1/λ; 2 iff I_n < −1/λ
``ijack``       R          ½‖w − 1‖²                    w = 1 − λ I
``simjack``     R          ½ (w−1)ᵀ C⁻¹ (w−1)           w = 1 − λ C I
=============== ========== ============================ ==============================

``I_n = −g_Fᵀ H⁻¹ g_n`` is the influence of point n on the fairness gap
(positive: removing the point lowers the gap).

The estimators take a rule as an object — :class:`IJack`, :class:`SimJack`,
:class:`FairIJ`, :class:`DropUpweight`, holding the rule's own settings — or
as its name (``"ijack"`` for ``IJack()``).
"""

from numbers import Integral, Real

import numpy as np
from sklearn.base import BaseEstimator
from sklearn.utils._param_validation import (
    HasMethods,
    Interval,
    StrOptions,
    validate_parameter_constraints,
)

WEIGHTING_RULES = ("fair_ij", "drop_upweight", "ijack", "simjack")


def _check(influences, lam):
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
    w = np.ones_like(influences)
    if lam > 0:
        w[influences > 1.0 / lam] = 0.0
    return w


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
    w = np.ones_like(influences)
    if lam > 0:
        w[influences > 1.0 / lam] = 0.0
        w[influences < -1.0 / lam] = 2.0
    return w


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
    raise ValueError(f"weighting must be one of {WEIGHTING_RULES}, got {rule!r}.")


class WeightingRule(BaseEstimator):
    """Base class of the rules: a name, the λ grid and how λ moves the model.

    Attributes
    ----------
    name : str
        The rule's name (``path_`` and the benchmark use it).
    linear : bool
        Whether the weights are affine in λ (``w = 1 − λ a``): the parameters
        then move on a line, which a path can follow in several steps.
    """

    name = None
    linear = False
    _parameter_constraints = {
        "lambdas": ["array-like", Interval(Real, 0, None, closed="left"), None]
    }

    def __init__(self, lambdas=None):
        self.lambdas = lambdas

    def validate(self):
        """Check the settings; returns self."""
        validate_parameter_constraints(
            self._parameter_constraints, self.get_params(deep=False), type(self).__name__
        )
        return self

    @property
    def n_segments(self):
        """Segments of the adaptive path (1 for the discrete rules)."""
        return 1

    def weights(self, influences, lam, *, features=None):
        """The rule's weights at λ for given influences."""
        return rule_weights(self.name, influences, lam, features=features)


class IJack(WeightingRule):
    """I-JACK: ``w = 1 − λ I`` (the squared-distance proximal term).

    Parameters
    ----------
    lambdas : array-like, float or None, default=None
        λ values; None builds a grid adapted to the scale of the influences
        (then refined around the selected λ); a single value fixes λ.
    n_steps : int, default=1
        Segments of the adaptive path. 1 is a single IJ step. With more, when
        the selected point lies inside a segment the model is linearised again
        there and the path continues (past the kinks of equalized odds); each
        segment costs two more solves.
    update : {"auto", "jackknife", "fisher"}, default="auto"
        How the parameters move. ``"jackknife"``: Ghosh et al.'s Eq. 11,
        ``θ̂ − H⁻¹ (λ Σ g_n g_nᵀ) H⁻¹ g`` — the IJ estimate of the refit with
        the rule's weights. ``"fisher"``: the same with the covariance of the
        per-sample gradients replaced by its large-sample limit H (the Fisher
        identity; their Eq. 13), ``θ̂ − λ H⁻¹ g``: the first-order change of
        the model retrained with the fairness surrogate added to its loss, with
        no pass over the training gradients and no extra solve (the weights
        stay I-JACK's). ``"auto"``: ``"fisher"`` for a net, ``"jackknife"``
        for a convex model; the estimator's ``update_`` records the choice.

    Examples
    --------
    >>> from skfair_ij import FairIJClassifier
    >>> from skfair_ij.weighting import IJack
    >>> FairIJClassifier(weighting=IJack(n_steps=2))
    FairIJClassifier(weighting=IJack(n_steps=2))
    """

    name = "ijack"
    linear = True
    _parameter_constraints = {
        **WeightingRule._parameter_constraints,
        "n_steps": [Interval(Integral, 1, None, closed="left")],
        "update": [StrOptions({"auto", "jackknife", "fisher"})],
    }

    def __init__(self, lambdas=None, n_steps=1, update="auto"):
        self.lambdas = lambdas
        self.n_steps = n_steps
        self.update = update

    @property
    def n_segments(self):
        return int(self.n_steps) if self.lambdas is None else 1

    def resolve_update(self, convex):
        """The update used: ``update``, or for ``"auto"`` by the model's convexity."""
        if self.update != "auto":
            return self.update
        return "jackknife" if convex else "fisher"


class SimJack(WeightingRule):
    """SIM-JACK: ``w = 1 − λ C I``, C the similarity of the training points.

    Parameters
    ----------
    lambdas, n_steps
        As in :class:`IJack`.
    features : transformer, callable or None, default=None
        Φ of the similarity ``C = Φ (ΦᵀΦ + ε I)⁻¹ Φᵀ``; None uses the model's
        own features (penultimate layer of a net, inputs of a linear model).
        A transformer is fitted on the training rows when it is not fitted.
    epsilon : float, default=1.0
        Ridge ε of the similarity (relative, see :func:`similarity_product`).
    """

    name = "simjack"
    linear = True
    _parameter_constraints = {
        **WeightingRule._parameter_constraints,
        "n_steps": [Interval(Integral, 1, None, closed="left")],
        "features": [HasMethods(["transform"]), callable, None],
        "epsilon": [Interval(Real, 0, None, closed="neither")],
    }

    def __init__(self, lambdas=None, n_steps=1, features=None, epsilon=1.0):
        self.lambdas = lambdas
        self.n_steps = n_steps
        self.features = features
        self.epsilon = epsilon

    @property
    def n_segments(self):
        return int(self.n_steps) if self.lambdas is None else 1

    def resolve_update(self, convex):
        return "jackknife"

    def weights(self, influences, lam, *, features=None):
        if features is None:
            raise ValueError("SimJack needs the features Φ of the training points.")
        return simjack_weights(influences, lam, features, self.epsilon)


class FairIJ(WeightingRule):
    """Fair-IJ (drop-K): drop the points whose influence exceeds ``1/λ``.

    Parameters
    ----------
    lambdas : array-like, float or None, default=None
        λ values; None walks the number K of dropped points on a geometric grid
        (ties never split).
    """

    name = "fair_ij"

    def resolve_update(self, convex):
        return "jackknife"


class DropUpweight(WeightingRule):
    """Drop-K / up-weight-M: weight 0 where ``I > 1/λ``, 2 where ``I < −1/λ``.

    Parameters
    ----------
    lambdas : array-like, float or None, default=None
        As in :class:`FairIJ`, ranking the points by ``|I|``.
    """

    name = "drop_upweight"

    def resolve_update(self, convex):
        return "jackknife"


RULES = {rule.name: rule for rule in (IJack, SimJack, FairIJ, DropUpweight)}


def check_rule(weighting):
    """A :class:`WeightingRule` from an object or its name (validated)."""
    if isinstance(weighting, WeightingRule):
        return weighting.validate()
    if isinstance(weighting, str) and weighting in RULES:
        return RULES[weighting]()
    raise ValueError(
        f"weighting must be one of {WEIGHTING_RULES} or a WeightingRule, got {weighting!r}."
    )
