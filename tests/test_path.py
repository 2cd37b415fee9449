"""The λ path, its labels and the selection: what the fitted attributes say is what
the fit did, the user's target, and no silent outcome."""

import pickle
import warnings

import numpy as np
import pytest
import torch
from sklearn.linear_model import LogisticRegression

from skfair_ij import (
    FairIJClassifier,
    FairnessWarning,
    FairReweighter,
    LambdaPath,
    MaxGap,
    OneSE,
)
from skfair_ij.datasets import make_biased_classification
from skfair_ij.metrics import DemographicParity, demographic_parity_difference
from skfair_ij.weighting import DropUpweight, FairIJ


@pytest.fixture(scope="module")
def strong():
    """The reproducer of the discrete path's labels: strong bias, strong proxy."""
    return make_biased_classification(3000, 5, bias=3.0, proxy_strength=3.0, random_state=0)


def _theta(model):
    return np.append(model.coef_.ravel(), model.intercept_)


# ---------------------------------------------------------------- discrete path labels
@pytest.mark.parametrize("weighting", ["fair_ij", "drop_upweight"])
def test_discrete_path_is_indexed_by_the_size_of_its_edit(strong, weighting):
    X, y, s = strong
    clf = FairIJClassifier(weighting=weighting, random_state=0).fit(X, y, sensitive_features=s)
    path = clf.path_
    assert np.all(np.diff(path["lambda"]) > 0)  # λ grows strictly with the edit
    assert np.all(np.diff(path["n_changed"]) > 0)
    assert path["lambda"][0] == 0 and path["n_changed"][0] == 0
    # lambda_, sample_weight_ and estimator_ describe the same point
    k = clf.best_index_
    assert clf.lambda_ == path["lambda"][k]
    assert np.sum(clf.sample_weight_ != 1) == path["n_changed"][k]
    assert (clf.lambda_ > 0) == (path["n_changed"][k] > 0)
    if clf.lambda_ == 0:
        np.testing.assert_array_equal(_theta(clf.estimator_), _theta(clf.initial_estimator_))
    # the edit is the IJ estimate of the refit with sample_weight_
    rule = {"fair_ij": FairIJ, "drop_upweight": DropUpweight}[weighting]
    ij = FairIJClassifier(weighting=rule(lambdas=[clf.lambda_]), random_state=0)
    ij.fit(X, y, sensitive_features=s)
    np.testing.assert_array_equal(ij.sample_weight_, clf.sample_weight_)
    np.testing.assert_allclose(_theta(ij.estimator_), _theta(clf.estimator_), rtol=1e-6)


def test_reweighter_and_resampling_follow_the_selected_point(strong):
    X, y, s = strong
    rw = FairReweighter(weighting="fair_ij", random_state=0)
    X_res, y_res = rw.fit_resample(X, y, sensitive_features=s)
    dropped = int(np.sum(rw.sample_weight_ == 0))
    assert rw.lambda_ > 0 and dropped > 0
    assert len(X_res) == len(rw.train_indices_) - dropped
    kept = rw.train_indices_[rw.sample_weight_ == 1]
    np.testing.assert_array_equal(X_res, X[kept])
    np.testing.assert_array_equal(y_res, y[kept])
    refit = LogisticRegression().fit(
        X[rw.train_indices_], y[rw.train_indices_], sample_weight=rw.sample_weight_
    )
    np.testing.assert_allclose(refit.coef_, rw.estimator_.coef_, rtol=1e-6)


# ---------------------------------------------------------------- the user's target
def test_test_gap_follows_max_gap():
    """On held-out data the gap of the selected model goes down with max_gap."""
    X, y, s = make_biased_classification(12000, 5, bias=3.0, proxy_strength=3.0, random_state=0)
    train, val, test = slice(0, 6000), slice(6000, 9000), slice(9000, None)
    kw = dict(
        sensitive_features=s[train], X_val=X[val], y_val=y[val], sensitive_features_val=s[val]
    )
    test_gaps = []
    for eps in (0.3, 0.2, 0.1, 0.05):  # the unedited test gap is 0.48
        clf = FairIJClassifier(selection=MaxGap(eps, max_cost=0.2))
        clf.fit(X[train], y[train], **kw)
        assert clf.fit_status_ == "edited"
        gap = demographic_parity_difference(
            y[test], clf.predict(X[test]), sensitive_features=s[test]
        )
        assert gap < eps + 0.03
        test_gaps.append(gap)
    assert np.all(np.diff(test_gaps) < 0)


def test_unreachable_max_gap_warns(strong):
    X, y, s = strong
    clf = FairIJClassifier(selection=MaxGap(0.0, max_cost=0.0), random_state=0)
    with pytest.warns(FairnessWarning, match="max_gap=0.0"):
        clf.fit(X, y, sensitive_features=s)
    assert clf.fit_status_ == "target_not_reached"


# ---------------------------------------------------------------- never a silent no-op
def test_a_fair_model_is_left_unedited_with_a_warning():
    X, y, s = make_biased_classification(3000, 5, bias=0.0, proxy_strength=0.0, random_state=0)
    clf = FairIJClassifier(random_state=0)
    with pytest.warns(FairnessWarning, match="already"):
        clf.fit(X, y, sensitive_features=s)
    assert clf.fit_status_ == "gap_already_small" and clf.lambda_ == 0
    np.testing.assert_array_equal(clf.sample_weight_, 1.0)


