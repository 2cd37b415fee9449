"""gap_data="pooled": gap values and selection gaps on training + validation rows."""

import numpy as np
import pytest
import torch
from sklearn.linear_model import LogisticRegression

from skfair_ij import FairIJClassifier, FairReweighter, OneSE
from skfair_ij.datasets import make_biased_classification
from skfair_ij.influence import fairness_surrogate, fairness_value_and_gradient
from skfair_ij.influence._surrogates import gap_constraints, gap_terms_from_cell_means
from skfair_ij.metrics import DemographicParity, EqualizedOdds, equalized_odds_difference
from skfair_ij.path import evaluate_path
from skfair_ij.weighting import IJack


def linear(theta, X):
    return X @ theta


@pytest.fixture(scope="module")
def data():
    X, y, s = make_biased_classification(2100, 5, bias=2.0, random_state=0)  # one problem
    return X[:1500], y[:1500], s[:1500], X[1500:], y[1500:], s[1500:]


def _tensors(X, y, s):
    return (
        torch.as_tensor(X, dtype=torch.float64),
        torch.as_tensor(y, dtype=torch.float64),
        torch.as_tensor(s),
    )


@pytest.mark.parametrize("criterion", ["demographic_parity", "equalized_odds"])
def test_pooled_values_and_validation_gradient(data, criterion):
    X, y, s, Xv, yv, sv = data
    train, val = _tensors(X, y, s), _tensors(Xv, yv, sv)
    theta = torch.linspace(-1, 1, X.shape[1], dtype=torch.float64)
    values, grads = fairness_value_and_gradient(linear, theta, *val, criterion, per_term=True)
    pooled_values, pooled_grads = fairness_value_and_gradient(
        linear, theta, *val, criterion, per_term=True, value_data=train
    )
    # the value is the surrogate of all rows together ...
    everything = [torch.cat([a, b]) for a, b in zip(val, train, strict=True)]
    proba = torch.sigmoid(linear(theta, everything[0]))
    expected = fairness_surrogate(proba, everything[1], everything[2], criterion)
    assert pooled_values.sum() == pytest.approx(float(expected), rel=1e-10)
    assert not np.allclose(pooled_values, values)
    # ... the gradient that of the validation rows (same orientation here)
    torch.testing.assert_close(pooled_grads, grads)


def test_pooled_orientation_rules_the_gradient_sign():
    # validation: group 1 above group 0; pooled with the training rows: below
    theta = torch.tensor([1.0], dtype=torch.float64)
    X_val = torch.tensor([[0.0], [1.0], [0.2], [0.3]], dtype=torch.float64)
    g_val = torch.tensor([0, 1, 0, 1])
    X_tr = torch.tensor([[3.0], [-3.0]] * 5, dtype=torch.float64)
    g_tr = torch.tensor([0, 1] * 5)
    y_val, y_tr = torch.zeros(4, dtype=torch.float64), torch.zeros(10, dtype=torch.float64)
    value, grad = fairness_value_and_gradient(
        linear, theta, X_val, y_val, g_val, "demographic_parity"
    )
    pooled, pooled_grad = fairness_value_and_gradient(
        linear, theta, X_val, y_val, g_val, "demographic_parity", value_data=(X_tr, y_tr, g_tr)
    )
    assert value > 0 and pooled > 0
    torch.testing.assert_close(pooled_grad, -grad)  # the pooled orientation, differentiated


def test_gap_terms_with_a_reference():
    means = torch.tensor([0.2, 0.6, 0.5, 0.1], dtype=torch.float64)  # (group, label) cells
    reference = torch.tensor([0.3, 0.7, 0.4, 0.2], dtype=torch.float64)
    np.testing.assert_allclose(gap_terms_from_cell_means(means, (2, 2)), [0.3, 0.5])
    # the reference orients each column: group 1 above group 0 for label 0, below for 1
    np.testing.assert_allclose(gap_terms_from_cell_means(means, (2, 2), reference), [0.3, 0.5])
    flipped = torch.tensor([0.5, 0.6, 0.2, 0.1], dtype=torch.float64)
    np.testing.assert_allclose(gap_terms_from_cell_means(means, (2, 2), flipped), [-0.3, 0.5])


