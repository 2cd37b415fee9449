"""The scikit-learn contract and the behaviour both estimators share (skfair_ij/_base.py)."""

import pickle

import numpy as np
import pandas as pd
import pytest
import sklearn
from sklearn.base import clone
from sklearn.compose import ColumnTransformer
from sklearn.frozen import FrozenEstimator
from sklearn.linear_model import LogisticRegression
from sklearn.model_selection import GridSearchCV
from sklearn.neighbors import KNeighborsClassifier
from sklearn.pipeline import Pipeline
from sklearn.preprocessing import OneHotEncoder, StandardScaler
from sklearn.utils.estimator_checks import parametrize_with_checks

from skfair_ij import FairIJClassifier, FairReweighter, OneSE
from skfair_ij.datasets import make_biased_classification
from skfair_ij.metrics import DemographicParity, demographic_parity_difference, make_fairness_scorer
from skfair_ij.weighting import IJack


def sign_of_first_column(X):
    """Groups for scikit-learn's estimator checks: the sign of the first feature.

    The checks call ``fit(X, y)`` without sensitive features; this documented
    configuration (``sensitive_column=sign_of_first_column``) derives them from X.
    """
    first = X[:, [0]].toarray().ravel() if hasattr(X, "toarray") else np.asarray(X)[:, 0]
    return (first > np.median(first)).astype(int)


SPLIT_DEPENDS_ON_ROWS = (
    "the held-out validation split is drawn from the rows present, so dropping rows "
    "differs from giving them zero weight"
)


def _derived_groups_failures(estimator):
    return {
        "check_sample_weight_equivalence_on_dense_data": SPLIT_DEPENDS_ON_ROWS,
        "check_sample_weight_equivalence_on_sparse_data": SPLIT_DEPENDS_ON_ROWS,
    }


# Groups derived from X: every check runs; the one expected failure has its reason.
@parametrize_with_checks(
    [
        FairIJClassifier(sensitive_column=sign_of_first_column, random_state=0),
        FairIJClassifier(
            sensitive_column=sign_of_first_column, weighting="fair_ij", random_state=0
        ),
        FairReweighter(sensitive_column=sign_of_first_column, random_state=0),
    ],
    expected_failed_checks=_derived_groups_failures,
)
def test_sklearn_compatible(estimator, check):
    check(estimator)


NEEDS_GROUPS = "fit(X, y) without sensitive_features: the gap needs groups (a clear error)"
ORDINARY_FAILURES = {
    name: NEEDS_GROUPS
    for name in (
        "check_all_zero_sample_weights_error",
        "check_classifier_data_not_an_array",
        "check_classifiers_classes",
        "check_classifiers_one_label_sample_weights",
        "check_classifiers_train",
        "check_decision_proba_consistency",
        "check_dict_unchanged",
        "check_dont_overwrite_parameters",
        "check_dtype_object",
        "check_estimators_dtypes",
        "check_estimators_fit_returns_self",
        "check_estimators_nan_inf",
        "check_estimators_overwrite_params",
        "check_estimators_pickle",
        "check_estimator_sparse_array",
        "check_estimator_sparse_matrix",
        "check_estimator_sparse_tag",
        "check_f_contiguous_array_estimator",
        "check_fit2d_1feature",
        "check_fit2d_predict1d",
        "check_fit_check_is_fitted",
        "check_fit_idempotent",
        "check_fit_score_takes_y",
        "check_methods_sample_order_invariance",
        "check_methods_subset_invariance",
        "check_n_features_in",
        "check_n_features_in_after_fitting",
        "check_pipeline_consistency",
        "check_positive_only_tag_during_fit",
        "check_readonly_memmap_input",
        "check_sample_weight_equivalence_on_dense_data",
        "check_sample_weight_equivalence_on_sparse_data",
        "check_sample_weights_list",
        "check_sample_weights_not_an_array",
        "check_sample_weights_not_overwritten",
        "check_sample_weights_pandas_series",
        "check_sample_weights_shape",
        "check_supervised_y_2d",
        "check_classifier_multioutput",
        "check_classifiers_multilabel_output_format_decision_function",
        "check_classifiers_multilabel_output_format_predict",
        "check_classifiers_multilabel_output_format_predict_proba",
    )
}


def _ordinary_failures(estimator):
    return ORDINARY_FAILURES


# The ordinary configuration (groups passed to fit): every check that calls
# fit(X, y) alone gets the error that asks for sensitive_features.
@parametrize_with_checks(
    [FairIJClassifier(random_state=0), FairReweighter(random_state=0)],
    expected_failed_checks=_ordinary_failures,
)
def test_sklearn_compatible_ordinary(estimator, check):
    check(estimator)