def test_an_edit_too_costly_leaves_the_model_with_a_warning(strong):
    X, y, s = strong
    clf = FairIJClassifier(selection=OneSE(tolerance=0.0), random_state=0)
    with pytest.warns(FairnessWarning, match="more than tolerance=0.0"):
        clf.fit(X, y, sensitive_features=s)
    assert clf.fit_status_ == "accuracy_cost" and clf.lambda_ == 0


@pytest.mark.parametrize("Estimator", [FairIJClassifier, FairReweighter])
def test_validation_that_cannot_measure_the_gap(strong, Estimator):
    X, y, s = strong
    X_tr, y_tr, s_tr, Xv, yv, sv = X[:2000], y[:2000], s[:2000], X[2000:], y[2000:], s[2000:]
    # one-class y_val measures neither equalized odds nor the accuracy an edit costs
    one_class = yv == 1
    val = dict(X_val=Xv[one_class], y_val=yv[one_class], sensitive_features_val=sv[one_class])
    for fairness in ("equalized_odds", "demographic_parity"):
        est = Estimator(fairness=fairness)
        with pytest.warns(FairnessWarning, match="single class"):
            est.fit(X_tr, y_tr, sensitive_features=s_tr, **val)
        assert est.fit_status_ == "gap_not_measurable" and est.lambda_ == 0
        assert np.isnan(est.influences_).all() and est.sample_weight_.min() == 1
    np.testing.assert_allclose(est.predict_proba(Xv), est.initial_estimator_.predict_proba(Xv))
    # a 2-row minority cannot measure demographic parity on the validation rows ...
    keep = np.flatnonzero(sv == 0).tolist() + np.flatnonzero(sv == 1)[:2].tolist()
    val = dict(X_val=Xv[keep], y_val=yv[keep], sensitive_features_val=sv[keep])
    only_validation = DemographicParity(gap_data="validation")
    with pytest.warns(FairnessWarning, match="2 row"):
        est = Estimator(fairness=only_validation).fit(X_tr, y_tr, sensitive_features=s_tr, **val)
    assert est.fit_status_ == "gap_not_measurable"
    # ... but can with the training rows (pooled gaps, the default)
    est = Estimator().fit(X_tr, y_tr, sensitive_features=s_tr, **val)
    assert est.fit_status_ != "gap_not_measurable" and np.isfinite(est.influences_).all()
    # a group absent from the validation rows gives no fairness gradient
    absent = np.flatnonzero(sv == 0)
    with pytest.warns(FairnessWarning, match="0 row.*with the training rows"):
        est = Estimator().fit(
            X_tr,
            y_tr,
            sensitive_features=s_tr,
            X_val=Xv[absent],
            y_val=yv[absent],
            sensitive_features_val=sv[absent],
        )
    assert est.fit_status_ == "gap_not_measurable"


def test_an_ordinary_fit_does_not_warn(strong):
    X, y, s = strong
    with warnings.catch_warnings():
        warnings.simplefilter("error", FairnessWarning)
        clf = FairIJClassifier(random_state=0).fit(X, y, sensitive_features=s)
    assert clf.fit_status_ == "edited" and clf.lambda_ > 0


# ---------------------------------------------------------------- the path as a value
def test_lambda_path_is_a_value(strong):
    X, y, s = strong
    clf = FairIJClassifier(random_state=0).fit(X, y, sensitive_features=s)
    path, k = clf.path_, clf.best_index_
    assert isinstance(path, LambdaPath) and path.n_points == len(path["lambda"])
    assert path.gap == "pooled_gap" and path.rule.name == "ijack"
    np.testing.assert_allclose(path.weights(k), clf.sample_weight_)
    np.testing.assert_allclose(path.weights(0), 1.0)  # λ = 0: unit weights
    assert torch.equal(path.parameters(k).cpu(), clf.path_thetas_[k])
    frame = path.to_frame()
    assert list(frame.columns) == list(path) and len(frame) == path.n_points
    restored = pickle.loads(pickle.dumps(path))
    np.testing.assert_array_equal(restored.weights(k), path.weights(k))
    with pytest.raises(TypeError):
        path["lambda"] = 0  # read-only


def test_a_target_is_a_constraint_and_a_budget_is_separate():
    """MaxGap(ε) reaches ε whatever the accuracy it costs; with max_cost the fit
    says that the budget, not the path, stopped it."""
    X, y, s = make_biased_classification(3000, 5, bias=2.0, proxy_strength=1.0, random_state=0)
    with warnings.catch_warnings():
        warnings.simplefilter("error", FairnessWarning)
        target = FairIJClassifier(selection=MaxGap(0.05), random_state=0).fit(
            X, y, sensitive_features=s
        )
    assert target.fit_status_ == "edited"
    assert target.path_["pooled_gap"][target.best_index_] <= 0.05
    cost = target.path_["val_accuracy"][0] - target.path_["val_accuracy"][target.best_index_]
    assert cost > 0.02  # beyond the budget MaxGap kept before 2026-12-05
    budget = FairIJClassifier(selection=MaxGap(0.05, max_cost=0.002), random_state=0)
    with pytest.warns(FairnessWarning, match="more than max_cost=0.002"):
        budget.fit(X, y, sensitive_features=s)
    assert budget.fit_status_ == "accuracy_budget"
