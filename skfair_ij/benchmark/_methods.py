"""The methods compared by ``skfair-ij benchmark``: ours, Ghosh et al.'s, and peers.

Each method takes a :class:`Context` (one split, the trained ERM MLP) and
returns a :class:`Fitted` predictor with the seconds its fitting took (for the
influence methods: influences, the whole λ path and the selection, on the
trained MLP) and whether it needs the sensitive attribute to predict.
"""

import time
from dataclasses import dataclass, field
from types import FunctionType

import numpy as np
import torch
from sklearn.base import BaseEstimator, ClassifierMixin
from sklearn.frozen import FrozenEstimator

from .. import FairIJClassifier, FairReweighter, MaxGap, WithinTolerance
from ..adapters import get_adapter
from ..influence import CG, DiagonalFisher, fairness_value_and_gradient
from ..metrics import DemographicParity, EqualizedOdds, EqualOpportunity
from ..weighting import IJack
from ._protocol import make_mlp

FAIRNESS = {"dp": "demographic_parity", "eo": "equalized_odds", "deo": "equal_opportunity"}
CRITERIA = {
    "demographic_parity": DemographicParity,
    "equalized_odds": EqualizedOdds,
    "equal_opportunity": EqualOpportunity,
}

# The setting recommended for nets before damping="auto", update="auto" and
# gap_data="pooled" became the defaults (rows ijack_fisher_pooled and older).
PREVIOUS = dict(solver=CG(damping=3e-2), weighting=IJack(update="fisher"), gap_data="pooled")


@dataclass
class Context:
    """One split of the protocol and its trained ERM model."""

    seed: int
    fairness: str  # "demographic_parity", ...
    train: tuple
    val: tuple
    test: tuple
    erm: object = None
    erm_seconds: float = 0.0
    extra: dict = field(default_factory=dict)
    target_gap: float = None  # --target-gap: the bound of the methods that take one

    def bound(self, default):
        """The gap bound of a method: the stated target, else its own default."""
        return default if self.target_gap is None else self.target_gap


@dataclass
class Fitted:
    """Predictions of a fitted method and what it cost."""

    predict: object  # callable (X, s) -> labels
    seconds: float
    needs_s: bool = False
    trains_own_model: bool = False  # False: it starts from the trained ERM model
    status: str = ""  # our estimators' fit_status_ ("edited", or why not as asked)


def _timed(fn):
    start = time.perf_counter()
    out = fn()
    return out, time.perf_counter() - start


def _fit_kwargs(ctx):
    (_, _, s), (Xv, yv, sv) = ctx.train, ctx.val
    return dict(sensitive_features=s, X_val=Xv, y_val=yv, sensitive_features_val=sv)


def erm(ctx):
    return Fitted(lambda X, s: ctx.erm.predict(X), ctx.erm_seconds)


def _ij(weighting, *, solver="cg", gap_data="pooled", selection="one_se"):
    def method(ctx):
        X, y, _ = ctx.train
        clf = FairIJClassifier(
            ctx.erm,
            prefit=True,
            fairness=CRITERIA[ctx.fairness](gap_data=gap_data),
            weighting=weighting,
            solver=solver,
            selection=selection(ctx) if isinstance(selection, FunctionType) else selection,
            random_state=ctx.seed,  # (a randomised selection draws its labels from it)
        )
        clf, seconds = _timed(lambda: clf.fit(X, y, **_fit_kwargs(ctx)))
        return Fitted(lambda X, s: clf.predict(X), seconds, status=clf.fit_status_)

    return method


def _refit(weighting, refit_candidates=1):
    def method(ctx):
        X, y, _ = ctx.train
        rw = FairReweighter(
            make_mlp(X.shape[1], ctx.seed),
            influence_estimator=FrozenEstimator(ctx.erm),
            fairness=ctx.fairness,
            weighting=weighting,
            refit_candidates=refit_candidates,
        )
        rw, seconds = _timed(lambda: rw.fit(X, y, **_fit_kwargs(ctx)))
        return Fitted(lambda X, s: rw.predict(X), seconds, status=rw.fit_status_)

    return method


