"""Adapters own model kinds: users can teach the estimators a new one."""

import numpy as np
import pytest
import torch
from scipy.optimize import minimize
from scipy.special import expit
from sklearn.base import BaseEstimator, ClassifierMixin

from skfair_ij import FairIJClassifier, FairReweighter
from skfair_ij.adapters import (
    ModelAdapter,
    ModuleOutputError,
    TorchModuleAdapter,
    get_adapter,
    register_adapter,
    unregister_adapter,
)
from skfair_ij.adapters._input_layer import MAX_RANK, span
from skfair_ij.datasets import make_biased_classification
from skfair_ij.metrics import demographic_parity_difference
from skfair_ij.weighting import IJack


class TinyLogit(ClassifierMixin, BaseEstimator):
    """A logistic regression of its own: mean weighted loss + alpha/2 ‖w‖²."""

    def __init__(self, alpha=1e-3):
        self.alpha = alpha

    def fit(self, X, y, sample_weight=None):
        X, y = np.asarray(X, dtype=float), np.asarray(y)
        self.classes_ = np.unique(y)
        t = (y == self.classes_[1]).astype(float)
        b = np.ones(len(y)) if sample_weight is None else np.asarray(sample_weight, float)

        def objective(theta):
            z = X @ theta[:-1] + theta[-1]
            loss = np.logaddexp(0, z) - t * z
            r = b * (expit(z) - t) / len(y)
            grad = np.append(X.T @ r + self.alpha * theta[:-1], r.sum())
            return (b * loss).mean() + 0.5 * self.alpha * theta[:-1] @ theta[:-1], grad

        theta = minimize(
            objective,
            np.zeros(X.shape[1] + 1),
            jac=True,
            method="L-BFGS-B",
            options={"gtol": 1e-10, "maxiter": 2000},
        ).x
        self.w_, self.b_ = theta[:-1], float(theta[-1])
        return self

    def predict_proba(self, X):
        p = expit(np.asarray(X, dtype=float) @ self.w_ + self.b_)
        return np.column_stack([1 - p, p])

    def predict(self, X):
        return self.classes_[(self.predict_proba(X)[:, 1] > 0.5).astype(int)]


class TinyLogitAdapter(ModelAdapter):
    dtype = torch.float64
    convex = True
    n_unpenalised = 1

    def __init__(self, model, *, device="cpu"):
        super().__init__(model, device=device)
        self.theta = torch.as_tensor(np.append(model.w_, model.b_), dtype=self.dtype)

    def logit_fn(self, theta, X):
        return X @ theta[:-1] + theta[-1]

    def l2_penalty(self, n_samples):
        rho = torch.full_like(self.theta, self.model.alpha)
        rho[-1] = 0.0
        return rho

    def _write_parameters(self, model, theta):
        model.w_ = theta[:-1].cpu().numpy().copy()
        model.b_ = float(theta[-1])


@pytest.fixture
def registered():
    register_adapter(TinyLogit, TinyLogitAdapter)
    yield
    unregister_adapter(TinyLogit)


@pytest.fixture(scope="module")
def data():
    X, y, s = make_biased_classification(3000, 5, bias=3.0, proxy_strength=3.0, random_state=0)
    return X[:2000], y[:2000], s[:2000], X[2000:], y[2000:], s[2000:]


def test_unknown_kind_is_named(data):
    X, y, s, *_ = data
    with pytest.raises(TypeError, match="TinyLogit is not supported"):
        FairIJClassifier(TinyLogit()).fit(X, y, sensitive_features=s)


@pytest.mark.parametrize("Estimator", [FairIJClassifier, FairReweighter])
def test_a_registered_kind_fits_through_both_estimators(data, registered, Estimator):
    X, y, s, Xt, yt, st = data
    est = Estimator(TinyLogit(), random_state=0).fit(X, y, sensitive_features=s)
    assert isinstance(est.estimator_, TinyLogit) and est.fit_status_ == "edited"
    assert isinstance(get_adapter(est.initial_estimator_), TinyLogitAdapter)
    assert est.damping_ == 0.0  # penalised and convex: no damping
    before = demographic_parity_difference(
        yt, est.initial_estimator_.predict(Xt), sensitive_features=st
    )
    after = demographic_parity_difference(yt, est.predict(Xt), sensitive_features=st)
    assert after < before - 0.03


