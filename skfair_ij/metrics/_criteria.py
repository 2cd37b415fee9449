"""Fairness criteria as objects: the cells they compare, their smooth surrogate,
their hard gap and their scorer, in one place.

A criterion compares a rate between groups. The rate is the mean of a soft
quantity (the predicted probability, or the soft error for error-rate parity)
within *cells*: the groups, or the groups among the rows of one label. The
surrogates of :mod:`skfair_ij.influence`, the gaps of the λ path, the check
that validation data can measure the gap, and the scorers all read these
objects; a string such as ``"demographic_parity"`` is a shorthand for the
object with default settings.
"""

import numpy as np
from sklearn.utils._param_validation import StrOptions

from .._options import Options, resolve
from ._fairness import (
    demographic_parity_difference,
    equal_opportunity_difference,
    equalized_odds_difference,
    error_rate_difference,
)

GAP_DATA = ("validation", "pooled")


class FairnessCriterion(Options):
    """Base class of the fairness criteria.

    Parameters
    ----------
    gap_data : {"pooled", "validation"}, default="pooled"
        Rows the gap is measured on when an estimator selects λ.
        ``"validation"``: the validation rows. ``"pooled"``: the training rows
        with the validation rows, for the values of the gap terms (the targets
        of the edit) and the gaps of the λ path that the selection compares;
        the fairness gradient and the accuracy stay on validation data. More
        rows cut the noise of small cells when the model does not overfit its
        training data (a warning says when its training accuracy exceeds its
        validation accuracy by more than 0.05).

    Attributes
    ----------
    name : str
        The criterion's name (the key of the gap in ``path_``'s metrics).
    labels : tuple
        Labels whose rows form the cells, per gap term: ``(None,)`` (all rows,
        cells = groups), ``(1,)`` (rows of label 1) or ``(0, 1)`` (one term per
        label, cells = group × label).
    soft : {"proba", "error"}
        The soft quantity averaged in a cell.
    rates : tuple of str
        The hard rates whose between-group gaps add up to the gap.
    """

    name = None
    labels = (None,)
    soft = "proba"
    rates = ()
    metric = None  # the public metric function of the hard gap
    _parameter_constraints = {"gap_data": [StrOptions(set(GAP_DATA))]}

    def __init__(self, gap_data="pooled"):
        self.gap_data = gap_data

    # ------------------------------------------------------------ surrogate
    def cells(self, groups, y, n_groups):
        """Cell index of each row (−1: not used) and the cell grid's shape.

        Works on torch tensors and numpy arrays alike.
        """
        if self.labels == (None,):
            return groups * 1, (n_groups,)
        if self.labels == (0, 1):
            return groups * 2 + (y > 0.5) * 1, (n_groups, 2)
        (label,) = self.labels
        inside = (y > 0.5) if label == 1 else (y < 0.5)
        return groups * inside + (inside * 1 - 1), (n_groups,)

    def soft_values(self, proba, y):
        """The soft quantity of each row: ``h``, or the soft error."""
        if self.soft == "error":
            return y * (1 - proba) + (1 - y) * proba
        return proba

    # ------------------------------------------------------------ hard gap
    def hard_gap(self, counts):
        """The gap and its standard error from cell counts (G, 2, 2) or
        (k, G, 2, 2), or from their :func:`~skfair_ij.metrics._fairness.rate_gaps`:
        the sum over the declared ``rates`` of their between-group gaps, each
        an array of shape (k,)."""
        from ._fairness import rate_gaps

        if not self.rates:
            raise TypeError(
                f"{type(self).__name__} declares no rates; set rates to some of "
                "('selection', 'tpr', 'fpr', 'error')."
            )
        terms = counts if isinstance(counts, dict) else rate_gaps(counts)
        gap = sum(terms[rate][0] for rate in self.rates)
        return gap, np.sqrt(sum(terms[rate][1] for rate in self.rates))

    def gap(self, y_true, y_pred, *, sensitive_features, **kwargs):
        """The hard gap of predictions (the public metric)."""
        return self.metric(y_true, y_pred, sensitive_features=sensitive_features, **kwargs)

    def scorer(self, **kwargs):
        """A scikit-learn scorer of the gap (see :func:`make_fairness_scorer`)."""
        from ._scorers import make_fairness_scorer

        return make_fairness_scorer(self.metric, **kwargs)

    def unmeasurable(self, y_val, groups_val, group_names, classes, min_rows, *, extra=None):
        """None when every validation cell of the gap holds ``min_rows`` rows,
        else a sentence saying which cell does not (``y_val`` coded 0/1,
        ``groups_val`` codes into ``group_names``).

        ``extra``: the labels and group codes of further rows that measure the
        gap (the training rows with ``gap_data="pooled"``); a cell then needs
        ``min_rows`` rows among all of them, one of them a validation row (the
        fairness gradient is the validation rows')."""
        y_val, groups_val = np.asarray(y_val), np.asarray(groups_val)
        if extra is not None:
            extra = tuple(np.asarray(a) for a in extra)
        present = np.unique(y_val)
        if len(present) < 2:
            only = _plain(classes[int(present[0])]) if len(present) else None
            return (
                f"y_val holds a single class ({only!r}): the accuracy an edit costs "
                "cannot be measured on it"
            )
        for group in range(len(group_names)):
            for label in self.labels:
                count = _count(y_val, groups_val, group, label)
                more = 0 if extra is None else _count(*extra, group, label)
                if count + more < min_rows or count == 0:
                    cell = f"group {_plain(group_names[group])!r}"
                    if label is not None:
                        cell += f" with label {_plain(classes[label])!r}"
                    if count == 0 and count + more >= min_rows:
                        return (
                            f"the validation data hold 0 rows of {cell}: the fairness "
                            "gradient, measured on them, cannot move it (with the training "
                            f"rows: {more})"
                        )
                    also = "" if extra is None else f" (with the training rows: {count + more})"
                    return (
                        f"the validation data hold {count} row(s) of {cell}{also}, fewer "
                        f"than the {min_rows} needed to measure the {self.name} gap"
                    )
        return None


