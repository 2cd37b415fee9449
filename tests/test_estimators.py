"""scikit-learn contract and behaviour of FairIJClassifier and FairReweighter."""

import pickle

import numpy as np
import pandas as pd
import pytest
import sklearn
from sklearn.base import clone
from sklearn.compose import ColumnTransformer
from sklearn.ensemble import HistGradientBoostingClassifier
from sklearn.frozen import FrozenEstimator
from sklearn.linear_model import LogisticRegression, SGDClassifier
from sklearn.model_selection import GridSearchCV
from sklearn.neighbors import KNeighborsClassifier
from sklearn.pipeline import Pipeline
from sklearn.preprocessing import OneHotEncoder, StandardScaler
from sklearn.utils.estimator_checks import parametrize_with_checks

from skfair_ij import FairIJClassifier, FairReweighter, OneSE
from skfair_ij.datasets import make_biased_classification
from skfair_ij.influence import CG, Exact
from skfair_ij.metrics import DemographicParity, demographic_parity_difference, make_fairness_scorer
from skfair_ij.weighting import FairIJ, IJack


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


@pytest.fixture(scope="module")
def biased():
    # one draw of the problem (the coefficients depend on random_state), split in two
    X, y, s = make_biased_classification(2500, 5, bias=2.0, random_state=0)
    return X[:1500], y[:1500], s[:1500], X[1500:], y[1500:], s[1500:]


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


def test_ij_edit_agrees_with_weighted_refit(biased):
    X, y, s, Xv, yv, sv = biased
    base = LogisticRegression(C=1.0, tol=1e-10, max_iter=1000)
    kw = dict(sensitive_features=s, X_val=Xv, y_val=yv, sensitive_features_val=sv)
    exact = Exact(damping=0.0)
    probe = FairIJClassifier(base, solver=exact, weighting=IJack(lambdas=[0.0])).fit(X, y, **kw)
    lam = 0.05 / np.abs(probe.influences_).max()  # ‖w − 1‖∞ = 0.05
    clf = FairIJClassifier(base, solver=exact, weighting=IJack(lambdas=[lam])).fit(X, y, **kw)
    assert clf.lambda_ == pytest.approx(lam)
    assert np.abs(clf.sample_weight_ - 1).max() == pytest.approx(0.05)
    refit = clone(base).fit(X, y, sample_weight=clf.sample_weight_)
    theta0 = np.r_[clf.initial_estimator_.coef_.ravel(), clf.initial_estimator_.intercept_]
    edited = np.r_[clf.estimator_.coef_.ravel(), clf.estimator_.intercept_]
    actual = np.r_[refit.coef_.ravel(), refit.intercept_]
    assert np.linalg.norm(edited - actual) <= 0.05 * np.linalg.norm(actual - theta0)
    # with a larger λ both the edit and the refit lower the validation gap
    big = FairIJClassifier(base, solver=exact, weighting=IJack(lambdas=[20 * lam]))
    big.fit(X, y, **kw)
    refit_big = clone(base).fit(X, y, sample_weight=np.clip(big.sample_weight_, 0, None))
    gap0 = demographic_parity_difference(
        yv, big.initial_estimator_.predict(Xv), sensitive_features=sv
    )
    assert demographic_parity_difference(yv, big.predict(Xv), sensitive_features=sv) < gap0
    assert demographic_parity_difference(yv, refit_big.predict(Xv), sensitive_features=sv) < gap0


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


def test_prefit_and_frozen_estimator(biased):
    X, y, s, Xv, yv, sv = biased
    base = LogisticRegression().fit(X, y)
    kw = dict(sensitive_features=s, X_val=Xv, y_val=yv, sensitive_features_val=sv)
    a = FairIJClassifier(base, prefit=True).fit(X, y, **kw)
    b = FairIJClassifier(FrozenEstimator(base)).fit(X, y, **kw)
    np.testing.assert_array_equal(a.initial_estimator_.coef_, base.coef_)
    np.testing.assert_allclose(a.predict_proba(Xv), b.predict_proba(Xv))


def test_sgd_classifier_and_string_labels(biased):
    X, y, s, *_ = biased
    labels = np.where(y == 1, "high", "low")
    clf = FairIJClassifier(SGDClassifier(loss="log_loss", random_state=0), random_state=0)
    clf.fit(X, labels, sensitive_features=s)
    assert set(clf.predict(X)) <= {"high", "low"}
    assert list(clf.classes_) == ["high", "low"]


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


