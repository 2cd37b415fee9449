"""Validation accuracy and gaps of the points of a path, from their predictions."""

import numpy as np

from .metrics._criteria import check_criterion
from .metrics._fairness import cell_counts, gaps_from_counts, hard_gaps


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
        validation rows for ``pooled_gap`` and ``pooled_gap_se`` (rows on Dask
        give their cell counts with ``counts``).
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
    keys = [
        "val_accuracy",
        "val_gap",
        "val_gap_se",
        "val_demographic_parity",
        "val_equalized_odds",
        "val_positive_rate",
    ]
    if pooled is not None:
        keys += ["pooled_gap", "pooled_gap_se"]
    fairness = check_criterion(fairness).name
    records = {k: [] for k in keys}
    y_val = np.asarray(y_val)
    n_val = len(y_val)
    groups = np.asarray(groups_val)
    counted = hasattr(pooled, "counts")  # rows on Dask: cell counts by block sums
    if counted:
        n_groups = max(int(np.max(groups_val)) + 1, pooled.n_groups)
        val_codes = np.asarray(groups_val, dtype=np.int64)
    elif pooled is not None:
        X_extra, y_extra, groups_extra = pooled
        true_all = np.concatenate([y_val, np.asarray(y_extra)]) == 1
        groups = np.concatenate([groups, np.asarray(groups_extra)])
        pred_all = np.empty(len(groups), dtype=bool)
    codes = np.unique(groups, return_inverse=True)[1].reshape(-1)
    true_pos = y_val == 1
    block = max(1, int(block_bytes) // max(1, len(groups)))
    for start in range(0, len(thetas), block):
        chunk = thetas[start : start + block]
        positive = np.asarray(predict_positive(X_val, chunk), dtype=bool).reshape(len(chunk), -1)
        accuracy = (positive == true_pos).mean(1)
        wanted = np.ones(len(chunk), dtype=bool)
        if min_accuracy is not None:
            wanted = accuracy >= min_accuracy
        extra = None
        if pooled is not None and wanted.any():
            picked = np.flatnonzero(wanted)
            subset = chunk[picked] if hasattr(chunk, "dim") else [chunk[i] for i in picked]
            if counted:
                extra = dict(zip(picked, pooled.counts(subset), strict=True))
            else:
                extra = dict(zip(picked, predict_positive(X_extra, subset), strict=True))
        for j, y_pred in enumerate(positive):
            gaps, standard_errors = hard_gaps(true_pos, y_pred, codes[:n_val])
            records["val_accuracy"].append(float(accuracy[j]))
            records["val_gap"].append(gaps[fairness])
            records["val_gap_se"].append(standard_errors[fairness])
            records["val_demographic_parity"].append(gaps["demographic_parity"])
            records["val_equalized_odds"].append(gaps["equalized_odds"])
            records["val_positive_rate"].append(float(np.mean(y_pred)))
            if pooled is None:
                continue
            if extra is None or j not in extra:
                records["pooled_gap"].append(np.nan)
                records["pooled_gap_se"].append(np.nan)
                continue
            if counted:
                counts = extra[j] + cell_counts(true_pos, y_pred, val_codes, n_groups)
                gaps, standard_errors = gaps_from_counts(counts)
            else:
                pred_all[:n_val] = y_pred
                pred_all[n_val:] = extra[j]
                gaps, standard_errors = hard_gaps(true_all, pred_all, codes)
            records["pooled_gap"].append(gaps[fairness])
            records["pooled_gap_se"].append(standard_errors[fairness])
    return {k: np.asarray(v) for k, v in records.items()}
