"""Hard (thresholded) group-fairness metrics for binary classifiers."""

import warnings

import numpy as np

from ._validation import check_metric_inputs

EO_AGGREGATIONS = ("sum", "worst_case", "mean")
BAD_AGG = "agg must be one of {options}, got {agg!r}."


def _group_rates(event, condition, codes, weight):
    """Weighted rate of ``event`` and weight of each group, over the samples
    that satisfy ``condition``; groups with no such sample are left out."""
    n_groups = codes.max() + 1
    w = weight * condition
    totals = np.bincount(codes, weights=w, minlength=n_groups)
    hits = np.bincount(codes, weights=w * event, minlength=n_groups)
    defined = totals > 0
    return hits[defined] / totals[defined], totals[defined], int((~defined).sum())


def _group_rate_gap(event, condition, codes, weight):
    """Largest difference between groups of the weighted rate of ``event``.

    The rate of a group is ``sum(w * event) / sum(w)`` over its samples that
    satisfy ``condition``. Groups with no such sample (zero weight) have no rate
    and are left out, with a warning.
    """
    rates, _, n_undefined = _group_rates(event, condition, codes, weight)
    if n_undefined:
        warnings.warn(
            f"{n_undefined} group(s) have no sample in the conditioning "
            "class; they are left out of the gap.",
            UserWarning,
            stacklevel=3,
        )
    if len(rates) < 2:
        return 0.0
    return float(rates.max() - rates.min())


def demographic_parity_difference(
    y_true, y_pred, *, sensitive_features, sample_weight=None, pos_label=1
):
    """Largest difference in selection rate ``P(ŷ = 1)`` between any two groups.

    Parameters
    ----------
    y_true : array-like of shape (n_samples,)
        True labels (binary). Only checked; demographic parity ignores them.
    y_pred : array-like of shape (n_samples,)
        Predicted labels (binary).
    sensitive_features : array-like of shape (n_samples,) or (n_samples, k)
        Group of each sample; several columns define intersectional groups.
    sample_weight : array-like of shape (n_samples,), default=None
        Sample weights.
    pos_label : int or str, default=1
        The label of the positive (favourable) outcome.

    Returns
    -------
    float
        ``max_g P(ŷ=1 | g) - min_g P(ŷ=1 | g)``, in ``[0, 1]``.

    See Also
    --------
    equalized_odds_difference, equal_opportunity_difference, error_rate_difference

    Examples
    --------
    >>> from skfair_ij.metrics import demographic_parity_difference
    >>> y_pred = [1, 1, 0, 0, 1, 0]
    >>> group = ["a", "a", "a", "b", "b", "b"]
    >>> round(demographic_parity_difference(y_pred, y_pred, sensitive_features=group), 4)
    0.3333
    """
    _, pred_pos, codes, weight = check_metric_inputs(
        y_true, y_pred, sensitive_features, sample_weight, pos_label
    )
    return _group_rate_gap(pred_pos, np.ones_like(pred_pos), codes, weight)


def _tpr_fpr_gaps(y_true, y_pred, sensitive_features, sample_weight, pos_label):
    true_pos, pred_pos, codes, weight = check_metric_inputs(
        y_true, y_pred, sensitive_features, sample_weight, pos_label
    )
    tpr_gap = _group_rate_gap(pred_pos, true_pos, codes, weight)
    fpr_gap = _group_rate_gap(pred_pos, ~true_pos, codes, weight)
    return tpr_gap, fpr_gap


def equalized_odds_difference(
    y_true, y_pred, *, sensitive_features, sample_weight=None, pos_label=1, agg="sum"
):
    """Gap in true- and false-positive rates between groups.

    Each of the two rates gives a gap (largest minus smallest over groups); the
    two gaps are combined by ``agg``.

    Parameters
    ----------
    y_true : array-like of shape (n_samples,)
        True labels (binary).
    y_pred : array-like of shape (n_samples,)
        Predicted labels (binary).
    sensitive_features : array-like of shape (n_samples,) or (n_samples, k)
        Group of each sample; several columns define intersectional groups.
    sample_weight : array-like of shape (n_samples,), default=None
        Sample weights.
    pos_label : int or str, default=1
        The label of the positive outcome.
    agg : {"sum", "worst_case", "mean"}, default="sum"
        ``"sum"`` adds the TPR and FPR gaps: the definition of EO in Ghosh et al.,
        and the quantity this library's ``"equalized_odds"`` surrogate smooths.
        ``"worst_case"`` takes the larger of the two, as fairlearn's
        ``equalized_odds_difference`` does by default; ``"mean"`` their average.

    Returns
    -------
    float

    Examples
    --------
    >>> from skfair_ij.metrics import equalized_odds_difference
    >>> y_true = [1, 1, 0, 0, 1, 1, 0, 0]
    >>> y_pred = [1, 0, 1, 0, 1, 1, 0, 0]
    >>> group = ["a"] * 4 + ["b"] * 4
    >>> equalized_odds_difference(y_true, y_pred, sensitive_features=group)
    1.0
    >>> equalized_odds_difference(
    ...     y_true, y_pred, sensitive_features=group, agg="worst_case")
    0.5
    """
    if agg not in EO_AGGREGATIONS:
        raise ValueError(BAD_AGG.format(options=EO_AGGREGATIONS, agg=agg))
    tpr_gap, fpr_gap = _tpr_fpr_gaps(y_true, y_pred, sensitive_features, sample_weight, pos_label)
    if agg == "sum":
        return tpr_gap + fpr_gap
    if agg == "worst_case":
        return max(tpr_gap, fpr_gap)
    return (tpr_gap + fpr_gap) / 2


