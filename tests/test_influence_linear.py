"""The influence engine against closed forms and exact refits (L2 logistic regression)."""

import numpy as np
import pytest
import torch
from scipy.stats import spearmanr
from sklearn.linear_model import LogisticRegression, SGDClassifier

from skfair_ij.adapters import get_adapter
from skfair_ij.datasets import make_biased_classification
from skfair_ij.influence import (
    CG,
    Curvature,
    discrete_path_parameter_changes,
    fairness_influence,
    fairness_surrogate,
    fairness_value_and_gradient,
    ij_parameter_change,
)
from skfair_ij.weighting import IJack

C = 0.5


def _fit(X, y, sample_weight=None):
    model = LogisticRegression(C=C, solver="newton-cholesky", tol=1e-12, max_iter=500)
    return model.fit(X, y, sample_weight=sample_weight)


@pytest.fixture(scope="module")
def data():
    # one draw of the problem (its coefficients depend on random_state), split in two
    X, y, s = make_biased_classification(700, 5, bias=2.0, random_state=0)
    X, y, s, Xv, yv, sv = X[:400], y[:400], s[:400], X[400:], y[400:], s[400:]
    return X, y, s, Xv, yv, sv


def _theta(model):
    return np.concatenate([model.coef_.ravel(), model.intercept_])


def _closed_form(model, X, y, Xv, yv, sv):
    """Influences of L2 logistic regression in numpy, from the formulas."""
    N = len(X)
    Xt, Xvt = np.c_[X, np.ones(N)], np.c_[Xv, np.ones(len(Xv))]
    p = model.predict_proba(X)[:, 1]
    H = (Xt * (p * (1 - p))[:, None]).T @ Xt / N
    H[:-1, :-1] += np.eye(X.shape[1]) / (C * N)
    G = (p - y)[:, None] * Xt  # per-sample gradients, rows
    pv = model.predict_proba(Xv)[:, 1]
    dp = pv * (1 - pv)
    m1, m0 = pv[sv == 1].mean(), pv[sv == 0].mean()
    sign = np.sign(m1 - m0)
    g_F = sign * (
        (dp[sv == 1, None] * Xvt[sv == 1]).mean(0) - (dp[sv == 0, None] * Xvt[sv == 0]).mean(0)
    )
    return -G @ np.linalg.solve(H, g_F), abs(m1 - m0), H, G


def _engine(model, X, y, Xv, yv, sv, method, criterion="demographic_parity"):
    adapter = get_adapter(model)
    problem = adapter.make_problem(X, y)
    value, g_F = fairness_value_and_gradient(
        adapter.logit_fn,
        adapter.theta,
        adapter.to_tensor(Xv),
        torch.as_tensor(yv),
        torch.as_tensor(sv),
        criterion,
    )
    curvature = Curvature(problem, method, tol=1e-12, maxiter=500)
    return adapter, problem, curvature, value, g_F


@pytest.mark.parametrize("method", ["exact", "cg"])
def test_influence_equals_closed_form(data, method):
    X, y, s, Xv, yv, sv = data
    model = _fit(X, y)
    expected, expected_value, _, _ = _closed_form(model, X, y, Xv, yv, sv)
    _, problem, curvature, value, g_F = _engine(model, X, y, Xv, yv, sv, method)
    influences = fairness_influence(problem, curvature, g_F).numpy()
    assert value == pytest.approx(expected_value, rel=1e-10)
    np.testing.assert_allclose(influences, expected, rtol=1e-6, atol=1e-6 * abs(expected).max())


def test_hessian_products_agree(data):
    X, y, s, Xv, yv, sv = data
    model = _fit(X, y)
    _, H, G = _closed_form(model, X, y, Xv, yv, sv)[1:]
    problem = get_adapter(model).make_problem(X, y)
    V = torch.randn(H.shape[0], 3, dtype=torch.float64)
    np.testing.assert_allclose(problem.gauss_newton_product(V).numpy(), H @ V.numpy(), rtol=1e-9)
    np.testing.assert_allclose(problem.hessian_product(V).numpy(), H @ V.numpy(), rtol=1e-9)
    np.testing.assert_allclose(problem.dense_hessian().numpy(), H, rtol=1e-9, atol=1e-12)
    np.testing.assert_allclose(
        problem.fisher_diagonal().numpy(),
        (G**2).mean(0) + np.r_[np.full(X.shape[1], 1 / (C * len(X))), 0.0],
        rtol=1e-9,
    )
    grads = problem.per_sample_grads(slice(0, 50)).numpy()
    np.testing.assert_allclose(grads, G[:50], rtol=1e-9, atol=1e-12)


