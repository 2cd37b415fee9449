"""The rules as objects: what the estimators take as ``weighting``."""

from numbers import Integral, Real

import numpy as np
import torch
from sklearn.base import clone
from sklearn.utils._param_validation import (
    HasMethods,
    Interval,
    StrOptions,
)

from .._options import Options, resolve
from ..backends import is_distributed
from ._functions import rule_weights, simjack_weights
from ._segments import (
    discrete_segment,
    discrete_weights,
    linear_segments,
    utility_segment,
)
from ._utility import utility_constrained_weights

_STEPS = [Interval(Integral, 1, None, closed="left")]
NO_RESAMPLE = (
    "fit_resample needs a discrete rule ('fair_ij' or 'drop_upweight'); weighting="
    "{rule!r} gives real-valued weights: use sample_weight_ or the refitted model."
)


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
    #: Whether the rule runs on rows held by a cluster backend.
    runs_distributed = True
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

    # ------------------------------------------------------------------ the path
    def prepare(self, adapter, X_train):
        """What the rule computes once per fit before its segments (None)."""
        return None

    def extra_gradients(self, adapter, theta, X_val, y_val):
        """Gradients (E, D) solved with the gap terms' (the rule's own
        right-hand sides; None: no more)."""
        return None

    def segments(self, problem, curvature, terms, lambdas, *, context, update, first, adaptive):
        """Candidate segments of the λ path from one linearisation.

        Parameters
        ----------
        problem, curvature
            The training objective at the segment's start and its ``H⁻¹``.
        terms : StepTerms
            The gap terms' values, gradients, solutions and influences.
        lambdas : ndarray or None
            A user grid, or None for the rule's adaptive grid.
        context : object
            What :meth:`prepare` returned.
        update : str
            The resolved update (:meth:`resolve_update`).
        first : bool
            Whether this is the path's first segment.
        adaptive : bool
            Whether the selection follows the path (a custom selection
            callable does not).

        Returns
        -------
        list of Segment
            One or more candidates (the selection prefers one).
        """
        raise NotImplementedError

    def path_weights(self, path, index):
        """The sample weights at point ``index`` of a :class:`~skfair_ij.LambdaPath`
        built with this rule."""
        raise NotImplementedError

    def resample_counts(self, weights):
        """How many times each training row is repeated to resample by the
        rule's ``weights`` (None: only check that the rule can)."""
        return None if weights is None else np.rint(weights).astype(int)


class _LinearRule(WeightingRule):
    """The rules of weights affine in λ: ``w = 1 − λ a`` along each segment."""

    linear = True

    def _features(self, context):
        return None

    def segments(self, problem, curvature, terms, lambdas, *, context, update, first, adaptive):
        constrained = (True,)
        if first and lambdas is None and adaptive and len(terms.gap_terms) < len(terms.values):
            # several groups: the gap's own direction competes with the constraints'
            constrained = (True, False)
        return linear_segments(
            problem,
            curvature,
            terms,
            lambdas,
            features=self._features(context),
            epsilon=getattr(self, "epsilon", 1.0),
            update=update,
            constrained=constrained,
        )

    def resample_counts(self, weights):
        raise ValueError(NO_RESAMPLE.format(rule=self.name))

    def path_weights(self, path, index):
        step, local = int(path["step"][index]), float(path["lambda_step"][index])
        w = 1.0 - local * path.segments[step].direction
        for k in range(step):
            w = w - path.ends[k] * path.segments[k].direction
        return w


class _DiscreteRule(WeightingRule):
    """The rules that drop (or up-weight) the rows beyond a threshold of influence."""

    upweight = False

    def segments(self, problem, curvature, terms, lambdas, *, context, update, first, adaptive):
        return [
            discrete_segment(problem, curvature, terms.influences, lambdas, upweight=self.upweight)
        ]

    def path_weights(self, path, index):
        if is_distributed(path.influences):
            # no sort on a cluster: the rule's own threshold form, |I| > 1/λ
            return self.weights(path.influences, float(path["lambda"][index]))
        return discrete_weights(path.influences, path["n_changed"][index], upweight=self.upweight)


class IJack(_LinearRule):
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


class SimJack(_LinearRule):
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
    runs_distributed = False
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

    def prepare(self, adapter, X_train):
        """Φ of the training rows: ``features``, or the model's own."""
        from ..adapters import fit_inputs

        transformer = self.features
        if transformer is None:
            features = adapter.features(fit_inputs(adapter.model, X_train)[0])
            return features.double().cpu().numpy()
        if callable(transformer) and not hasattr(transformer, "transform"):
            return np.asarray(transformer(X_train), dtype=float)
        try:
            return np.asarray(transformer.transform(X_train), dtype=float)
        except Exception:  # unfitted transformer: fit a clone on the training rows
            return np.asarray(clone(transformer).fit_transform(X_train), dtype=float)

    def _features(self, context):
        return context


class FairIJ(_DiscreteRule):
    """Fair-IJ (drop-K): drop the points whose influence exceeds ``1/λ``.

    Parameters
    ----------
    lambdas : array-like, float or None, default=None
        λ values; None walks the number K of dropped points on a geometric grid
        (ties never split).
    """

    name = "fair_ij"


class DropUpweight(_DiscreteRule):
    """Drop-K / up-weight-M: weight 0 where ``I > 1/λ``, 2 where ``I < −1/λ``.

    Parameters
    ----------
    lambdas : array-like, float or None, default=None
        As in :class:`FairIJ`, ranking the points by ``|I|``.
    """

    name = "drop_upweight"
    upweight = True


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
    runs_distributed = False

    def weights(self, influences, lam, *, features=None, utility_influences=None):
        if utility_influences is None:
            raise ValueError("UtilityConstrained needs the influences on the validation loss.")
        return utility_constrained_weights(influences, utility_influences, lam)

    def extra_gradients(self, adapter, theta, X_val, y_val):
        """The validation loss's gradient, solved with the gap terms'."""
        from ..influence import validation_loss_gradient

        gradient = validation_loss_gradient(adapter.logit_fn, theta, X_val, torch.as_tensor(y_val))
        return gradient[None, :]

    def segments(self, problem, curvature, terms, lambdas, *, context, update, first, adaptive):
        utility = -problem.gradient_products(terms.extra_solutions[:, 0]).cpu().numpy()
        influences = problem.host(terms.influences)
        return [utility_segment(problem, curvature, influences, utility, lambdas)]

    def path_weights(self, path, index):
        return path.segments[0].weights[:, index].copy()


RULES = {rule.name: rule for rule in (IJack, SimJack, FairIJ, DropUpweight, UtilityConstrained)}


def check_rule(weighting):
    """A :class:`WeightingRule` from an object or its name (validated)."""
    return resolve(weighting, WeightingRule, RULES, "weighting")