ESTIMATORS = [FairIJClassifier, FairReweighter]
RULES = ["ijack", "simjack", "fair_ij", "drop_upweight"]
RULE_SETTINGS = [dict(weighting=rule) for rule in RULES] + [
    dict(weighting=IJack(update="fisher")),
    dict(weighting=IJack(update="fisher"), fairness=DemographicParity(gap_data="validation")),
    dict(weighting="fair_ij", fairness=DemographicParity(gap_data="validation")),
]


@pytest.mark.parametrize("Estimator", ESTIMATORS)
@pytest.mark.parametrize("setting", RULE_SETTINGS, ids=lambda d: "-".join(map(str, d.values())))
def test_rules_lower_validation_gap(biased, Estimator, setting):
    X, y, s, Xv, yv, sv = biased
    est = Estimator(LogisticRegression(), random_state=0, **setting)
    est.fit(X, y, sensitive_features=s, X_val=Xv, y_val=yv, sensitive_features_val=sv)
    before = demographic_parity_difference(
        yv, est.initial_estimator_.predict(Xv), sensitive_features=sv
    )
    after = demographic_parity_difference(yv, est.predict(Xv), sensitive_features=sv)
    assert after < before
    assert est.influences_.shape == (len(X),) == est.sample_weight_.shape
    assert np.all(est.train_indices_ == np.arange(len(X)))
    assert isinstance(est.estimator_, LogisticRegression)
    assert set(est.path_) >= {"lambda", "val_accuracy", "val_gap", "val_demographic_parity"}
    assert est.lambda_ == est.path_["lambda"][est.best_index_]


def test_clone_params_pickle_and_determinism(biased):
    X, y, s, *_ = biased
    clf = FairIJClassifier(LogisticRegression(), weighting="simjack", random_state=3)
    assert clone(clf).get_params()["weighting"] == "simjack"
    clf.set_params(estimator__C=0.5, selection=OneSE(tolerance=0.02))
    clf.set_params(selection__tolerance=0.05)  # nested parameters of the option objects
    assert clf.estimator.C == 0.5 and clf.selection.tolerance == 0.05
    clf.fit(X, y, sensitive_features=s)
    restored = pickle.loads(pickle.dumps(clf))
    np.testing.assert_array_equal(restored.predict(X), clf.predict(X))
    np.testing.assert_array_equal(restored.predict_proba(X), clf.predict_proba(X))
    again = clone(clf).fit(X, y, sensitive_features=s)
    np.testing.assert_array_equal(again.influences_, clf.influences_)
    np.testing.assert_array_equal(again.predict_proba(X), clf.predict_proba(X))
    other = clone(clf).set_params(random_state=4).fit(X, y, sensitive_features=s)
    assert not np.array_equal(other.train_indices_, clf.train_indices_)


@pytest.mark.parametrize("Estimator", ESTIMATORS)
def test_inputs_and_estimator_not_mutated(biased, Estimator):
    X, y, s, Xv, yv, sv = biased
    base = LogisticRegression().fit(X, y)
    coef = base.coef_.copy()
    X_copy, y_copy, s_copy = X.copy(), y.copy(), s.copy()
    params = base.get_params()
    Estimator(FrozenEstimator(base), random_state=0).fit(
        X, y, sensitive_features=s, X_val=Xv, y_val=yv, sensitive_features_val=sv
    )
    np.testing.assert_array_equal(base.coef_, coef)
    assert base.get_params() == params
    np.testing.assert_array_equal(X, X_copy)
    np.testing.assert_array_equal(y, y_copy)
    np.testing.assert_array_equal(s, s_copy)


def _frame(X, s):
    frame = pd.DataFrame(X, columns=[f"x{i}" for i in range(X.shape[1])])
    frame["sex"] = np.where(s == 1, "F", "M")
    frame["colour"] = np.random.default_rng(0).choice(["red", "blue"], len(X))
    return frame


def test_pipeline_grid_search_with_routing(biased):
    X, y, s, *_ = biased
    frame = _frame(X, s)
    prep = ColumnTransformer(
        [
            ("num", StandardScaler(), [f"x{i}" for i in range(5)]),
            ("cat", OneHotEncoder(), ["colour"]),
        ]
    )
    pipe = Pipeline([("prep", prep), ("clf", FairIJClassifier(random_state=0))])
    with sklearn.config_context(enable_metadata_routing=True):
        search = GridSearchCV(
            pipe,
            {
                "clf__weighting": ["ijack", "fair_ij"],
                "clf__fairness": ["demographic_parity", "equalized_odds"],
            },
            scoring={"accuracy": "accuracy", "dp": make_fairness_scorer()},
            refit="accuracy",
            cv=3,
        )
        search.fit(frame, y, sensitive_features=frame["sex"])
    assert search.cv_results_["mean_test_dp"].shape == (4,)
    assert np.all(search.cv_results_["mean_test_accuracy"] > 0.6)
    assert search.predict(frame).shape == (len(frame),)


