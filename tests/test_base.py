"""What both estimators check and prepare before computing: inputs, the validation
split, pre-trained models, sample weights, seeds and the curvature defaults."""

import numpy as np
import pytest
import torch
from sklearn.frozen import FrozenEstimator
from sklearn.linear_model import LogisticRegression

from skfair_ij import FairIJClassifier, FairnessWarning, FairReweighter, MaxGap, OneSE
from skfair_ij.datasets import make_biased_classification
from skfair_ij.influence import CG, Exact
from skfair_ij.metrics import DemographicParity
from skfair_ij.weighting import IJack

ESTIMATORS = [FairIJClassifier, FairReweighter]


@pytest.fixture(scope="module")
def data():
    X, y, s = make_biased_classification(2500, 5, bias=2.0, proxy_strength=2.0, random_state=0)
    return X[:1500], y[:1500], s[:1500], X[1500:], y[1500:], s[1500:]


def _val(data):
    *_, Xv, yv, sv = data
    return dict(X_val=Xv, y_val=yv, sensitive_features_val=sv)


# ---------------------------------------------------------------- pre-trained models
@pytest.mark.parametrize("Estimator", ESTIMATORS)
def test_pretrained_model_needs_unseen_validation_rows(data, Estimator):
    X, y, s, *_ = data
    base = LogisticRegression().fit(X, y)
    ests = [Estimator(FrozenEstimator(base))]
    if "prefit" in Estimator().get_params():
        ests.append(Estimator(base, prefit=True))
    for est in ests:
        with pytest.raises(ValueError, match="pass rows it did not see as X_val"):
            est.fit(X, y, sensitive_features=s)


def test_pretrained_influences_use_every_training_row(data):
    """The influences of a pre-trained model are those of all the rows it was
    trained on: its training-loss gradient vanishes there."""
    X, y, s, *_ = data
    base = LogisticRegression(tol=1e-10, max_iter=1000).fit(X, y)
    clf = FairIJClassifier(base, prefit=True).fit(X, y, sensitive_features=s, **_val(data))
    np.testing.assert_array_equal(clf.train_indices_, np.arange(len(X)))
    assert clf.influences_.shape == (len(X),)
    # gradient of the mean training loss (with C's penalty) at θ̂ over all rows
    p = base.predict_proba(X)[:, 1]
    grad = np.append(X.T @ (p - y), np.sum(p - y)) / len(X)
    grad[:-1] += base.coef_.ravel() / (base.C * len(X))
    assert np.abs(grad).max() < 1e-6


# ---------------------------------------------------------------- clear errors
@pytest.mark.parametrize("Estimator", ESTIMATORS)
@pytest.mark.parametrize(
    "params, match",
    [
        (dict(selection=OneSE(tolerance=-0.1)), "'tolerance' parameter of OneSE"),
        (dict(selection=MaxGap(-0.1)), "'max_gap' parameter of MaxGap"),
        (dict(solver=CG(memory_budget=0)), "'memory_budget' parameter of CG"),
        (dict(solver=Exact(memory_budget=-5)), "'memory_budget' parameter of Exact"),
        (dict(solver=CG(damping="big")), "'damping' parameter of CG"),
        (dict(weighting=IJack(n_steps=0)), "'n_steps' parameter of IJack"),
        (dict(fairness=DemographicParity(gap_data="train")), "'gap_data' parameter"),
        (dict(weighting="newton"), "'weighting' parameter of"),
        (dict(validation_fraction=1.5), "'validation_fraction' parameter of"),
    ],
)
def test_bad_options_are_named(data, Estimator, params, match):
    X, y, s, *_ = data
    with pytest.raises(ValueError, match=match):
        Estimator(**params).fit(X, y, sensitive_features=s)


@pytest.mark.skipif(torch.cuda.is_available(), reason="checks the error without CUDA")
def test_cuda_without_cuda_is_a_clear_error(data):
    X, y, s, *_ = data
    with pytest.raises(ValueError, match="torch.cuda.is_available"):
        FairIJClassifier(solver=CG(device="cuda")).fit(X, y, sensitive_features=s)


