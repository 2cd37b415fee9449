"""Input checks shared by the fairness metrics (and reused by the estimators)."""

import numpy as np
import pandas as pd

LENGTH_MISMATCH = (
    "Inconsistent lengths: {what} has {n_other} rows but y_true has {n} rows; "
    "every argument must have one entry per sample."
)
SINGLE_GROUP = (
    "sensitive_features holds a single group ({group!r}); a fairness gap needs at least two groups."
)
NAN_SENSITIVE = (
    "sensitive_features contains missing values (NaN/None) at {count} rows; drop or "
    "impute them before computing fairness gaps."
)
NOT_BINARY = (
    "{name} must hold binary labels for this metric; found {n_labels} distinct values: {labels}."
)
POS_LABEL_MISSING = "pos_label={pos_label!r} is not one of the labels {labels}."
MISSING_SENSITIVE = (
    "sensitive_features is required: pass one group label per sample "
    "(list, ndarray, Series or DataFrame)."
)


def check_sensitive_features(sensitive_features, n_samples=None, *, min_groups=2):
    """Encode sensitive features as integer group codes.

    Parameters
    ----------
    sensitive_features : array-like of shape (n_samples,) or (n_samples, n_columns)
        Group membership. Several columns (a DataFrame or a 2-D array) define
        intersectional groups: one group per distinct row.
    n_samples : int, default=None
        Expected number of rows; a mismatch raises ``ValueError``.
    min_groups : int, default=2
        Minimal number of distinct groups.

    Returns
    -------
    codes : ndarray of shape (n_samples,), dtype int64
        Group code of each sample, in ``0 .. n_groups - 1``.
    groups : list
        The group labels (tuples for intersections), in code order.
    """
    if sensitive_features is None:
        raise ValueError(MISSING_SENSITIVE)
    if isinstance(sensitive_features, pd.DataFrame):
        frame = sensitive_features.reset_index(drop=True)
    elif isinstance(sensitive_features, pd.Series):
        frame = sensitive_features.reset_index(drop=True).to_frame()
    else:
        array = np.asarray(sensitive_features, dtype=object)
        if array.ndim == 0:
            raise ValueError(MISSING_SENSITIVE)
        if array.ndim > 2:
            raise ValueError(f"sensitive_features must be 1-D or 2-D, got {array.ndim} dimensions.")
        frame = pd.DataFrame(array.reshape(len(array), -1))
    if n_samples is not None and len(frame) != n_samples:
        raise ValueError(
            LENGTH_MISMATCH.format(what="sensitive_features", n_other=len(frame), n=n_samples)
        )
    missing = frame.isna().any(axis=1).to_numpy()
    if missing.any():
        raise ValueError(NAN_SENSITIVE.format(count=int(missing.sum())))
    if frame.shape[1] == 1:
        codes, uniques = pd.factorize(frame.iloc[:, 0], sort=True)
        groups = list(uniques)
    else:
        keys = pd.MultiIndex.from_frame(frame.astype(object))
        codes, uniques = pd.factorize(keys, sort=True)
        groups = [tuple(u) for u in uniques]
    if len(groups) < min_groups:
        raise ValueError(SINGLE_GROUP.format(group=groups[0] if groups else None))
    return codes.astype(np.int64), groups


def check_binary_labels(y, name, pos_label):
    """Return a boolean array ``y == pos_label`` after checking y is binary."""
    y = np.asarray(y)
    if y.ndim != 1:
        y = y.reshape(-1) if y.ndim == 2 and y.shape[1] == 1 else y
    if y.ndim != 1:
        raise ValueError(f"{name} must be 1-D, got shape {y.shape}.")
    labels = np.unique(y)
    if len(labels) > 2:
        shown = list(labels[:5]) + (["..."] if len(labels) > 5 else [])
        raise ValueError(NOT_BINARY.format(name=name, n_labels=len(labels), labels=shown))
    return y == pos_label, labels


def check_metric_inputs(y_true, y_pred, sensitive_features, sample_weight, pos_label):
    """Validate the arguments of a binary fairness metric.

    Returns
    -------
    true_pos, pred_pos : ndarray of bool
        ``y_true == pos_label`` and ``y_pred == pos_label``.
    codes : ndarray of int
        Group code of each sample.
    weight : ndarray of float
        Sample weights (ones when none are given).
    """
    y_true_arr = np.asarray(y_true)
    n = len(y_true_arr)
    if len(np.asarray(y_pred)) != n:
        raise ValueError(
            LENGTH_MISMATCH.format(what="y_pred", n_other=len(np.asarray(y_pred)), n=n)
        )
    true_pos, true_labels = check_binary_labels(y_true, "y_true", pos_label)
    pred_pos, pred_labels = check_binary_labels(y_pred, "y_pred", pos_label)
    labels = np.union1d(true_labels, pred_labels)
    if len(labels) > 2:
        raise ValueError(
            NOT_BINARY.format(
                name="y_true and y_pred together",
                n_labels=len(labels),
                labels=list(labels),
            )
        )
    if len(labels) == 2 and pos_label not in labels:
        raise ValueError(POS_LABEL_MISSING.format(pos_label=pos_label, labels=list(labels)))
    codes, _ = check_sensitive_features(sensitive_features, n)
    if sample_weight is None:
        weight = np.ones(n)
    else:
        weight = np.asarray(sample_weight, dtype=float).reshape(-1)
        if len(weight) != n:
            raise ValueError(LENGTH_MISMATCH.format(what="sample_weight", n_other=len(weight), n=n))
        if np.any(~np.isfinite(weight)) or np.any(weight < 0):
            raise ValueError("sample_weight must be finite and non-negative.")
    return true_pos, pred_pos, codes, weight