def max_gap_refit(ctx):
    """A stated target with FairReweighter: the weights of the most accurate IJ
    point with gap <= the bound, then a weighted refit of the ERM model's kind
    (the ERM model, frozen, gives the influences)."""
    from sklearn.base import clone

    X, y, _ = ctx.train
    rw = FairReweighter(
        clone(ctx.erm),
        influence_estimator=FrozenEstimator(ctx.erm),
        fairness=CRITERIA[ctx.fairness](),
        selection=MaxGap(ctx.bound(0.05)),
        random_state=ctx.seed,
    )
    rw, seconds = _timed(lambda: rw.fit(X, y, **_fit_kwargs(ctx)))
    return Fitted(lambda X, s: rw.predict(X), seconds, status=rw.fit_status_)


def finetune(ctx, *, n_steps=300, lr=1e-3, every=5, tolerance=0.02):
    """Fine-tune the MLP on the validation fairness surrogate (Ghosh et al., Table 2).

    Adam steps on F(θ) from θ̂; the step count is chosen with the same validation
    rule as the influence methods (lowest gap within ``tolerance`` accuracy).
    """
    (Xv, yv, sv) = ctx.val
    criterion = CRITERIA[ctx.fairness]()

    def run():
        adapter = get_adapter(ctx.erm)
        theta = adapter.theta.clone().requires_grad_(True)
        optimizer = torch.optim.Adam([theta], lr=lr)
        X_t = adapter.to_tensor(Xv)
        snapshots = [theta.detach().clone()]
        for step in range(1, n_steps + 1):
            _, grad = fairness_value_and_gradient(
                adapter.logit_fn,
                theta.detach(),
                X_t,
                torch.as_tensor(yv),
                torch.as_tensor(sv),
                ctx.fairness,
            )
            optimizer.zero_grad()
            theta.grad = grad
            optimizer.step()
            if step % every == 0:
                snapshots.append(theta.detach().clone())
        thetas = torch.stack(snapshots)

        positive = adapter.positive(X_t, thetas)
        path = {
            "lambda": np.arange(len(snapshots)) * every,
            "val_accuracy": (positive == (yv == 1)).mean(1),
            "val_gap": np.array([criterion.gap(yv, p, sensitive_features=sv) for p in positive]),
            "val_positive_rate": positive.mean(1),
        }
        index = WithinTolerance(tolerance).select(path, warn=False)
        return adapter.with_parameters(thetas[index])

    model, seconds = _timed(run)
    return Fitted(lambda X, s: model.predict(X), seconds)


def kamiran_calders(ctx):
    """Re-weighing (Kamiran & Calders 2012): w(s, y) = P(s) P(y) / P(s, y), refit."""
    from ..adapters import fit_weighted

    X, y, s = ctx.train

    def run():
        weight = np.empty(len(y))
        for g in np.unique(s):
            for label in (0, 1):
                cell = (s == g) & (y == label)
                weight[cell] = np.mean(s == g) * np.mean(y == label) / max(np.mean(cell), 1e-12)
        net = make_mlp(X.shape[1], ctx.seed)
        return fit_weighted(net, X, y.astype(np.float32), weight)

    net, seconds = _timed(run)
    return Fitted(lambda X, s: net.predict(X), seconds, trains_own_model=True)


def _fairlearn_constraint(fairness, bound=None):
    from fairlearn.reductions import DemographicParity, EqualizedOdds, TruePositiveRateParity

    constraint = {
        "demographic_parity": DemographicParity,
        "equalized_odds": EqualizedOdds,
        "equal_opportunity": TruePositiveRateParity,
    }[fairness]
    return constraint() if bound is None else constraint(difference_bound=bound)