def test_sensitive_column_by_name_and_dropped(biased):
    X, y, s, *_ = biased
    frame = _frame(X, s).drop(columns=["colour"])
    frame["sex"] = s
    clf = FairIJClassifier(sensitive_column="sex", drop_sensitive=True, random_state=0)
    clf.fit(frame, y)
    assert clf.n_features_in_ == 5
    assert list(clf.feature_names_in_) == [f"x{i}" for i in range(5)]
    assert clf.predict(frame).shape == (len(frame),)
    keep = FairIJClassifier(sensitive_column=5, random_state=0).fit(np.c_[X, s], y)
    assert keep.n_features_in_ == 6


def test_bad_input_messages(biased):
    X, y, s, *_ = biased
    with pytest.raises(ValueError, match="Only binary classification"):
        FairIJClassifier().fit(X, np.arange(len(X)) % 3, sensitive_features=s)
    with pytest.raises(ValueError, match="single group"):
        FairIJClassifier().fit(X, y, sensitive_features=np.zeros(len(X)))
    with pytest.raises(ValueError, match="sensitive_features is required"):
        FairIJClassifier().fit(X, y)
    with pytest.raises(ValueError, match="Inconsistent lengths: sensitive_features"):
        FairIJClassifier().fit(X, y, sensitive_features=s[:-3])
    with pytest.raises(ValueError, match="inconsistent numbers of samples"):
        FairIJClassifier().fit(X, y[:-3], sensitive_features=s)
    with pytest.raises(TypeError, match="does not accept sample_weight"):
        FairReweighter(KNeighborsClassifier()).fit(X, y, sensitive_features=s)
    with pytest.raises(TypeError, match="KNeighborsClassifier is not supported"):
        FairIJClassifier(KNeighborsClassifier()).fit(X, y, sensitive_features=s)
    with pytest.raises(ValueError, match="lambdas is empty"):
        FairIJClassifier(weighting=IJack(lambdas=[])).fit(X, y, sensitive_features=s)
    with pytest.raises(ValueError, match="non-negative"):
        FairIJClassifier(weighting=IJack(lambdas=[-1.0, 2.0])).fit(X, y, sensitive_features=s)
    with pytest.raises(ValueError, match="'weighting' parameter of FairIJClassifier"):
        FairIJClassifier(weighting="drop").fit(X, y, sensitive_features=s)
    with pytest.raises(ValueError, match="only X_val"):
        FairIJClassifier().fit(X, y, sensitive_features=s, X_val=X)
    with pytest.raises(ValueError, match="'update' parameter of IJack"):
        FairIJClassifier(weighting=IJack(update="newton")).fit(X, y, sensitive_features=s)
    with pytest.raises(ValueError, match="'gap_data' parameter of DemographicParity"):
        FairIJClassifier(fairness=DemographicParity(gap_data="train")).fit(
            X, y, sensitive_features=s
        )
    with pytest.raises(ValueError, match="'n_rounds' parameter of FairReweighter"):
        FairReweighter(n_rounds=0).fit(X, y, sensitive_features=s)


def test_dropped_sensitive_column_is_optional_at_predict():
    import pandas as pd

    X, y, s = make_biased_classification(1000, 4, bias=2.0, proxy_strength=2.0, random_state=0)
    frame = pd.DataFrame(X, columns=["a", "b", "c", "d"]).assign(group=s)
    clf = FairIJClassifier(sensitive_column="group", drop_sensitive=True, random_state=0)
    clf.fit(frame, y)
    np.testing.assert_array_equal(clf.predict(frame), clf.predict(frame.drop(columns="group")))


@pytest.mark.parametrize("Estimator", ESTIMATORS)
def test_string_labels_are_spoken_back(biased, Estimator):
    import sklearn
    from sklearn.model_selection import cross_validate

    X, y, s, *_ = biased
    labels = np.where(y == 1, "yes", "no")
    est = Estimator(random_state=0).fit(X, labels, sensitive_features=s)
    assert list(est.classes_) == ["no", "yes"]
    for model in (est, est.initial_estimator_, est.estimator_):
        assert set(np.unique(model.predict(X))) <= {"no", "yes"}
    numeric = Estimator(random_state=0).fit(X, y, sensitive_features=s)
    np.testing.assert_array_equal(est.predict(X) == "yes", numeric.predict(X) == 1)
    with sklearn.config_context(enable_metadata_routing=True):
        scores = cross_validate(
            Estimator(random_state=0).set_fit_request(sensitive_features=True),
            X,
            labels,
            params={"sensitive_features": s},
            scoring={"dp": make_fairness_scorer()},
            cv=2,
        )
    assert np.all(np.isfinite(scores["test_dp"]))
