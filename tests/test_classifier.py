"""FairIJClassifier (skfair_ij/_classifier.py): the IJ edit and what only it does."""

import numpy as np
import pytest
from sklearn.base import clone
from sklearn.frozen import FrozenEstimator
from sklearn.linear_model import LogisticRegression, SGDClassifier

from skfair_ij import FairIJClassifier, OneSE
from skfair_ij.datasets import make_biased_classification
from skfair_ij.influence import Exact
from skfair_ij.metrics import demographic_parity_difference
from skfair_ij.weighting import FairIJ, IJack


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
