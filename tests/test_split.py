"""The validation split (skfair_ij/_split.py): held-out rows that really are held
out, every group × label cell on both sides, group codes of validation rows."""

import numpy as np
import pytest

from skfair_ij._split import codes_of, held_out_split


def test_every_cell_of_two_rows_or_more_is_on_both_sides():
    rng = np.random.default_rng(0)
    groups = np.r_[np.zeros(200, int), np.ones(6, int), np.full(2, 2)]
    y = np.r_[rng.integers(0, 2, 200), [0, 0, 0, 1, 1, 1], [0, 1]]
    train, val = held_out_split(groups, y, 0.3, seed=0)
    assert len(np.intersect1d(train, val)) == 0
    assert len(train) + len(val) == len(y)
    for g in (0, 1):
        for label in (0, 1):
            cell = np.flatnonzero((groups == g) & (y == label))
            assert np.isin(cell, train).any() and np.isin(cell, val).any()
    # group 2 has two rows of one-row cells: one row on each side
    assert np.isin(np.flatnonzero(groups == 2), val).sum() == 1
    np.testing.assert_array_equal(held_out_split(groups, y, 0.3, seed=0)[0], train)


def test_validation_codes_follow_the_training_groups():
    names = np.array(["a", "b", "c"], dtype=object)
    np.testing.assert_array_equal(codes_of(["c", "a", "c"], 3, names), [2, 0, 2])
    with pytest.raises(ValueError, match=r"groups \['z'\] not seen in training"):
        codes_of(["a", "z"], 2, names)
