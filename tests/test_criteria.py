"""Fairness criteria as objects (skfair_ij/metrics/_criteria.py): their cells, soft
values, hard gaps, scorers and the check that validation data can measure them."""

import warnings

import numpy as np
import pytest
import torch

from skfair_ij import FairIJClassifier, FairReweighter
from skfair_ij.datasets import make_biased_classification
from skfair_ij.metrics import (
    DemographicParity,
    EqualizedOdds,
    EqualOpportunity,
    ErrorRateParity,
    demographic_parity_difference,
    equal_opportunity_difference,
    equalized_odds_difference,
    error_rate_difference,
)
from skfair_ij.metrics._criteria import CRITERIA, check_criterion

GROUPS = np.array([0, 0, 1, 1, 2, 2])
Y = np.array([1, 0, 1, 0, 1, 1])


@pytest.mark.parametrize(
    "criterion, cells, shape",
    [
        (DemographicParity(), [0, 0, 1, 1, 2, 2], (3,)),
        (ErrorRateParity(), [0, 0, 1, 1, 2, 2], (3,)),
        (EqualizedOdds(), [1, 0, 3, 2, 5, 5], (3, 2)),
        (EqualOpportunity(), [0, -1, 1, -1, 2, 2], (3,)),
    ],
)
def test_cells_on_numpy_and_torch(criterion, cells, shape):
    got, got_shape = criterion.cells(GROUPS, Y, 3)
    np.testing.assert_array_equal(got, cells)
    assert got_shape == shape
    got_t, _ = criterion.cells(torch.as_tensor(GROUPS), torch.as_tensor(Y, dtype=torch.float64), 3)
    np.testing.assert_array_equal(got_t.numpy(), cells)


def test_soft_values_and_hard_gaps():
    proba = np.array([0.9, 0.2, 0.4, 0.6, 0.5, 0.7])
    np.testing.assert_allclose(DemographicParity().soft_values(proba, Y), proba)
    np.testing.assert_allclose(
        ErrorRateParity().soft_values(proba, Y), np.where(Y, 1 - proba, proba)
    )
    pred = (proba > 0.5).astype(int)
    for criterion, metric in (
        (DemographicParity(), demographic_parity_difference),
        (EqualizedOdds(), equalized_odds_difference),
        (EqualOpportunity(), equal_opportunity_difference),
        (ErrorRateParity(), error_rate_difference),
    ):
        expected = metric(Y, pred, sensitive_features=GROUPS)
        assert criterion.gap(Y, pred, sensitive_features=GROUPS) == expected


def test_unmeasurable_names_the_cell():
    y = np.array([0, 1] * 10)
    groups = np.array([0] * 10 + [1] * 10)
    names, classes = np.array(["a", "b"], dtype=object), np.array(["no", "yes"])
    assert DemographicParity().unmeasurable(y, groups, names, classes, 5) is None
    reason = EqualizedOdds().unmeasurable(y, groups, names, classes, 6)
    assert "group 'a' with label 'no'" in reason and "equalized_odds" in reason
    assert "single class ('yes')" in DemographicParity().unmeasurable(
        np.ones(20, int), groups, names, classes, 5
    )


def test_scorer_routes_the_groups():
    import sklearn
    from sklearn.linear_model import LogisticRegression

    X, y, s = make_biased_classification(400, 3, bias=2.0, random_state=0)
    model = LogisticRegression().fit(X, y)
    scorer = DemographicParity().scorer()
    expected = demographic_parity_difference(y, model.predict(X), sensitive_features=s)
    with sklearn.config_context(enable_metadata_routing=True):
        assert scorer(model, X, y, sensitive_features=s) == pytest.approx(-expected)


def test_names_are_shorthands():
    for name, cls in CRITERIA.items():
        assert isinstance(check_criterion(name), cls) and cls.name == name
    with pytest.raises(ValueError, match="fairness must be one of"):
        check_criterion("parity")
    X, y, s = make_biased_classification(1500, 4, bias=2.0, random_state=0)
    by_name = FairIJClassifier(fairness="equalized_odds", random_state=0).fit(
        X, y, sensitive_features=s
    )
    by_object = FairIJClassifier(fairness=EqualizedOdds(), random_state=0).fit(
        X, y, sensitive_features=s
    )
    np.testing.assert_array_equal(by_name.influences_, by_object.influences_)
    assert by_name.lambda_ == by_object.lambda_
    assert isinstance(by_name.criterion_, EqualizedOdds)


class MyParity(DemographicParity):
    name = "my_parity"


class MyOdds(EqualizedOdds):
    name = "my_odds"


@pytest.mark.parametrize(
    "subclass, parent", [(MyParity, DemographicParity), (MyOdds, EqualizedOdds)]
)
def test_a_criterion_subclass_fits_end_to_end(subclass, parent):
    """A new criterion is one class: its hard gap comes from the rates it
    declares (before, an unknown name raised KeyError in the path's evaluation)."""
    X, y, s = make_biased_classification(1500, 5, bias=2.0, random_state=0)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        mine = FairIJClassifier(fairness=subclass(), random_state=0).fit(X, y, sensitive_features=s)
        theirs = FairIJClassifier(fairness=parent(), random_state=0).fit(X, y, sensitive_features=s)
        FairReweighter(fairness=subclass(), random_state=0).fit(X, y, sensitive_features=s)
    assert mine.lambda_ == theirs.lambda_
    np.testing.assert_array_equal(mine.path_["val_gap"], theirs.path_["val_gap"])


def test_a_criterion_without_rates_is_a_clear_error():
    class Nothing(DemographicParity):
        name = "nothing"
        rates = ()

    with pytest.raises(TypeError, match="declares no rates"):
        Nothing().hard_gap(np.ones((2, 2, 2)))