def test_ij_matches_weighted_refit(data):
    X, y, s, Xv, yv, sv = data
    model = _fit(X, y)
    rng = np.random.default_rng(0)
    weights = 1 + rng.uniform(-0.05, 0.05, len(X))
    refit = _fit(X, y, sample_weight=weights)
    actual = _theta(refit) - _theta(model)
    _, problem, curvature, _, _ = _engine(model, X, y, Xv, yv, sv, "exact")
    predicted = ij_parameter_change(problem, curvature, torch.as_tensor(weights - 1)).numpy()
    assert np.linalg.norm(predicted - actual) <= 0.05 * np.linalg.norm(actual)


def _penalised_refit(model, X, y, Xv, sv, mu):
    """argmin of the L2 logistic loss plus ``mu`` times the validation DP surrogate."""
    from scipy.optimize import minimize
    from scipy.special import expit

    N = len(X)
    Xt, Xvt = np.c_[X, np.ones(N)], np.c_[Xv, np.ones(len(Xv))]
    pv = model.predict_proba(Xv)[:, 1]
    sign = np.sign(pv[sv == 1].mean() - pv[sv == 0].mean())
    reg = np.r_[np.ones(X.shape[1]), 0.0] / (C * N)

    def objective(theta):
        p, q = expit(Xt @ theta), expit(Xvt @ theta)
        loss = -np.mean(y * np.log(p) + (1 - y) * np.log1p(-p)) + 0.5 * reg @ theta**2
        gap = sign * (q[sv == 1].mean() - q[sv == 0].mean())
        dq = (q * (1 - q))[:, None] * Xvt
        grad = Xt.T @ (p - y) / N + reg * theta
        grad += mu * sign * (dq[sv == 1].mean(0) - dq[sv == 0].mean(0))
        return loss + mu * gap, grad

    result = minimize(objective, _theta(model), jac=True, method="BFGS", options={"gtol": 1e-12})
    return result.x


def test_fisher_update_is_the_penalised_refit(data):
    """update="fisher" moves θ by −λ H⁻¹ g_F: the first-order change of the model
    refitted with λ times the validation fairness surrogate added to its loss."""
    from skfair_ij import FairIJClassifier
    from skfair_ij.influence import Exact

    X, y, s, Xv, yv, sv = data
    model = _fit(X, y)
    base = _theta(model)
    errors = []
    for lam in (0.02, 0.01):
        clf = FairIJClassifier(
            model,
            prefit=True,
            weighting=IJack(lambdas=[lam], update="fisher"),
            solver=Exact(damping=0.0),
        ).fit(X, y, sensitive_features=s, X_val=Xv, y_val=yv, sensitive_features_val=sv)
        edited = _theta(clf.estimator_) - base
        refit = _penalised_refit(model, X, y, Xv, sv, lam) - base
        errors.append(np.linalg.norm(edited - refit) / np.linalg.norm(refit))
    assert errors[0] < 0.05
    assert errors[1] < 0.6 * errors[0]  # the error is second order in λ


def test_fisher_update_is_the_large_sample_limit_of_ijack():
    """For a well-specified logistic model G Gᵀ / N → H, so both I-JACK updates agree."""
    from skfair_ij import FairIJClassifier

    rng = np.random.default_rng(0)
    n, d = 20_000, 4
    X, s = rng.normal(size=(n, d)), rng.integers(0, 2, n)
    X[:, 0] += 1.0 * s
    y = (rng.uniform(size=n) < 1 / (1 + np.exp(-(X @ np.array([1.0, -1.0, 0.5, 0.0]))))).astype(int)
    val = slice(0, 5_000)
    kw = dict(
        sensitive_features=s[5_000:], X_val=X[val], y_val=y[val], sensitive_features_val=s[val]
    )
    changes = {}
    for update in ("jackknife", "fisher"):
        clf = FairIJClassifier(
            LogisticRegression(C=1e4),
            weighting=IJack(lambdas=[1.0], update=update),
            solver=CG(damping=0.0),
        ).fit(X[5_000:], y[5_000:], **kw)
        changes[update] = _theta(clf.estimator_) - _theta(clf.initial_estimator_)
    diff = np.linalg.norm(changes["fisher"] - changes["jackknife"])
    assert diff < 0.05 * np.linalg.norm(changes["fisher"])