def test_reweighter_with_proxy_and_resampling(biased):
    X, y, s, Xv, yv, sv = biased
    kw = dict(sensitive_features=s, X_val=Xv, y_val=yv, sensitive_features_val=sv)
    rw = FairReweighter(
        HistGradientBoostingClassifier(max_iter=30, random_state=0),
        influence_estimator=LogisticRegression(),
        weighting="fair_ij",
    ).fit(X, y, **kw)
    assert isinstance(rw.estimator_, HistGradientBoostingClassifier)
    assert set(np.unique(rw.sample_weight_)) <= {0.0, 1.0}
    resampler = FairReweighter(weighting="drop_upweight", random_state=0)
    X_res, y_res = resampler.fit_resample(X, y, sensitive_features=s)
    assert X_res.shape[1] == X.shape[1] and len(X_res) == len(y_res)
    # the rows really are resampled: dropped rows gone, up-weighted rows twice
    w = resampler.sample_weight_
    assert resampler.lambda_ > 0 and (w != 1).any()
    assert len(X_res) == int(w.sum())
    rows = resampler.train_indices_
    np.testing.assert_array_equal(X_res, np.repeat(X[rows], w.astype(int), axis=0))
    two_rounds = FairReweighter(n_rounds=2, random_state=0).fit(X, y, sensitive_features=s)
    assert len(two_rounds.lambdas_) == 2


@pytest.mark.parametrize("weighting", ["fair_ij", "ijack"])
def test_reweighter_selects_lambda_by_refits(biased, weighting):
    """refit_candidates=k refits at λ=0 and k multiples of the IJ-selected λ,
    scores the refits on validation data and keeps the selected one."""
    X, y, s, Xv, yv, sv = biased
    kw = dict(sensitive_features=s, X_val=Xv, y_val=yv, sensitive_features_val=sv)
    ij = FairReweighter(LogisticRegression(), weighting=weighting).fit(X, y, **kw)
    assert ij.refit_path_ is None
    rw = FairReweighter(LogisticRegression(), weighting=weighting, refit_candidates=3)
    rw.fit(X, y, **kw)
    refits = rw.refit_path_
    assert refits["lambda"][0] == 0 and 3 <= len(refits["lambda"]) <= 4
    assert np.all(np.diff(refits["lambda"]) > 0)
    assert ij.lambda_ in refits["lambda"] and refits["lambda"].max() > ij.lambda_
    chosen = int(np.flatnonzero(refits["lambda"] == rw.lambda_)[0])
    # the kept model is the refit with the final weights, scored as recorded
    again = LogisticRegression().fit(X, y, sample_weight=rw.sample_weight_)
    np.testing.assert_allclose(again.coef_, rw.estimator_.coef_, rtol=1e-6)
    gap = demographic_parity_difference(yv, rw.predict(Xv), sensitive_features=sv)
    assert gap == pytest.approx(refits["val_gap"][chosen])
    assert gap < demographic_parity_difference(
        yv, LogisticRegression().fit(X, y).predict(Xv), sensitive_features=sv
    )
    with pytest.raises(ValueError, match="refit_candidates"):
        FairReweighter(refit_candidates=0).fit(X, y, sensitive_features=s)


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


def test_ijack_weights_match_the_rule(biased):
    X, y, s, Xv, yv, sv = biased
    kw = dict(sensitive_features=s, X_val=Xv, y_val=yv, sensitive_features_val=sv)
    clf = FairIJClassifier(weighting=IJack(n_steps=1)).fit(X, y, **kw)
    np.testing.assert_allclose(clf.sample_weight_, 1 - clf.lambda_ * clf.influences_)
    fixed = FairIJClassifier(weighting=FairIJ(lambdas=[clf.lambda_])).fit(X, y, **kw)
    np.testing.assert_array_equal(
        fixed.sample_weight_, (clf.influences_ <= 1 / clf.lambda_).astype(float)
    )


