"""The selection rules (skfair_ij/_selection.py): which point of a path each picks,
and what the outcome says."""

import numpy as np
import pytest
from sklearn.base import clone

from skfair_ij import MaxGap, MinGap, OneSE, WithinTolerance
from skfair_ij.path import CustomSelection, check_selection


def _path(**columns):
    n = len(columns["lambda"])
    base = {"val_gap_se": np.full(n, 0.01), "val_positive_rate": np.full(n, 0.3)}
    return {**base, **{k: np.asarray(v, dtype=float) for k, v in columns.items()}}


def test_max_gap_picks_the_most_accurate_point_below_it():
    path = _path(
        **{
            "lambda": [0.0, 1.0, 2.0, 3.0],
            "val_accuracy": [0.90, 0.89, 0.885, 0.80],
            "val_gap": [0.30, 0.12, 0.04, 0.01],
        }
    )
    assert MaxGap(0.15).select(path) == 1
    assert MaxGap(0.05).select(path) == 2
    assert MaxGap(0.05).outcome(path, 2)[0] == "edited"
    # a target is a constraint: reached whatever the accuracy it costs
    assert MaxGap(0.02).select(path) == 3
    assert MaxGap(0.02).outcome(path, 3)[0] == "edited"
    # with an accuracy budget that binds: the closest point within it, and a status
    # that says the budget bound the fit
    index = MaxGap(0.02, max_cost=0.02).select(path)
    assert index == 2
    status, message = MaxGap(0.02, max_cost=0.02).outcome(path, index)
    assert status == "accuracy_budget" and "max_cost=0.02" in message
    assert MaxGap(0.02, max_cost=0.5).select(path) == 3
    # out of the path's reach: the path bound it
    index = MaxGap(0.001).select(path)
    status, message = MaxGap(0.001).outcome(path, index)
    assert index == 3 and status == "target_not_reached" and "max_gap=0.001" in message
    # already fair enough: the unedited model
    assert MaxGap(0.4).select(path) == 0
    assert MaxGap(0.4).outcome(path, 0)[0] == "gap_already_small"


def test_rules_and_the_constant_model_warning():
    path = _path(
        **{
            "lambda": [0.0, 1.0, 2.0],
            "val_accuracy": [0.8, 0.79, 0.75],
            "val_gap": [0.2, 0.1, 0.0],
            "val_gap_se": [0.01, 0.15, 0.01],
            "val_positive_rate": [0.3, 0.2, 0.0],
        }
    )
    assert WithinTolerance(0.02).select(path) == 1
    assert OneSE(0.02).select(path) == 0  # 0.2 is within 0.1 + 0.15
    with pytest.warns(UserWarning, match="single class"):
        assert MinGap().select(path) == 2
    assert MinGap().min_accuracy(0.8) is None  # every point is a candidate
    assert OneSE(0.02).min_accuracy(0.8) == pytest.approx(0.78)


def test_the_compared_gap_is_named():
    path = _path(
        **{
            "lambda": [0.0, 1.0, 2.0],
            "val_accuracy": [0.8, 0.79, 0.79],
            "val_gap": [0.2, 0.05, 0.1],
            "pooled_gap": [0.2, 0.1, 0.05],
            "pooled_gap_se": [0.01, 0.01, 0.01],
        }
    )
    assert OneSE(0.02).select(path) == 1
    assert OneSE(0.02).select(path, gap="pooled_gap") == 2


def test_outcomes_of_an_unedited_selection():
    # lower gaps exist, but only beyond the tolerance
    costly = _path(**{"lambda": [0.0, 1.0], "val_accuracy": [0.9, 0.8], "val_gap": [0.3, 0.05]})
    assert OneSE(0.02).select(costly) == 0
    status, message = OneSE(0.02).outcome(costly, 0)
    assert status == "accuracy_cost" and "tolerance=0.02" in message
    # nothing beyond the noise
    flat = _path(**{"lambda": [0.0, 1.0], "val_accuracy": [0.9, 0.9], "val_gap": [0.3, 0.295]})
    assert OneSE(0.02).outcome(flat, 0)[0] == "no_improvement"
    small = _path(**{"lambda": [0.0, 1.0], "val_accuracy": [0.9, 0.9], "val_gap": [0.01, 0.0]})
    assert OneSE(0.02).outcome(small, 0)[0] == "gap_already_small"


def test_strings_callables_and_errors():
    assert isinstance(check_selection("one_se"), OneSE)
    assert isinstance(check_selection("tolerance"), WithinTolerance)
    assert isinstance(check_selection("min_gap"), MinGap)
    custom = check_selection(lambda path: 1)
    assert isinstance(custom, CustomSelection)
    assert custom.select({"lambda": np.zeros(3)}) == 1
    with pytest.raises(ValueError, match="selection must be one of"):
        check_selection("best")
    with pytest.raises(ValueError, match="'tolerance' parameter of OneSE"):
        check_selection(OneSE(tolerance=-1))
    # scikit-learn parameters: cloned, compared by their settings
    expected = {"max_gap": 0.05, "max_cost": 0.1, "randomize": False}
    assert clone(MaxGap(0.05, max_cost=0.1)).get_params() == expected