def _exponentiated_gradient(randomised):
    """fairlearn's ExponentiatedGradient over logistic regression (at the stated
    target with ``--target-gap``): its randomised predictions, or the
    deterministic ones (the mixture's probability of the positive class > 0.5)."""

    def method(ctx):
        from fairlearn.reductions import ExponentiatedGradient
        from sklearn.linear_model import LogisticRegression

        X, y, s = ctx.train
        constraint = _fairlearn_constraint(ctx.fairness, ctx.target_gap)
        mitigator = ExponentiatedGradient(LogisticRegression(max_iter=1000), constraint)
        _, seconds = _timed(lambda: mitigator.fit(X.astype(np.float64), y, sensitive_features=s))

        def predict(X, s):
            X = X.astype(np.float64)
            if randomised:
                return mitigator.predict(X, random_state=ctx.seed)
            return (mitigator._pmf_predict(X)[:, 1] > 0.5).astype(int)

        return Fitted(predict, seconds, trains_own_model=True)

    return method


class _ProbaNet(ClassifierMixin, BaseEstimator):
    """A fitted skorch net seen by fairlearn: float64 in, float32 to the net."""

    def __init__(self, net=None):
        self.net = net

    def fit(self, X, y):  # pragma: no cover - prefit only
        return self

    def predict_proba(self, X):
        return np.asarray(self.net.predict_proba(np.asarray(X, dtype=np.float32)), dtype=np.float64)

    def predict(self, X):
        return self.net.predict(np.asarray(X, dtype=np.float32))

    def __sklearn_is_fitted__(self):
        return True


def threshold_optimizer(ctx):
    """fairlearn's ThresholdOptimizer on the ERM MLP (needs s to predict; randomised)."""
    from fairlearn.postprocessing import ThresholdOptimizer

    (Xv, yv, sv) = ctx.val
    constraints = {
        "demographic_parity": "demographic_parity",
        "equalized_odds": "equalized_odds",
        "equal_opportunity": "true_positive_rate_parity",
    }[ctx.fairness]
    post = ThresholdOptimizer(
        estimator=_ProbaNet(ctx.erm),
        constraints=constraints,
        prefit=True,
        predict_method="predict_proba",
    )
    _, seconds = _timed(lambda: post.fit(Xv.astype(np.float64), yv, sensitive_features=sv))
    return Fitted(
        lambda X, s: post.predict(
            X.astype(np.float64), sensitive_features=s, random_state=ctx.seed
        ),
        seconds,
        needs_s=True,
    )


def _oxonfair_metric(fairness):
    from oxonfair import group_metrics as gm

    return {
        "demographic_parity": gm.demographic_parity,
        "equalized_odds": gm.equalized_odds,
        "equal_opportunity": gm.equal_opportunity,
    }[fairness]


# OxonFair 0.3 searches up to 30**5 threshold combinations whatever its grid_width:
# about 3 minutes and several GB per fit on Adult's five race groups
OXONFAIR_MAX_GROUPS = 4


def _oxonfair(inferred):
    """OxonFair's per-group thresholds on the ERM MLP (accuracy, gap ≤ 0.02 on the
    validation data): with the true groups (needs s to predict), or with groups
    inferred from X by a logistic regression (predicts from X alone). Skipped
    (reported as failed) beyond ``OXONFAIR_MAX_GROUPS`` groups."""

    def method(ctx):
        from oxonfair import FairPredictor
        from oxonfair import group_metrics as gm
        from sklearn.linear_model import LogisticRegression

        (X, _, s), (Xv, yv, sv) = ctx.train, ctx.val
        n_groups = len(np.unique(sv))
        if n_groups > OXONFAIR_MAX_GROUPS:
            raise RuntimeError(
                f"skipped: {n_groups} groups; OxonFair's exhaustive threshold grid takes "
                f"minutes beyond {OXONFAIR_MAX_GROUPS}"
            )
        net = _ProbaNet(ctx.erm)

        def fit():
            validation = {"data": Xv.astype(np.float64), "target": yv, "groups": sv}
            groups, threshold = False, 2 / 3  # OxonFair's default "uncertain" threshold
            if inferred:  # a classifier of the group, trained on the training rows
                groups = LogisticRegression(max_iter=1000).fit(X.astype(np.float64), s)
                if (groups.predict_proba(validation["data"]).max(1) >= threshold).all():
                    # no uncertain row: OxonFair 0.3 fails on an empty "uncertain" group
                    threshold = 0
            fair = FairPredictor(net, validation, inferred_groups=groups, threshold=threshold)
            fair.fit(gm.accuracy, _oxonfair_metric(ctx.fairness), ctx.bound(0.02))
            return fair

        fair, seconds = _timed(fit)

        def predict(X, s):
            data = X.astype(np.float64)
            if inferred:
                return np.asarray(fair.predict(data))
            # OxonFair reads the groups from a dict, which must also hold a target
            dummy = np.zeros(len(data))
            return np.asarray(fair.predict({"data": data, "target": dummy, "groups": s}))

        return Fitted(predict, seconds, needs_s=not inferred)

    return method


