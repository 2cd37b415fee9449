"""scikit-learn scorers for the fairness metrics and a constrained refit rule."""

import warnings

import numpy as np
from sklearn import config_context
from sklearn.metrics import make_scorer

from ._fairness import METRICS

UNKNOWN_METRIC = "Unknown fairness metric {metric!r}; choose one of {options}."
NO_ROUTED_FEATURES = (
    "The fairness scorer received no sensitive_features. Enable metadata routing "
    "with sklearn.set_config(enable_metadata_routing=True) and pass "
    "sensitive_features=... to the fit (or score) call of the search or pipeline."
)


class _GapScore:
    """Picklable wrapper calling a metric with routed ``sensitive_features``."""

    def __init__(self, metric):
        self.metric = metric
        self.__name__ = getattr(metric, "__name__", type(metric).__name__)

    def __call__(self, y_true, y_pred, *, sensitive_features=None, **kwargs):
        if sensitive_features is None:
            raise ValueError(NO_ROUTED_FEATURES)
        if "pos_label" not in kwargs:
            # scikit-learn's default: the greater of the two labels (classes_[1])
            # ({0, 1} keeps 1 even in a fold where only 0 occurs)
            labels = np.unique(np.concatenate([np.asarray(y_true), np.asarray(y_pred)]))
            if len(labels) and not set(labels.tolist()) <= {0, 1}:
                kwargs["pos_label"] = labels[-1]
        return self.metric(y_true, y_pred, sensitive_features=sensitive_features, **kwargs)

    def __repr__(self):
        return self.__name__


def make_fairness_scorer(metric="demographic_parity", *, greater_is_better=False, **kwargs):
    """Build a scikit-learn scorer from a fairness metric.

    The scorer requests ``sensitive_features`` through metadata routing, so that a
    search or a cross-validation forwards the groups of each validation fold::

        sklearn.set_config(enable_metadata_routing=True)
        search = GridSearchCV(model, grid, scoring={"dp": make_fairness_scorer()},
                              refit=False)
        search.fit(X, y, sensitive_features=s)

    Parameters
    ----------
    metric : str or callable, default="demographic_parity"
        One of ``"demographic_parity"``, ``"equalized_odds"``,
        ``"equal_opportunity"``, ``"error_rate"``, or a callable
        ``metric(y_true, y_pred, *, sensitive_features, **kwargs) -> float``.
    greater_is_better : bool, default=False
        A gap is better when smaller, so by default the scorer returns the
        *negated* gap (scikit-learn's ``neg_*`` convention): ``-0.03`` is a gap of
        0.03. Pass ``True`` to get the raw gap (then do not maximise it).
    **kwargs
        Passed to the metric (e.g. ``agg="worst_case"``, ``pos_label=...``).
        Without ``pos_label``, the favourable label is the greater of the
        labels seen (scikit-learn's ``classes_[1]``: 2 of 1/2, ``"yes"`` of
        ``"no"``/``"yes"``), and 1 for labels 0/1.

    Returns
    -------
    scorer : callable
        ``scorer(estimator, X, y, *, sensitive_features)``.

    Examples
    --------
    >>> import numpy as np
    >>> import sklearn
    >>> from sklearn.linear_model import LogisticRegression
    >>> from skfair_ij.metrics import make_fairness_scorer
    >>> X = np.array([[0.0], [1.0], [2.0], [3.0]])
    >>> y = np.array([0, 0, 1, 1])
    >>> model = LogisticRegression().fit(X, y)
    >>> scorer = make_fairness_scorer("demographic_parity")
    >>> with sklearn.config_context(enable_metadata_routing=True):
    ...     print(float(scorer(model, X, y, sensitive_features=[0, 0, 1, 1])))
    -1.0
    """
    if isinstance(metric, str):
        if metric not in METRICS:
            raise ValueError(UNKNOWN_METRIC.format(metric=metric, options=sorted(METRICS)))
        metric = METRICS[metric]
    scorer = make_scorer(_GapScore(metric), greater_is_better=greater_is_better, **kwargs)
    with config_context(enable_metadata_routing=True):
        scorer = scorer.set_score_request(sensitive_features=True)
    return scorer


class constrained_refit:  # noqa: N801  (used like a function, as refit=...)
    """Refit rule: the best score among candidates whose gap is at most ``max_gap``.

    Pass an instance as ``GridSearchCV(..., refit=constrained_refit(...))``. It
    reads ``mean_test_<score>`` and ``mean_test_<gap>`` from ``cv_results_``; the
    gap scorer may return the negated gap (the default of
    :func:`make_fairness_scorer`) or the raw gap (``gap_is_negated=False``). When
    no candidate meets the bound, the candidate with the smallest gap is chosen and
    a warning says so.

    Parameters
    ----------
    gap : str, default="dp"
        Key of the fairness scorer in ``scoring``.
    max_gap : float, default=0.05
        Largest acceptable mean validation gap ε.
    score : str, default="accuracy"
        Key of the score to maximise in ``scoring``.
    gap_is_negated : bool, default=True
        Whether the gap scorer returns ``-gap``.

    Examples
    --------
    >>> from skfair_ij.metrics import constrained_refit
    >>> results = {"mean_test_accuracy": [0.90, 0.85, 0.80],
    ...            "mean_test_dp": [-0.20, -0.04, -0.01]}
    >>> constrained_refit(gap="dp", max_gap=0.05)(results)
    1
    """

    def __init__(self, gap="dp", max_gap=0.05, score="accuracy", gap_is_negated=True):
        self.gap = gap
        self.max_gap = max_gap
        self.score = score
        self.gap_is_negated = gap_is_negated

    def __call__(self, cv_results):
        for key in (self.score, self.gap):
            if f"mean_test_{key}" not in cv_results:
                raise ValueError(
                    f"cv_results_ has no 'mean_test_{key}'; name the scorers "
                    f"{self.score!r} and {self.gap!r} in `scoring`."
                )
        scores = np.asarray(cv_results[f"mean_test_{self.score}"], dtype=float)
        gaps = np.asarray(cv_results[f"mean_test_{self.gap}"], dtype=float)
        gaps = -gaps if self.gap_is_negated else gaps
        feasible = np.flatnonzero(gaps <= self.max_gap)
        if feasible.size == 0:
            warnings.warn(
                f"No candidate has a mean {self.gap} gap <= {self.max_gap}; "
                "refitting the candidate with the smallest gap.",
                UserWarning,
                stacklevel=2,
            )
            return int(np.nanargmin(gaps))
        return int(feasible[np.nanargmax(scores[feasible])])

    def __repr__(self):
        return (
            f"constrained_refit(gap={self.gap!r}, max_gap={self.max_gap!r}, score={self.score!r})"
        )