def equal_opportunity_difference(
    y_true, y_pred, *, sensitive_features, sample_weight=None, pos_label=1
):
    """Largest difference in true-positive rate ``P(ŷ=1 | y=1)`` between groups.

    Parameters
    ----------
    y_true : array-like of shape (n_samples,)
        True labels (binary).
    y_pred : array-like of shape (n_samples,)
        Predicted labels (binary).
    sensitive_features : array-like of shape (n_samples,) or (n_samples, k)
        Group of each sample; several columns define intersectional groups.
    sample_weight : array-like of shape (n_samples,), default=None
        Sample weights.
    pos_label : int or str, default=1
        The label of the positive outcome.

    Returns
    -------
    float

    Examples
    --------
    >>> from skfair_ij.metrics import equal_opportunity_difference
    >>> y_true = [1, 1, 0, 1, 1, 0]
    >>> y_pred = [1, 0, 0, 1, 1, 1]
    >>> group = ["a", "a", "a", "b", "b", "b"]
    >>> equal_opportunity_difference(y_true, y_pred, sensitive_features=group)
    0.5
    """
    true_pos, pred_pos, codes, weight = check_metric_inputs(
        y_true, y_pred, sensitive_features, sample_weight, pos_label
    )
    return _group_rate_gap(pred_pos, true_pos, codes, weight)


def error_rate_difference(y_true, y_pred, *, sensitive_features, sample_weight=None, pos_label=1):
    """Largest difference in error rate ``P(ŷ ≠ y)`` between groups.

    This is error-rate parity, the fourth metric used by IFFair.

    Parameters
    ----------
    y_true : array-like of shape (n_samples,)
        True labels (binary).
    y_pred : array-like of shape (n_samples,)
        Predicted labels (binary).
    sensitive_features : array-like of shape (n_samples,) or (n_samples, k)
        Group of each sample; several columns define intersectional groups.
    sample_weight : array-like of shape (n_samples,), default=None
        Sample weights.
    pos_label : int or str, default=1
        The label of the positive outcome.

    Returns
    -------
    float

    Examples
    --------
    >>> from skfair_ij.metrics import error_rate_difference
    >>> y_true = [1, 0, 1, 0]
    >>> y_pred = [1, 0, 0, 0]
    >>> error_rate_difference(y_true, y_pred, sensitive_features=[0, 0, 1, 1])
    0.5
    """
    true_pos, pred_pos, codes, weight = check_metric_inputs(
        y_true, y_pred, sensitive_features, sample_weight, pos_label
    )
    errors = true_pos != pred_pos
    return _group_rate_gap(errors, np.ones_like(errors), codes, weight)


def hard_gaps(true_pos, pred_pos, codes):
    """All four gaps at once, with their standard errors, for validated inputs.

    Used on the λ path, where the same validation labels and groups are scored
    for many predictions: no checks, no warnings, unit weights.

    Each gap is a sum of terms (the TPR and FPR gaps for equalized odds), a term
    the difference of the rates r_a > r_b of the extreme groups a and b. Its
    standard error adds the binomial variances ``r (1 − r) / n`` of those two
    rates over the terms.

    Parameters
    ----------
    true_pos, pred_pos : ndarray of bool
        ``y_true == 1`` and ``y_pred == 1``.
    codes : ndarray of int
        Group codes from :func:`check_sensitive_features`.

    Returns
    -------
    gaps, standard_errors : dict
        Keyed by ``demographic_parity``, ``equalized_odds`` (sum of the two
        gaps), ``equal_opportunity`` and ``error_rate``; the gaps are those of
        the public metrics.
    """
    return gaps_from_counts(cell_counts(true_pos, pred_pos, codes))


def cell_counts(true_pos, pred_pos, codes, n_groups=None):
    """Counts of every (group, true label, predicted label) cell, (G, 2, 2);
    ``pred_pos`` may be (k, n) for k predictions at once, giving (k, G, 2, 2)."""
    return Cells(true_pos, codes, n_groups).counts(pred_pos)