METHODS = {
    "erm": erm,
    "fair_ij": _ij("fair_ij"),
    "drop_upweight": _ij("drop_upweight"),
    # the defaults: damping="auto", update="auto" (Fisher for nets), gap_data="pooled"
    "ijack": _ij("ijack"),
    # earlier settings: the jackknife update and validation-only gaps with damping 3e-2
    "ijack_jackknife": _ij(
        IJack(update="jackknife"), solver=CG(damping=3e-2), gap_data="validation"
    ),
    # I-JACK's update in its Fisher limit (Eq. 13 of Ghosh et al.): −λ H⁻¹ g
    "ijack_fisher": _ij(IJack(update="fisher"), solver=CG(damping=3e-2), gap_data="validation"),
    # ... with the gap values and the selection's gaps on training + validation rows
    "ijack_fisher_pooled": _ij(**PREVIOUS),
    "simjack": _ij("simjack"),
    # the lowest validation gap within the tolerance, three linearisations: where
    # the default OneSE keeps the unedited model because the gap's extreme cells
    # hold a few rows each (a large standard error), e.g. Adult by sex × race, EO
    "ijack_lowest_gap": _ij(IJack(n_steps=3), selection=WithinTolerance()),
    # a stated target, with no other flag: the most accurate point with gap <= 0.05
    "ijack_max_gap": _ij("ijack", selection=lambda ctx: MaxGap(ctx.bound(0.05))),
    # ... meeting it exactly in expectation: a mixture of two path points
    "ijack_max_gap_randomized": _ij(
        "ijack", selection=lambda ctx: MaxGap(ctx.bound(0.05), randomize=True)
    ),
    # Li & Liu (2022): the largest first-order drop of the gap at no first-order
    # rise of the validation loss (a linear programme per λ)
    "utility_constrained": _ij("utility_constrained"),
    # drop-K edits of a net leave the regime where the IJ predicts a refit well:
    # λ is chosen among 3 multiples of the IJ choice by actual refits
    # the same target through a weighted refit of the ERM model's kind
    "ijack_max_gap_refit": max_gap_refit,
    "fair_ij_refit": _refit("fair_ij", refit_candidates=3),
    "drop_upweight_refit": _refit("drop_upweight", refit_candidates=3),
    "ijack_refit": _refit("ijack"),
    "simjack_refit": _refit("simjack"),
    "utility_constrained_refit": _refit("utility_constrained", refit_candidates=3),
    "ijack_diagonal": _ij(IJack(update="jackknife"), solver=DiagonalFisher(damping=1e-2)),
    "finetune": finetune,
    "kamiran_calders": kamiran_calders,
    "expgrad": _exponentiated_gradient(randomised=True),
    "expgrad_deterministic": _exponentiated_gradient(randomised=False),
    "threshold": threshold_optimizer,
    "oxonfair": _oxonfair(inferred=False),
    "oxonfair_inferred": _oxonfair(inferred=True),
}
NEEDS_FAIRLEARN = ("expgrad", "expgrad_deterministic", "threshold")
NEEDS_OXONFAIR = ("oxonfair", "oxonfair_inferred")
QUICK_METHODS = ("erm", "ijack", "ijack_fisher_pooled", "expgrad", "threshold")