def test_evaluate_path_pools_predictions(data):
    X, y, s, Xv, yv, sv = data
    thetas = torch.stack([torch.zeros(5), torch.ones(5), -torch.ones(5)]).double()

    def predict_proba(X_, theta):
        return torch.sigmoid(torch.as_tensor(X_, dtype=torch.float64) @ theta).numpy()

    def positive(X_, block):
        return np.stack([predict_proba(X_, theta) > 0.5 for theta in block])

    path = evaluate_path(positive, thetas, Xv, yv, sv, "equalized_odds", pooled=(X, y, s))
    # predictions taken one parameter vector at a time give the same path
    single = evaluate_path(
        positive, thetas, Xv, yv, sv, "equalized_odds", pooled=(X, y, s), block_bytes=1
    )
    for key, values in path.items():
        np.testing.assert_array_equal(single[key], values)
    for i, theta in enumerate(thetas):
        pred = np.concatenate([predict_proba(Xv, theta), predict_proba(X, theta)]) > 0.5
        expected = equalized_odds_difference(
            np.r_[yv, y], pred.astype(int), sensitive_features=np.r_[sv, s]
        )
        assert path["pooled_gap"][i] == pytest.approx(expected)
        val_pred = (predict_proba(Xv, theta) > 0.5).astype(int)
        assert path["val_gap"][i] == pytest.approx(
            equalized_odds_difference(yv, val_pred, sensitive_features=sv)
        )
    floor = np.sort(path["val_accuracy"])[1]
    lazy = evaluate_path(
        positive, thetas, Xv, yv, sv, "equalized_odds", pooled=(X, y, s), min_accuracy=floor
    )
    skipped = path["val_accuracy"] < floor
    assert np.all(np.isnan(lazy["pooled_gap"][skipped]))
    np.testing.assert_allclose(lazy["pooled_gap"][~skipped], path["pooled_gap"][~skipped])


@pytest.mark.parametrize("Estimator", [FairIJClassifier, FairReweighter])
def test_estimators_select_on_pooled_gaps(data, Estimator):
    X, y, s, Xv, yv, sv = data
    kw = dict(sensitive_features=s, X_val=Xv, y_val=yv, sensitive_features_val=sv)
    est = Estimator(
        LogisticRegression(),
        fairness=EqualizedOdds(gap_data="pooled"),
        weighting=IJack(update="fisher"),
    ).fit(X, y, **kw)
    path = est.path_
    assert {"pooled_gap", "pooled_gap_se", "val_gap"} <= set(path)
    candidates = path["val_accuracy"] >= path["val_accuracy"][np.argmin(path["lambda"])] - 0.02
    assert np.all(np.isfinite(path["pooled_gap"][candidates]))
    assert est.best_index_ == OneSE(0.02).select(path, gap="pooled_gap")
    pred = np.r_[est.predict(Xv), est.predict(X)]
    before = np.r_[est.initial_estimator_.predict(Xv), est.initial_estimator_.predict(X)]
    groups, labels = np.r_[sv, s], np.r_[yv, y]
    after_gap = equalized_odds_difference(labels, pred, sensitive_features=groups)
    before_gap = equalized_odds_difference(labels, before, sensitive_features=groups)
    assert after_gap < 0.75 * before_gap
    if Estimator is FairIJClassifier:  # the edit itself (FairReweighter refits)
        assert after_gap == pytest.approx(path["pooled_gap"][est.best_index_])


def test_validation_rows_are_always_held_out(data):
    """A split too small for every group × label cell still holds out at least one
    row of each (never validating on the training rows); a group of a single row
    is an error that says how to fix it."""
    rng = np.random.default_rng(0)
    X = rng.normal(size=(300, 3))
    s = np.zeros(300, dtype=int)
    s[:4] = 1  # a 4-row minority
    y = np.tile([0, 1], 150)
    clf = FairIJClassifier(validation_fraction=0.002, random_state=0)
    with pytest.warns(UserWarning, match="left unedited"):  # 2 rows cannot measure a gap
        clf.fit(X, y, sensitive_features=s)
    val = np.setdiff1d(np.arange(300), clf.train_indices_)
    assert len(val) >= 4 and len(clf.train_indices_) + len(val) == 300
    for group in (0, 1):
        for label in (0, 1):
            cell = (s == group) & (y == label)
            assert cell[val].any() and cell[clf.train_indices_].any()
    assert clf.fit_status_ == "gap_not_measurable"
    s[0] = 2  # a group of one row cannot be on both sides
    s[1:4] = 0
    with pytest.raises(ValueError, match="Pass validation data"):
        FairIJClassifier(random_state=0).fit(X, y, sensitive_features=s)


