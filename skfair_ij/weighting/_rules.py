"""The rules as objects: what the estimators take as ``weighting``."""

from numbers import Integral, Real

from sklearn.utils._param_validation import (
    HasMethods,
    Interval,
    StrOptions,
)

from .._options import Options, resolve
from ._functions import rule_weights, simjack_weights
from ._utility import utility_constrained_weights

_STEPS = [Interval(Integral, 1, None, closed="left")]


class WeightingRule(Options):
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
    #: Whether the rule also needs the influences on the validation loss.
    needs_utility = False
    _parameter_constraints = {
        "lambdas": ["array-like", Interval(Real, 0, None, closed="left"), None]
    }

    def __init__(self, lambdas=None):
        self.lambdas = lambdas

    @property
    def n_segments(self):
        """Segments of the adaptive path: ``n_steps`` of a linear rule on its
        adaptive grid, 1 otherwise."""
        return int(getattr(self, "n_steps", 1)) if self.lambdas is None else 1

    def resolve_update(self, convex):
        """How the parameters move: the infinitesimal jackknife of the weights."""
        return "jackknife"

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
        "n_steps": _STEPS,
        "update": [StrOptions({"auto", "jackknife", "fisher"})],
    }

    def __init__(self, lambdas=None, n_steps=1, update="auto"):
        self.lambdas = lambdas
        self.n_steps = n_steps
        self.update = update

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
        "n_steps": _STEPS,
        "features": [HasMethods(["transform"]), callable, None],
        "epsilon": [Interval(Real, 0, None, closed="neither")],
    }

    def __init__(self, lambdas=None, n_steps=1, features=None, epsilon=1.0):
        self.lambdas = lambdas
        self.n_steps = n_steps
        self.features = features
        self.epsilon = epsilon

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


class DropUpweight(WeightingRule):
    """Drop-K / up-weight-M: weight 0 where ``I > 1/λ``, 2 where ``I < −1/λ``.

    Parameters
    ----------
    lambdas : array-like, float or None, default=None
        As in :class:`FairIJ`, ranking the points by ``|I|``.
    """

    name = "drop_upweight"


class UtilityConstrained(WeightingRule):
    """Down-weighting at no utility cost (Li & Liu, ICML 2022).

    At each λ, the weights ``w = 1 − δ`` with the largest first-order drop of
    the fairness gap whose first-order change of the validation log-loss is
    not positive, within λ rows' worth of down-weighting (a linear programme,
    see :func:`utility_constrained_weights`). Needs one more right-hand side
    in the curvature solve (the validation loss's gradient) and one linear
    programme per path point.

    Parameters
    ----------
    lambdas : array-like, float or None, default=None
        Budgets ``Σ (1 − w_n)``; None walks a geometric grid from 1 to the
        number of rows whose removal lowers the gap.
    """

    name = "utility_constrained"
    needs_utility = True

    def weights(self, influences, lam, *, features=None, utility_influences=None):
        if utility_influences is None:
            raise ValueError("UtilityConstrained needs the influences on the validation loss.")
        return utility_constrained_weights(influences, utility_influences, lam)


RULES = {rule.name: rule for rule in (IJack, SimJack, FairIJ, DropUpweight, UtilityConstrained)}


def check_rule(weighting):
    """A :class:`WeightingRule` from an object or its name (validated)."""
    return resolve(weighting, WeightingRule, RULES, "weighting")
