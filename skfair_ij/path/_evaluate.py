"""Validation accuracy and gaps of the points of a path, from their predictions."""

import numpy as np

from .._fit_data import unwrap
from .._labels import LabelledClassifier
from ..adapters import fit_inputs, get_adapter
from ..metrics._criteria import CRITERIA, check_criterion
from ..metrics._fairness import Cells, cell_counts, rate_gaps

# the gaps every path reports besides its criterion's
REPORTED = ("demographic_parity", "equalized_odds")


def evaluate_path(
    predict_positive,
    thetas,
    X_val,
    y_val,
    groups_val,
    fairness,
    pooled=None,
    min_accuracy=None,
    block_bytes=2**25,
):
    """Validation accuracy and gaps of every parameter vector of a path.

    Parameters
    ----------
    predict_positive : callable
        ``predict_positive(X, thetas) -> ndarray of bool (k, n)``: which rows of
        X each of k parameter vectors predicts positive. Called on blocks of
        ``thetas`` (so that a block's predictions take at most ``block_bytes``),
        which lets a linear model predict a whole block with one product.
    thetas : sequence of length k
        Parameter vectors (a Tensor of shape (k, D)) or fitted models.
    pooled : tuple (X, y, groups) or PooledRows, default=None
        Further rows (the training rows) whose predictions are pooled with the
        validation rows for ``pooled_gap`` and ``pooled_gap_se`` (rows held by
        a cluster backend give their cell counts with ``counts``).
    min_accuracy : float, default=None
        Compute the pooled gaps only where the validation accuracy reaches it
        (the candidates of a tolerance rule); NaN elsewhere.

    Returns
    -------
    dict of ndarray
        ``val_accuracy``, ``val_gap`` (of ``fairness``) and its standard error
        ``val_gap_se``, ``val_demographic_parity``, ``val_equalized_odds``,
        ``val_positive_rate``; with ``pooled``, also ``pooled_gap`` and
        ``pooled_gap_se``.
    """
    fairness = check_criterion(fairness)
    rows = _Rows(predict_positive, X_val, y_val, groups_val, pooled)
    names = ["val_accuracy", "val_gap", "val_gap_se", "val_demographic_parity"]
    names += ["val_equalized_odds", "val_positive_rate"]
    names += [] if pooled is None else ["pooled_gap", "pooled_gap_se"]
    columns = {k: [] for k in names}
    # a point's predictions come from float64 logits: 9 bytes a row with the bools
    block = max(1, int(block_bytes) // (9 * max(1, rows.n_rows)))
    for start in range(0, len(thetas), block):
        for key, values in rows.evaluate(thetas[start : start + block], fairness, min_accuracy):
            columns[key].append(values)
    return {k: np.concatenate(v) if v else np.empty(0, dtype=float) for k, v in columns.items()}


class _Rows:
    """The validation rows (and the pooled rows) sorted by cell once."""

    def __init__(self, predict_positive, X_val, y_val, groups_val, pooled):
        self.predict_positive, self.X_val, self.pooled = predict_positive, X_val, pooled
        y_val = np.asarray(y_val)
        n_val = len(y_val)
        self.true_pos = y_val == 1
        groups_val = np.asarray(groups_val)
        self.counted = hasattr(pooled, "counts")  # rows held elsewhere: counts by block sums
        n_extra = 0
        if self.counted:
            val_codes = groups_val.astype(np.int64)
            n_groups = max(int(val_codes.max()) + 1, pooled.n_groups)
        else:
            extra_groups = [] if pooled is None else [np.asarray(pooled[2])]
            codes = np.unique(np.concatenate([groups_val, *extra_groups]), return_inverse=True)[1]
            codes = codes.reshape(-1)
            val_codes, extra_codes, n_groups = codes[:n_val], codes[n_val:], int(codes.max()) + 1
            if pooled is not None:
                self.extra_cells = Cells(np.asarray(pooled[1]) == 1, extra_codes, n_groups)
                n_extra = len(extra_codes)
        self.n_groups, self.n_rows = n_groups, n_val + n_extra
        self.val_cells = Cells(self.true_pos, val_codes, n_groups)
        self.reported = [CRITERIA[name]() for name in REPORTED]

    def evaluate(self, chunk, fairness, min_accuracy):
        """``(column, values)`` pairs of a block of points."""
        positive = np.asarray(self.predict_positive(self.X_val, chunk), dtype=bool)
        positive = positive.reshape(len(chunk), -1)
        # every point of the block in one pass: (k, G, 2, 2) counts, then the gaps
        val_counts = self.val_cells.counts(positive)
        terms = rate_gaps(val_counts)
        gap, standard_error = fairness.hard_gap(terms)
        accuracy = (positive == self.true_pos).mean(1)
        out = [
            ("val_accuracy", accuracy),
            ("val_positive_rate", positive.mean(1)),
            ("val_gap", gap),
            ("val_gap_se", standard_error),
        ]
        out += [(f"val_{c.name}", c.hard_gap(terms)[0]) for c in self.reported]
        if self.pooled is not None:
            picked = np.ones(len(chunk), dtype=bool)
            if min_accuracy is not None:
                picked = accuracy >= min_accuracy
            out += self._pooled(chunk, np.flatnonzero(picked), val_counts, fairness)
        return out

    def _pooled(self, chunk, picked, val_counts, fairness):
        pooled_gap, pooled_se = np.full(len(chunk), np.nan), np.full(len(chunk), np.nan)
        if len(picked):
            subset = chunk[picked] if hasattr(chunk, "dim") else [chunk[i] for i in picked]
            if self.counted:
                extra = np.asarray(self.pooled.counts(subset))
                pad = self.n_groups - extra.shape[1]
                extra = np.pad(extra, [(0, 0), (0, pad), (0, 0), (0, 0)])
            else:
                extra_positive = np.asarray(self.predict_positive(self.pooled[0], subset), bool)
                extra = self.extra_cells.counts(extra_positive.reshape(len(picked), -1))
            pooled_gap[picked], pooled_se[picked] = fairness.hard_gap(val_counts[picked] + extra)
        return [("pooled_gap", pooled_gap), ("pooled_gap_se", pooled_se)]


def score_points(model, thetas, X, true_pos, codes, criterion, adapter_kwargs):
    """Gap of ``criterion`` and accuracy of every parameter vector of a path on
    rows X (as the final step sees them) of a trained ``model`` (a Pipeline's
    final step, or a net facing the user's labels, is unwrapped)."""
    model = unwrap(model)[2]  # a Pipeline: the path is its final step's
    if isinstance(model, LabelledClassifier):
        model = model.estimator
    adapter = get_adapter(model, **adapter_kwargs)
    positive = adapter.positive(adapter.to_tensor(fit_inputs(model, X)[0]), thetas)
    gap = criterion.hard_gap(cell_counts(true_pos, positive, codes))[0]
    return np.asarray(gap), (positive == true_pos).mean(1)