def test_warns_when_the_model_overfits():
    rng = np.random.default_rng(0)
    n, p = 120, 80
    X, Xv = rng.normal(size=(n, p)), rng.normal(size=(400, p))
    s, sv = rng.integers(0, 2, n), rng.integers(0, 2, 400)
    y = (X[:, 0] + s + rng.normal(size=n) > 0.5).astype(int)
    yv = (Xv[:, 0] + sv + rng.normal(size=400) > 0.5).astype(int)
    model = LogisticRegression(C=1e4, max_iter=5000)
    kw = dict(sensitive_features=s, X_val=Xv, y_val=yv, sensitive_features_val=sv)
    with pytest.warns(UserWarning, match="gap_data='validation'"):
        FairIJClassifier(model, fairness=DemographicParity(gap_data="pooled")).fit(X, y, **kw)


def test_gap_constraints_of_more_than_two_groups():
    means = torch.tensor([0.2, 0.5, 0.9, 0.4], dtype=torch.float64, requires_grad=True)
    terms, gap_terms = gap_constraints(means, (4,))
    # one term per group but the one nearest the mean (0.4 of 0.5), each at least 0
    assert len(terms) == 3 and bool((terms >= 0).all())
    # the gap (max − min) is the sum of its extreme groups' terms, gradient included
    gap = terms[gap_terms].sum()
    assert float(gap) == pytest.approx(0.7)
    (grad,) = torch.autograd.grad(gap, means)
    np.testing.assert_allclose(grad, [-1, 0, 1, 0], atol=1e-12)
    # zeroing every kept term zeroes the left-out one: all groups at the mean
    equal = torch.full((4,), 0.5, dtype=torch.float64)
    np.testing.assert_allclose(gap_constraints(equal, (4,))[0], 0, atol=1e-12)
    # two groups (each column of equalized odds): the max − min term itself
    pair = torch.tensor([0.2, 0.6, 0.5, 0.1], dtype=torch.float64)
    terms, gap_terms = gap_constraints(pair, (2, 2))
    np.testing.assert_allclose(terms, gap_terms_from_cell_means(pair, (2, 2)))
    assert list(gap_terms) == [0, 1]


def _four_groups(n, seed):
    rng = np.random.default_rng(seed)
    s = rng.choice(4, size=n, p=[0.6, 0.25, 0.1, 0.05])
    X = rng.normal(size=(n, 6))
    X[:, 0] += 0.8 * (s == 1) - 0.8 * (s == 2) + 0.8 * (s == 3)
    X[:, 1] += 0.8 * (s == 2) - 0.5 * (s == 3)
    bias = np.array([0.0, -1.0, -1.5, 1.0])[s]
    logits = X[:, :4] @ np.array([1.0, -0.5, 0.8, 0.3]) + bias + rng.logistic(size=n)
    return X, (logits > 0).astype(int), s


@pytest.mark.parametrize("criterion", [DemographicParity(), EqualizedOdds()])
def test_four_groups_every_gap_lowered(criterion):
    # four groups of 60%, 25%, 10% and 5%: the edit lowers the largest gap between
    # any two of them on test data, at a bounded accuracy cost
    X, y, s = _four_groups(8000, 0)
    X_test, y_test, s_test = _four_groups(8000, 100)
    clf = FairIJClassifier(LogisticRegression(), fairness=criterion, random_state=0)
    clf.fit(X, y, sensitive_features=s)
    before = criterion.gap(
        y_test, clf.initial_estimator_.predict(X_test), sensitive_features=s_test
    )
    after = criterion.gap(y_test, clf.predict(X_test), sensitive_features=s_test)
    assert clf.fit_status_ == "edited"
    assert after < 0.7 * before
    cost = np.mean(clf.predict(X_test) != y_test) - np.mean(
        clf.initial_estimator_.predict(X_test) != y_test
    )
    assert cost < 0.035