class Cells:
    """The (group, true label) cell of every row, sorted once, to count the
    predictions of many parameter vectors (:func:`cell_counts`)."""

    def __init__(self, true_pos, codes, n_groups=None):
        codes = np.asarray(codes, dtype=np.int64)
        self.n_groups = int(codes.max()) + 1 if n_groups is None else int(n_groups)
        self.base = codes * 2 + np.asarray(true_pos, dtype=np.int64)
        self.totals = np.bincount(self.base, minlength=2 * self.n_groups)
        self._order = None

    def _sorted(self):
        if self._order is None:  # small integer keys: numpy's stable sort is a radix sort
            keys = self.base.astype(np.int16) if 2 * self.n_groups < 2**15 else self.base
            self._order = np.argsort(keys, kind="stable")
            self._present = np.flatnonzero(self.totals)
            self._starts = np.concatenate([[0], np.cumsum(self.totals)[:-1]])[self._present]
        return self._order, self._present, self._starts

    def counts(self, pred_pos):
        pred = np.asarray(pred_pos)
        size = 2 * self.n_groups
        if pred.ndim == 1:
            positives = np.bincount(self.base, weights=pred.astype(float), minlength=size)
            positives = np.rint(positives).astype(np.int64)
        else:  # one segment sum per non-empty cell, over rows sorted by cell
            order, present, starts = self._sorted()
            positives = np.zeros((len(pred), size), dtype=np.int64)
            if len(present):
                positives[:, present] = np.add.reduceat(
                    pred[:, order], starts, axis=1, dtype=np.int64
                )
        counts = np.stack([self.totals - positives, positives], axis=-1)
        return counts.reshape(*pred.shape[:-1], self.n_groups, 2, 2)


def rate_gaps(counts):
    """Between-group gap and its variance of every rate, from cell counts.

    ``counts`` is (G, 2, 2) or (k, G, 2, 2) for k predictions at once. Returns
    ``{rate: (gap, variance)}`` for the rates ``selection``, ``tpr``, ``fpr``
    and ``error``, each an array of shape (k,) (k = 1 for one prediction): the
    difference of the extreme groups' rates and the sum of their binomial
    variances.
    """
    c = np.asarray(counts)
    c = c[None] if c.ndim == 3 else c
    all_rows, positives = c.sum((2, 3)), c[:, :, :, 1].sum(2)
    errors = c[:, :, 1, 0] + c[:, :, 0, 1]
    terms = {}
    for name, hits, totals in (
        ("selection", positives, all_rows),
        ("tpr", c[:, :, 1, 1], c[:, :, 1].sum(2)),
        ("fpr", c[:, :, 0, 1], c[:, :, 0].sum(2)),
        ("error", errors, all_rows),
    ):
        defined = totals > 0  # groups with rows in the rate's denominator
        rates = hits / np.maximum(totals, 1)
        hi = np.argmax(np.where(defined, rates, -np.inf), axis=1)[:, None]
        lo = np.argmin(np.where(defined, rates, np.inf), axis=1)[:, None]
        compared = defined.sum(1) >= 2
        r_hi, r_lo = np.take_along_axis(rates, hi, 1)[:, 0], np.take_along_axis(rates, lo, 1)[:, 0]
        n_hi = np.take_along_axis(totals, hi, 1)[:, 0]
        n_lo = np.take_along_axis(totals, lo, 1)[:, 0]
        variance = r_hi * (1 - r_hi) / np.maximum(n_hi, 1) + r_lo * (1 - r_lo) / np.maximum(n_lo, 1)
        terms[name] = (np.where(compared, r_hi - r_lo, 0.0), np.where(compared, variance, 0.0))
    return terms


def gaps_from_counts(counts):
    """The gaps and standard errors of :func:`hard_gaps` from cell counts, for
    every registered criterion (``metrics.CRITERIA``), each from the rates it
    declares.

    ``counts`` is (G, 2, 2), giving floats, or (k, G, 2, 2) for k predictions
    at once, giving arrays of shape (k,) (one vectorised pass for a whole
    λ path).
    """
    from ._criteria import CRITERIA

    single = np.asarray(counts).ndim == 3
    terms = rate_gaps(counts)
    gaps, errors = {}, {}
    for name, criterion in CRITERIA.items():
        gaps[name], errors[name] = criterion().hard_gap(terms)
        if single:
            gaps[name], errors[name] = float(gaps[name][0]), float(errors[name][0])
    return gaps, errors


METRICS = {
    "demographic_parity": demographic_parity_difference,
    "equalized_odds": equalized_odds_difference,
    "equal_opportunity": equal_opportunity_difference,
    "error_rate": error_rate_difference,
}
