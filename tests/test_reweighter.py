"""FairReweighter (skfair_ij/_reweighter.py): refits, proxies and resampling."""

import warnings

import numpy as np
import pytest
from sklearn.ensemble import HistGradientBoostingClassifier
from sklearn.linear_model import LogisticRegression

from skfair_ij import FairIJClassifier, FairReweighter
from skfair_ij.influence import CG
from skfair_ij.metrics import demographic_parity_difference


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


def test_the_status_of_several_rounds_describes_the_whole_fit():
    """Rounds that edited, then a last round that leaves the model as it is:
    the fit edited the model (it reported the last round's "unedited")."""
    from skfair_ij import FairnessWarning
    from skfair_ij.datasets import make_biased_classification

    X, y, s = make_biased_classification(1000, 5, bias=1.0, random_state=0)
    with warnings.catch_warnings():
        warnings.simplefilter("error", FairnessWarning)
        rw = FairReweighter(n_rounds=4, random_state=0).fit(X, y, sensitive_features=s)
    assert rw.lambdas_[0] > 0 and rw.lambdas_[-1] == 0
    assert rw.fit_status_ == "edited"