def test_leave_one_out_ranking(data):
    X, y, s, Xv, yv, sv = data
    model = _fit(X, y)
    adapter, problem, curvature, value, g_F = _engine(model, X, y, Xv, yv, sv, "exact")
    influences = fairness_influence(problem, curvature, g_F).numpy()
    # 30 points spread over the influence range
    order = np.argsort(influences)
    chosen = order[np.linspace(0, len(order) - 1, 30).astype(int)]
    groups_v = torch.as_tensor(sv)
    actual = []
    for n in chosen:
        keep = np.arange(len(X)) != n
        # w_n = 0 in (1/N) Σ w ℓ + ‖β‖²/(2CN) is the same sklearn objective, same C
        refit = _fit(X[keep], y[keep])
        proba = torch.as_tensor(refit.predict_proba(Xv)[:, 1])
        new_value = float(
            fairness_surrogate(proba, torch.as_tensor(yv), groups_v, "demographic_parity")
        )
        actual.append(new_value - value)
    predicted = -influences[chosen] / len(X)
    rho = spearmanr(predicted, actual).statistic
    assert rho >= 0.9, rho


def test_drop_path_equals_explicit_weights(data):
    X, y, s, Xv, yv, sv = data
    model = _fit(X, y)
    _, problem, curvature, _, g_F = _engine(model, X, y, Xv, yv, sv, "exact")
    influences = fairness_influence(problem, curvature, g_F)
    cuts = torch.tensor([1, 5, 20])
    for upweight in (False, True):
        path = discrete_path_parameter_changes(
            problem, curvature, influences, cuts, upweight=upweight
        )
        key = influences.abs() if upweight else influences
        order = torch.argsort(key, descending=True)
        for j, k in enumerate(cuts.tolist()):
            delta = torch.zeros(len(X), dtype=torch.float64)
            top = order[:k]
            delta[top] = torch.where(influences[top] > 0, -1.0, 1.0).double()
            expected = ij_parameter_change(problem, curvature, delta)
            torch.testing.assert_close(path[:, j], expected)


@pytest.mark.parametrize(
    "criterion", ["demographic_parity", "equalized_odds", "equal_opportunity", "error_rate"]
)
def test_surrogate_gradient_matches_autograd(data, criterion):
    X, y, s, Xv, yv, sv = data
    model = _fit(X, y)
    adapter = get_adapter(model)
    Xv_t = adapter.to_tensor(Xv)
    groups = torch.as_tensor(sv + (Xv[:, 1] > 0.8))  # three groups
    weight = torch.rand(len(Xv), dtype=torch.float64)
    value, gradient = fairness_value_and_gradient(
        adapter.logit_fn,
        adapter.theta,
        Xv_t,
        torch.as_tensor(yv),
        groups,
        criterion,
        weight=weight,
        chunk_size=64,
    )
    theta = adapter.theta.clone().requires_grad_(True)
    direct = fairness_surrogate(
        torch.sigmoid(adapter.logit_fn(theta, Xv_t)),
        torch.as_tensor(yv).double(),
        groups,
        criterion,
        weight=weight,
    )
    direct.backward()
    assert value == pytest.approx(float(direct.detach()))
    torch.testing.assert_close(gradient, theta.grad)


def test_streaming_does_not_change_results(data):
    """Cached Jacobian, streamed automatic differentiation, and the explicit
    products of a linear model give the same products."""
    from skfair_ij.influence import BinaryModelProblem

    X, y, s, Xv, yv, sv = data
    model = _fit(X, y)
    adapter = get_adapter(model)
    X_t, y_t = adapter.to_tensor(X), torch.as_tensor(y, dtype=torch.float64)
    kw = dict(l2_penalty=adapter.l2_penalty(len(X)))
    cached = BinaryModelProblem(adapter.logit_fn, adapter.theta, X_t, y_t, **kw)
    streamed = BinaryModelProblem(
        adapter.logit_fn, adapter.theta, X_t, y_t, memory_budget=8 * 6 * 8 * 37, **kw
    )
    explicit = adapter.make_problem(X, y, memory_budget=8 * 6 * 8 * 37)
    assert cached._jacobian is not None and streamed._jacobian is None
    assert explicit._jacobian is None and explicit._linear is not None
    assert streamed.chunk_size == 37
    for other in (streamed, explicit):
        for v in (torch.randn(6, dtype=torch.float64), torch.randn(6, 3, dtype=torch.float64)):
            torch.testing.assert_close(cached.gradient_products(v), other.gradient_products(v))
            torch.testing.assert_close(
                cached.gauss_newton_product(v), other.gauss_newton_product(v)
            )
        a = torch.randn(len(X), 2, dtype=torch.float64)
        torch.testing.assert_close(cached.weighted_gradient_sum(a), other.weighted_gradient_sum(a))
        torch.testing.assert_close(cached.fisher_diagonal(), other.fisher_diagonal())
        torch.testing.assert_close(cached.dense_gauss_newton(), other.dense_gauss_newton())
    # exact for the cached and the explicit Jacobian (the streamed one estimates it)
    assert cached.mean_curvature() == pytest.approx(explicit.mean_curvature(), rel=1e-10)
    assert streamed.mean_curvature() == pytest.approx(cached.mean_curvature(), rel=0.1)