@pytest.mark.parametrize("Estimator", ESTIMATORS)
@pytest.mark.parametrize("prefit", [False, True])
def test_one_class_y_is_a_clear_error(data, Estimator, prefit):
    X, y, s, *_ = data
    base = LogisticRegression().fit(X, y)
    with pytest.raises(ValueError, match="needs samples of 2 classes in y; got only class 1"):
        model = FrozenEstimator(base) if prefit else base
        Estimator(model).fit(X, np.ones_like(y), sensitive_features=s, **_val(data))


def test_pretrained_model_with_other_features_is_a_clear_error(data):
    X, y, s, *_ = data
    base = LogisticRegression().fit(X[:, :3], y)
    with pytest.raises(ValueError, match="expects 3 features, X has 5"):
        FairIJClassifier(base, prefit=True).fit(X, y, sensitive_features=s, **_val(data))
    net = torch.nn.Sequential(torch.nn.Linear(3, 1))
    with pytest.raises(ValueError, match="does not accept X"):
        FairIJClassifier(net, prefit=True).fit(X, y, sensitive_features=s, **_val(data))


def test_continuous_sensitive_features_are_an_error(data):
    X, y, *_ = data
    age = np.random.default_rng(0).normal(40, 10, len(X))
    with pytest.raises(ValueError, match="looks continuous.*pandas.cut"):
        FairIJClassifier().fit(X, y, sensitive_features=age)


def test_class_weight_error_points_at_sample_weight(data):
    X, y, s, *_ = data
    with pytest.raises(ValueError, match="compute_sample_weight"):
        FairIJClassifier(LogisticRegression(class_weight="balanced")).fit(
            X, y, sensitive_features=s
        )


# ---------------------------------------------------------------- sample weights
def test_sample_weight_enters_the_base_fit_and_the_influences(data):
    X, y, s, *_ = data
    w = np.random.default_rng(1).uniform(0.2, 3.0, len(X))
    kw = dict(sensitive_features=s, **_val(data))
    clf = FairIJClassifier(weighting=IJack(lambdas=[0.005])).fit(X, y, sample_weight=w, **kw)
    reference = LogisticRegression().fit(X, y, sample_weight=w)
    np.testing.assert_allclose(clf.initial_estimator_.coef_, reference.coef_, rtol=1e-6)
    unweighted = FairIJClassifier(weighting=IJack(lambdas=[0.005])).fit(X, y, **kw)
    assert not np.allclose(clf.influences_, unweighted.influences_)
    # the edit is the IJ of the refit with sample_weight * sample_weight_
    exact = dict(tol=1e-10, max_iter=1000)
    before = LogisticRegression(**exact).fit(X, y, sample_weight=w).coef_
    after = LogisticRegression(**exact).fit(X, y, sample_weight=w * clf.sample_weight_).coef_
    edit = clf.estimator_.coef_ - clf.initial_estimator_.coef_
    assert np.linalg.norm(edit - (after - before)) < 0.02 * np.linalg.norm(after - before)


def test_reweighter_refits_with_the_product_of_weights(data):
    X, y, s, *_ = data
    w = np.random.default_rng(2).uniform(0.2, 3.0, len(X))
    rw = FairReweighter(random_state=0).fit(
        X, y, sample_weight=w, sensitive_features=s, **_val(data)
    )
    again = LogisticRegression().fit(X, y, sample_weight=w * rw.sample_weight_)
    np.testing.assert_allclose(again.coef_, rw.estimator_.coef_, rtol=1e-6)


def test_sample_weight_is_routed_in_a_search(data):
    import sklearn
    from sklearn.model_selection import GridSearchCV

    X, y, s, *_ = data
    w = np.random.default_rng(3).uniform(0.5, 2.0, len(X))
    with sklearn.config_context(enable_metadata_routing=True):
        est = FairIJClassifier(random_state=0).set_fit_request(
            sensitive_features=True, sample_weight=True
        )
        est = est.set_score_request(sample_weight=False)
        search = GridSearchCV(est, {"selection": [OneSE(0.01), OneSE(0.03)]}, cv=2)
        search.fit(X, y, sensitive_features=s, sample_weight=w)
    best = search.best_estimator_
    reference = LogisticRegression().fit(
        X[best.train_indices_], y[best.train_indices_], sample_weight=w[best.train_indices_]
    )
    np.testing.assert_allclose(best.initial_estimator_.coef_, reference.coef_, rtol=1e-6)


