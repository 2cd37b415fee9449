"""What the option objects share (skfair_ij/_options.py): settings validated as
scikit-learn parameters, a registry name standing for the object."""

import pytest

from skfair_ij import MaxGap, OneSE
from skfair_ij._options import resolve
from skfair_ij.path import SELECTIONS, Selection


def test_a_name_stands_for_the_object_with_its_defaults():
    resolved = resolve("one_se", Selection, SELECTIONS, "selection")
    assert isinstance(resolved, OneSE) and resolved.get_params() == OneSE().get_params()
    target = MaxGap(0.05)
    assert resolve(target, Selection, SELECTIONS, "selection") is target


def test_bad_settings_and_names_are_named():
    with pytest.raises(ValueError, match="max_gap"):
        resolve(MaxGap(-1.0), Selection, SELECTIONS, "selection")
    with pytest.raises(ValueError, match=r"selection must be one of \('one_se'"):
        resolve("best", Selection, SELECTIONS, "selection")