def test_registered_edit_is_the_weighted_refit(data, registered):
    """Through the user's adapter, the IJ edit is the first-order refit."""
    X, y, s, Xv, yv, sv = data
    kw = dict(sensitive_features=s, X_val=Xv, y_val=yv, sensitive_features_val=sv)
    probe = FairIJClassifier(TinyLogit(), weighting=IJack(lambdas=[1.0])).fit(X, y, **kw)
    lam = 0.005 / np.abs(probe.influences_).max()
    clf = FairIJClassifier(TinyLogit(), weighting=IJack(lambdas=[lam])).fit(X, y, **kw)
    refit = TinyLogit().fit(X, y, sample_weight=clf.sample_weight_)
    base = clf.initial_estimator_
    edit = np.append(clf.estimator_.w_ - base.w_, clf.estimator_.b_ - base.b_)
    change = np.append(refit.w_ - base.w_, refit.b_ - base.b_)
    assert np.linalg.norm(edit - change) < 0.02 * np.linalg.norm(change)


def test_module_with_another_output_shape_points_at_adapter_kwargs():
    X, y, s = make_biased_classification(600, 4, bias=2.0, random_state=0)
    X = X.astype(np.float32)
    kw = dict(
        sensitive_features=s[:400], X_val=X[400:], y_val=y[400:], sensitive_features_val=s[400:]
    )
    torch.manual_seed(0)
    two_logits = torch.nn.Linear(4, 2)
    with pytest.raises(ModuleOutputError, match=r"shape \(2, 2\).*adapter_kwargs=\{'output'"):
        FairIJClassifier(two_logits, prefit=True).fit(X[:400], y[:400], **kw)
    clf = FairIJClassifier(two_logits, prefit=True, adapter_kwargs={"output": "two_logits"})
    assert clf.fit(X[:400], y[:400], **kw).predict(X[400:]).shape == (200,)


class _NotOnTheInput(torch.nn.Module):
    """A first layer that does not take X itself (``scaled``) or is called twice."""

    def __init__(self, how):
        super().__init__()
        self.how = how
        self.layer = torch.nn.Linear(4, 4)
        self.out = torch.nn.Linear(4, 1)

    def forward(self, X):
        hidden = self.layer(2 * X) if self.how == "scaled" else self.layer(self.layer(X))
        return self.out(torch.tanh(hidden)).squeeze(-1)


@pytest.mark.parametrize(
    ("module", "fast"),
    [
        (torch.nn.Sequential(torch.nn.Linear(4, 5), torch.nn.SELU(), torch.nn.Linear(5, 1)), True),
        (torch.nn.Linear(4, 1), True),  # a logistic regression as a module
        (_NotOnTheInput("scaled"), False),  # the first layer does not take X itself
        (_NotOnTheInput("twice"), False),  # a layer called twice per forward pass
    ],
)
def test_path_predictions_of_a_net_from_its_input_layer(module, fast):
    torch.manual_seed(0)
    X = torch.randn(300, 4)
    adapter = TorchModuleAdapter(module)
    u, v = torch.randn(2, len(adapter.theta))
    lams = torch.linspace(0, 2, 15)[:, None]
    on_a_line = adapter.theta + lams * u
    two_lines = torch.cat([on_a_line, on_a_line[-1] + lams * v])
    scattered = adapter.theta + torch.randn(MAX_RANK + 3, len(adapter.theta))
    for thetas in (on_a_line, two_lines, scattered):
        expected = ModelAdapter.positive(adapter, X, thetas)
        np.testing.assert_array_equal(adapter.positive(X, thetas), expected)
    assert (adapter._input_layer is not None) == fast
    assert "forward" not in vars(adapter._module.get_submodule(adapter._input_layer or ""))


@pytest.mark.parametrize("scale", [1.0, 1e-4])
def test_span_of_two_lines_of_unequal_lengths(scale):
    """The span finds a second line a ten-thousandth the size of the first and
    gives the points back from it (the path of a second, short step)."""
    generator = torch.Generator().manual_seed(0)
    start, first, second = torch.randn(3, 500, dtype=torch.float64, generator=generator)
    t = torch.linspace(0, 1, 12, dtype=torch.float64)[:, None]
    P = torch.cat([start + t * first, start + first + t * scale * second])
    coefficients, basis = span(P)
    assert basis.shape == (2, 500)
    torch.testing.assert_close(
        P[0] + coefficients @ basis, P, rtol=0, atol=1e-6 * float(P.abs().max())
    )