def test_sgd_classifier_regulariser():
    X, y, _ = make_biased_classification(300, 3, random_state=0)
    model = SGDClassifier(loss="log_loss", alpha=0.01, random_state=0).fit(X, y)
    adapter = get_adapter(model)
    rho = adapter.l2_penalty(len(X)).numpy()
    np.testing.assert_allclose(rho, [0.01, 0.01, 0.01, 0.0])
    np.testing.assert_allclose(adapter.decision_function(X), model.decision_function(X))


def test_liblinear_penalises_intercept():
    X, y, _ = make_biased_classification(200, 3, random_state=0)
    model = LogisticRegression(solver="liblinear", C=2.0, intercept_scaling=4.0).fit(X, y)
    rho = get_adapter(model).l2_penalty(200).numpy()
    np.testing.assert_allclose(rho, [1 / 400] * 3 + [1 / (400 * 16)])


def test_with_parameters_returns_working_copy(data):
    X, y, s, Xv, yv, sv = data
    model = _fit(X, y)
    before = _theta(model).copy()
    adapter = get_adapter(model)
    edited = adapter.with_parameters(adapter.theta * 0.5)
    assert type(edited) is LogisticRegression
    np.testing.assert_allclose(_theta(edited), before * 0.5)
    np.testing.assert_array_equal(_theta(model), before)
    np.testing.assert_allclose(
        edited.decision_function(X), adapter.decision_function(X, adapter.theta * 0.5)
    )


@pytest.mark.parametrize("size", [1e-2, 1e-3])
def test_default_edit_matches_the_weighted_refit(size):
    """With the defaults (no damping for a penalised model), the IJ edit of an L2
    logistic regression is within 1% of the refit with ``sample_weight_`` for
    ‖w − 1‖∞ ≤ 0.01 (the first-order error shrinks with the edit)."""
    from skfair_ij import FairIJClassifier

    X, y, s = make_biased_classification(3000, 5, bias=2.0, proxy_strength=2.0, random_state=0)
    tr, va = slice(0, 2000), slice(2000, None)
    kw = dict(sensitive_features=s[tr], X_val=X[va], y_val=y[va], sensitive_features_val=s[va])
    probe = FairIJClassifier(weighting=IJack(lambdas=[1.0])).fit(X[tr], y[tr], **kw)
    lam = size / np.abs(probe.influences_).max()  # ‖w − 1‖∞ = size
    clf = FairIJClassifier(weighting=IJack(lambdas=[lam])).fit(X[tr], y[tr], **kw)
    assert np.abs(clf.sample_weight_ - 1).max() == pytest.approx(size)
    exact = dict(tol=1e-12, max_iter=10_000)
    before = _theta(LogisticRegression(**exact).fit(X[tr], y[tr]))
    after = _theta(LogisticRegression(**exact).fit(X[tr], y[tr], sample_weight=clf.sample_weight_))
    edit = _theta(clf.estimator_) - _theta(clf.initial_estimator_)
    assert np.linalg.norm(edit - (after - before)) < 0.01 * np.linalg.norm(after - before)


def test_linear_positive_predictions_of_a_block(data):
    """A linear model predicts a block of parameter vectors with one product per
    chunk of rows, as each vector would alone."""
    from skfair_ij.adapters import ModelAdapter, get_adapter

    X, y, *_ = data
    adapter = get_adapter(LogisticRegression().fit(X, y))
    thetas = adapter.theta[None, :] + torch.randn(7, len(adapter.theta), dtype=torch.float64)
    np.testing.assert_array_equal(
        adapter.positive(X, thetas), ModelAdapter.positive(adapter, X, thetas)
    )