@pytest.mark.parametrize("update", ["jackknife", "fisher"])
@pytest.mark.parametrize("n_steps", [1, 3])
def test_equalized_odds_terms_as_constraints(biased, n_steps, update):
    from skfair_ij.metrics import equalized_odds_difference

    X, y, s = make_biased_classification(2500, 5, bias=1.0, proxy_strength=2.0, random_state=0)
    X, y, s, Xv, yv, sv = X[:1500], y[:1500], s[:1500], X[1500:], y[1500:], s[1500:]
    kw = dict(sensitive_features=s, X_val=Xv, y_val=yv, sensitive_features_val=sv)
    clf = FairIJClassifier(
        fairness="equalized_odds",
        weighting=IJack(n_steps=n_steps, update=update),
        selection=OneSE(tolerance=0.05),
    )
    clf.fit(X, y, **kw)
    before = equalized_odds_difference(
        yv, clf.initial_estimator_.predict(Xv), sensitive_features=sv
    )
    after = equalized_odds_difference(yv, clf.predict(Xv), sensitive_features=sv)
    assert after < 0.5 * before
    assert clf.path_["step"].max() < n_steps
    assert np.all(np.diff(clf.path_["lambda"]) >= 0)


def test_reweighter_refits_a_skorch_net(biased):
    import torch
    from skorch import NeuralNetBinaryClassifier

    from skfair_ij.benchmark import SeluMLP

    X, y, s, Xv, yv, sv = biased
    X, Xv = X.astype(np.float32), Xv.astype(np.float32)
    torch.manual_seed(0)
    net = NeuralNetBinaryClassifier(
        SeluMLP,
        module__n_features=5,
        module__n_hidden=16,
        max_epochs=5,
        lr=0.05,
        train_split=None,
        verbose=0,
    )
    rw = FairReweighter(net, solver=CG(damping=3e-2)).fit(
        X, y, sensitive_features=s, X_val=Xv, y_val=yv, sensitive_features_val=sv
    )
    assert isinstance(rw.estimator_, NeuralNetBinaryClassifier)
    assert rw.sample_weight_.shape == (len(X),) and rw.sample_weight_.min() >= 0
    before = demographic_parity_difference(
        yv, rw.initial_estimator_.predict(Xv), sensitive_features=sv
    )
    after = demographic_parity_difference(yv, rw.predict(Xv), sensitive_features=sv)
    assert after < before
    assert net.get_params()["max_epochs"] == 5 and not hasattr(net, "module_")


def test_models_without_gradients(biased):
    """FairIJClassifier names the way out; FairReweighter takes a proxy by itself."""
    X, y, s, Xv, yv, sv = biased
    kw = dict(sensitive_features=s, X_val=Xv, y_val=yv, sensitive_features_val=sv)
    boosting = HistGradientBoostingClassifier(max_iter=30, random_state=0)
    with pytest.raises(TypeError, match="use FairReweighter.*influence_estimator"):
        FairIJClassifier(boosting).fit(X, y, **kw)
    rw = FairReweighter(boosting, weighting="fair_ij", verbose=1, random_state=0).fit(X, y, **kw)
    assert isinstance(rw.influence_estimator_, LogisticRegression)
    assert isinstance(rw.estimator_, HistGradientBoostingClassifier)
    assert isinstance(rw.initial_estimator_, LogisticRegression)
    assert (rw.sample_weight_ == 0).any()


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


def test_reweighter_refits_a_skorch_net_with_its_callbacks(biased):
    """A net with its own validation split, EarlyStopping and a learning-rate
    schedule refits with the weights: the sampler draws from the net's training
    part, the callbacks see the validation loss and step the schedule."""
    import torch
    from skorch import NeuralNetBinaryClassifier
    from skorch.callbacks import EarlyStopping, LRScheduler

    from skfair_ij.benchmark import SeluMLP

    X, y, s, *_ = biased
    X = X.astype(np.float32)
    torch.manual_seed(0)
    net = NeuralNetBinaryClassifier(
        SeluMLP,
        module__n_features=X.shape[1],
        module__n_hidden=16,
        max_epochs=5,
        verbose=0,
        lr=0.05,
        callbacks=[
            EarlyStopping(patience=2),
            LRScheduler(policy=torch.optim.lr_scheduler.StepLR, step_size=1, gamma=0.5),
        ],
    )
    rw = FairReweighter(net, random_state=0).fit(X, y, sensitive_features=s)
    history = rw.estimator_.history
    assert "valid_loss" in history[-1] and rw.fit_status_ == "edited"
    last_lr = rw.estimator_.optimizer_.param_groups[0]["lr"]
    assert last_lr == pytest.approx(0.05 * 0.5 ** len(history))  # the schedule ran
    assert set(np.unique(rw.predict(X))) <= {0, 1}
