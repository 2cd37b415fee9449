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


def test_a_randomised_mixture_meets_the_target_exactly():
    """MaxGap(ε, randomize=True): two path points mixed so that the expected
    validation gap is ε; the labels are drawn from random_state (the same X, the
    same labels; the same seed, the same fit); the default stays deterministic."""
    import warnings

    from skfair_ij import FairIJClassifier, FairReweighter, MaxGap
    from skfair_ij.datasets import make_biased_classification
    from skfair_ij.metrics import demographic_parity_difference

    X, y, s = make_biased_classification(5000, 6, bias=2.0, proxy_strength=2.0, random_state=0)
    Xv, yv, sv = make_biased_classification(3000, 6, bias=2.0, proxy_strength=2.0, random_state=1)
    X_val = dict(X_val=Xv, y_val=yv, sensitive_features_val=sv)
    target = 0.1

    def fit(**kw):
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            clf = FairIJClassifier(selection=MaxGap(target, **kw), random_state=0)
            return clf.fit(X, y, sensitive_features=s, **X_val)

    plain, mixed = fit(), fit(randomize=True)
    assert plain.mixture_weight_ == 0 and plain.mixture_estimator_ is None
    assert 0 < mixed.mixture_weight_ <= 1 and mixed.best_index_ == plain.best_index_
    # the mixture's expected gap on the rows of the path's gaps (pooled: training
    # and validation rows) is the target
    q = mixed.mixture_weight_
    X_all, s_all = np.vstack([X, Xv]), np.concatenate([s, sv])
    selected = mixed.estimator_.predict(X_all)
    other = mixed.mixture_estimator_.predict(X_all)
    rates = [
        (1 - q) * np.mean(selected[s_all == g]) + q * np.mean(other[s_all == g]) for g in (0, 1)
    ]
    assert abs(rates[1] - rates[0]) == pytest.approx(target, abs=1e-6)
    y_all = np.concatenate([y, yv])
    assert demographic_parity_difference(y_all, selected, sensitive_features=s_all) <= target
    selected, other = mixed.estimator_.predict(Xv), mixed.mixture_estimator_.predict(Xv)
    # labels drawn from random_state: reproducible, and a mixture of the two points'
    labels = mixed.predict(Xv)
    np.testing.assert_array_equal(labels, mixed.predict(Xv))
    np.testing.assert_array_equal(labels, fit(randomize=True).predict(Xv))
    assert np.all((labels == selected) | (labels == other))
    many = np.vstack([Xv] * 20)  # rows where the two points disagree take j's label w.p. q
    both = mixed.estimator_.predict(many), mixed.mixture_estimator_.predict(many)
    disagree = both[0] != both[1]
    share = np.mean(mixed.predict(many)[disagree] == both[1][disagree])
    assert abs(share - q) <= 4 * np.sqrt(q * (1 - q) / disagree.sum())
    proba = mixed.predict_proba(Xv)[:, 1]
    expected = (1 - q) * mixed.estimator_.predict_proba(Xv)[:, 1]
    expected += q * mixed.mixture_estimator_.predict_proba(Xv)[:, 1]
    np.testing.assert_allclose(proba, expected)
    with pytest.raises(ValueError, match="randomize=True"):
        FairReweighter(selection=MaxGap(target, randomize=True)).fit(X, y, sensitive_features=s)
