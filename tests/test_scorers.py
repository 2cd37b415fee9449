import numpy as np
import pandas as pd
import pytest
import sklearn
from sklearn.compose import ColumnTransformer
from sklearn.linear_model import LogisticRegression
from sklearn.model_selection import GridSearchCV, cross_validate
from sklearn.pipeline import Pipeline
from sklearn.preprocessing import OneHotEncoder, StandardScaler

from skfair_ij.datasets import make_biased_classification
from skfair_ij.metrics import (
    constrained_refit,
    demographic_parity_difference,
    make_fairness_scorer,
)


@pytest.fixture
def routing():
    with sklearn.config_context(enable_metadata_routing=True):
        yield


def _frame_problem(n=600, seed=0):
    X, y, s = make_biased_classification(n, 4, bias=2.0, random_state=seed)
    frame = pd.DataFrame(X, columns=[f"x{i}" for i in range(4)])
    frame["colour"] = np.random.default_rng(seed).choice(["red", "blue", "green"], n)
    return frame, y, s


def _pipeline():
    prep = ColumnTransformer(
        [("num", StandardScaler(), ["x0", "x1", "x2", "x3"]), ("cat", OneHotEncoder(), ["colour"])]
    )
    return Pipeline([("prep", prep), ("clf", LogisticRegression())])


def test_grid_search_with_routed_sensitive_features(routing):
    X, y, s = _frame_problem()
    search = GridSearchCV(
        _pipeline(),
        {"clf__C": [0.001, 0.1, 10.0]},
        scoring={
            "accuracy": "accuracy",
            "dp": make_fairness_scorer("demographic_parity"),
            "eo": make_fairness_scorer("equalized_odds", agg="worst_case"),
        },
        refit=constrained_refit(gap="dp", max_gap=0.5),
        cv=3,
    )
    search.fit(X, y, sensitive_features=s)
    results = search.cv_results_
    assert np.all(results["mean_test_accuracy"] > 0.5)
    assert np.all(results["mean_test_dp"] < 0) and np.all(results["mean_test_dp"] >= -1)
    assert np.all(results["mean_test_eo"] <= 0)
    # the scorer saw the groups of each fold: recompute fold 0 of candidate 0
    assert search.best_index_ in range(3)
    assert hasattr(search, "best_estimator_")


def test_scorer_value_matches_metric(routing):
    X, y, s = _frame_problem()
    model = _pipeline().fit(X, y)
    scorer = make_fairness_scorer("demographic_parity")
    expected = demographic_parity_difference(y, model.predict(X), sensitive_features=s)
    assert scorer(model, X, y, sensitive_features=s) == pytest.approx(-expected)
    raw = make_fairness_scorer("demographic_parity", greater_is_better=True)
    assert raw(model, X, y, sensitive_features=s) == pytest.approx(expected)


def test_cross_validate_routes_per_fold(routing):
    X, y, s = _frame_problem()
    out = cross_validate(
        _pipeline(),
        X,
        y,
        cv=4,
        params={"sensitive_features": s},
        scoring={"dp": make_fairness_scorer()},
    )
    assert out["test_dp"].shape == (4,)


def test_missing_routing_has_clear_error():
    X, y, s = _frame_problem()
    model = _pipeline().fit(X, y)
    scorer = make_fairness_scorer()
    with sklearn.config_context(enable_metadata_routing=True):
        with pytest.raises(ValueError, match="received no sensitive_features"):
            scorer(model, X, y)


def test_unknown_metric():
    with pytest.raises(ValueError, match="Unknown fairness metric"):
        make_fairness_scorer("statistical_parity")


def test_constrained_refit_rules():
    results = {
        "mean_test_accuracy": np.array([0.9, 0.85, 0.8]),
        "mean_test_dp": np.array([-0.2, -0.04, -0.01]),
    }
    assert constrained_refit(max_gap=0.05)(results) == 1
    assert constrained_refit(max_gap=0.5)(results) == 0
    with pytest.warns(UserWarning, match="No candidate"):
        assert constrained_refit(max_gap=0.001)(results) == 2
    with pytest.raises(ValueError, match="mean_test_eo"):
        constrained_refit(gap="eo")(results)