class DemographicParity(FairnessCriterion):
    """Demographic parity: the gap in positive-prediction rates between groups.

    Examples
    --------
    >>> from skfair_ij.metrics import DemographicParity
    >>> DemographicParity().gap([1, 0, 1, 0], [1, 1, 0, 0], sensitive_features=[0, 0, 1, 1])
    1.0
    """

    name = "demographic_parity"
    rates = ("selection",)
    metric = staticmethod(demographic_parity_difference)


class EqualizedOdds(FairnessCriterion):
    """Equalized odds: the TPR gap plus the FPR gap (one term per label)."""

    name = "equalized_odds"
    labels = (0, 1)
    rates = ("tpr", "fpr")
    metric = staticmethod(equalized_odds_difference)


class EqualOpportunity(FairnessCriterion):
    """Equal opportunity: the true-positive-rate gap (rows of label 1)."""

    name = "equal_opportunity"
    labels = (1,)
    rates = ("tpr",)
    metric = staticmethod(equal_opportunity_difference)


class ErrorRateParity(FairnessCriterion):
    """Error-rate parity: the gap in error rates (soft error in the surrogate)."""

    name = "error_rate"
    soft = "error"
    rates = ("error",)
    metric = staticmethod(error_rate_difference)


CRITERIA = {
    c.name: c for c in (DemographicParity, EqualizedOdds, EqualOpportunity, ErrorRateParity)
}
FAIRNESS_CRITERIA = tuple(CRITERIA)


def check_criterion(criterion):
    """A :class:`FairnessCriterion` from an object or its name (validated)."""
    return resolve(criterion, FairnessCriterion, CRITERIA, "fairness")


def _count(y, groups, group, label):
    """Rows of a group (with a label, when not None)."""
    rows = groups == group
    if label is not None:
        rows &= y == label
    return int(rows.sum())


def _plain(value):
    return value.item() if isinstance(value, np.generic) else value