def test_split_keeps_the_weights_of_the_training_rows(data):
    X, y, s, *_ = data
    w = np.arange(1, len(X) + 1, dtype=float)
    clf = FairIJClassifier(random_state=0, weighting=IJack(lambdas=[0.0])).fit(
        X, y, sample_weight=w, sensitive_features=s
    )
    reference = LogisticRegression().fit(
        X[clf.train_indices_], y[clf.train_indices_], sample_weight=w[clf.train_indices_]
    )
    np.testing.assert_allclose(clf.initial_estimator_.coef_, reference.coef_, rtol=1e-6)


# ---------------------------------------------------------------- reproducibility
def _unseeded_net(n_features):
    from skorch import NeuralNetBinaryClassifier

    from skfair_ij.benchmark import SeluMLP

    return NeuralNetBinaryClassifier(
        SeluMLP,
        module__n_features=n_features,
        module__n_hidden=16,
        max_epochs=3,
        batch_size=128,
        train_split=None,
        verbose=0,
        iterator_train__shuffle=True,
    )


def test_random_state_seeds_a_skorch_net(data):
    X, y, s, *_ = data
    X = X.astype(np.float32)
    fits = []
    for seed in (11, 12):
        torch.manual_seed(seed)  # the global state must not matter
        clf = FairIJClassifier(_unseeded_net(X.shape[1]), random_state=0)
        fits.append(clf.fit(X, y, sensitive_features=s))
    assert fits[0].lambda_ == fits[1].lambda_
    np.testing.assert_array_equal(fits[0].predict_proba(X), fits[1].predict_proba(X))
    state = torch.random.get_rng_state()
    FairIJClassifier(_unseeded_net(X.shape[1]), random_state=0).fit(X, y, sensitive_features=s)
    assert torch.equal(state, torch.random.get_rng_state())  # the global state is left alone


# ---------------------------------------------------------------- curvature defaults
def test_auto_damping_follows_the_model(data):
    X, y, s, *_ = data
    kw = dict(sensitive_features=s, **_val(data))
    assert FairIJClassifier().fit(X, y, **kw).damping_ == 0.0  # penalised: none
    unpenalised = FairIJClassifier(LogisticRegression(penalty=None)).fit(X, y, **kw)
    assert 0 < unpenalised.damping_ < 1e-5
    assert unpenalised.update_ == "jackknife"
    assert FairIJClassifier(solver=CG(damping=0.1)).fit(X, y, **kw).damping_ == 0.1


def test_auto_damping_of_a_net_scales_with_its_curvature(data):
    """damping="auto" for a net is a multiple of its mean curvature tr(H)/D: the
    same model on inputs scaled by 2 (weights halved, same predictions) has four
    times the curvature, and four times the damping."""
    X, y, s, Xv, yv, sv = data
    X, Xv = X.astype(np.float32), Xv.astype(np.float32)
    kw = dict(sensitive_features=s, X_val=Xv, y_val=yv, sensitive_features_val=sv)
    torch.manual_seed(0)
    module = torch.nn.Linear(X.shape[1], 1, bias=False)
    halved = torch.nn.Linear(X.shape[1], 1, bias=False)
    with torch.no_grad():
        halved.weight.copy_(module.weight / 2)
    clf = FairIJClassifier(module, prefit=True).fit(X, y, **kw)
    scaled = FairIJClassifier(halved, prefit=True).fit(2 * X, y, **{**kw, "X_val": 2 * Xv})
    assert clf.update_ == "fisher" and clf.damping_ > 0
    assert scaled.damping_ / clf.damping_ == pytest.approx(4, rel=1e-4)


def test_fit_status_of_an_ordinary_fit(data):
    X, y, s, *_ = data
    with __import__("warnings").catch_warnings():
        __import__("warnings").simplefilter("error", FairnessWarning)
        clf = FairIJClassifier().fit(X, y, sensitive_features=s, **_val(data))
    assert clf.fit_status_ == "edited" and clf.lambda_ > 0
