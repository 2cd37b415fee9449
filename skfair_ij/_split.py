"""The validation split of a fit: held-out rows that really are held out."""

from typing import NamedTuple

import numpy as np
from sklearn.model_selection import train_test_split

from .metrics._validation import check_sensitive_features

PREFIT_NEEDS_VALIDATION = (
    "A pre-trained model (prefit=True or a FrozenEstimator) was trained on the X, y given "
    "to fit, so none of those rows can validate it: pass rows it did not see as X_val, "
    "y_val and sensitive_features_val."
)
SPLIT_TOO_SMALL = (
    "The held-out validation split cannot measure the gap: {problem}. Pass validation data "
    "(X_val, y_val, sensitive_features_val) or more rows."
)


class Split(NamedTuple):
    """Training and validation rows of a fit (labels encoded, group codes)."""

    train_indices: np.ndarray  # rows of X the model is trained on
    X_train: object
    y_train: np.ndarray
    g_train: np.ndarray
    w_train: object  # the user's sample weights of the training rows, or None
    X_val: object
    y_val: np.ndarray
    g_val: np.ndarray


def codes_of(sensitive_features, n_rows, names):
    """Group codes of validation rows in the code order of the training groups."""
    codes, val_names = check_sensitive_features(sensitive_features, n_rows, min_groups=1)
    lookup = {name: code for code, name in enumerate(names)}
    mapped = np.array([lookup.get(name, -1) for name in val_names], dtype=np.int64)
    if (mapped < 0).any():
        unseen = [name for name, m in zip(val_names, mapped, strict=True) if m < 0]
        raise ValueError(f"sensitive_features_val holds groups {unseen} not seen in training.")
    return mapped[codes]


def held_out_split(groups, y, fraction, seed):
    """Training and validation row indices, stratified by group × label.

    Every group × label cell, and every group, with two rows or more has at
    least one row on each side; a cell of one row stays where the stratified
    split puts it.
    """
    indices = np.arange(len(y))
    strata = groups * 2 + y
    counts = np.bincount(strata)
    stratify = strata if counts[counts > 0].min() >= 2 else None
    try:
        train_idx, val_idx = train_test_split(
            indices, test_size=fraction, stratify=stratify, random_state=seed
        )
    except ValueError:  # fewer validation rows than cells: the fix-up below covers them
        train_idx, val_idx = train_test_split(indices, test_size=fraction, random_state=seed)
    in_val = np.zeros(len(y), dtype=bool)
    in_val[val_idx] = True
    moved = False
    cells = [strata == cell for cell in np.flatnonzero(counts >= 2)]
    cells += [groups == group for group in np.unique(groups)]  # groups of 1-row cells
    for cell in cells:
        rows = np.flatnonzero(cell)
        n_val = int(in_val[rows].sum())
        if len(rows) >= 2 and (n_val == 0 or n_val == len(rows)):
            in_val[rows[0]] = not in_val[rows[0]]
            moved = True
    if moved:  # keep the split's order, moved rows last
        train_first, val_first = (
            np.concatenate([train_idx, val_idx]),
            np.concatenate([val_idx, train_idx]),
        )
        train_idx, val_idx = train_first[~in_val[train_first]], val_first[in_val[val_first]]
    return train_idx, val_idx
