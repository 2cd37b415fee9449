"""The CPU products of linear models through numpy's BLAS
(skfair_ij/influence/_blas.py) and what uses them: the fused Gauss-Newton kernel,
conjugate gradient deflated on the intercept, the span of a λ path."""

import numpy as np
import pytest
import torch
from sklearn.linear_model import LogisticRegression

from skfair_ij.adapters import get_adapter
from skfair_ij.adapters._sklearn import _span
from skfair_ij.influence import CG, Exact
from skfair_ij.influence._blas import affine_gauss_newton, matmul


@pytest.mark.parametrize("k", [1, 2, 5])
def test_matmul_equals_torch(k):
    gen = torch.Generator().manual_seed(k)
    A = torch.randn(301, 17, dtype=torch.float64, generator=gen)
    B = torch.randn(17, k, dtype=torch.float64, generator=gen)
    U = torch.randn(301, k, dtype=torch.float64, generator=gen)
    torch.testing.assert_close(matmul(A, B), A @ B)
    torch.testing.assert_close(matmul(A.t(), U), A.T @ U)
    torch.testing.assert_close(matmul(A, B[:, 0]), A @ B[:, 0])
    # tensors that carry gradients keep torch's product (and its graph)
    B.requires_grad_(True)
    assert matmul(A, B).requires_grad


@pytest.mark.parametrize("intercept", [True, False])
@pytest.mark.parametrize("chunk_rows", [1, 7, 1000])
def test_fused_gauss_newton_equals_its_definition(intercept, chunk_rows):
    gen = torch.Generator().manual_seed(0)
    X = torch.randn(50, 4, dtype=torch.float64, generator=gen)
    w = torch.rand(50, dtype=torch.float64, generator=gen)
    V = torch.randn(4 + intercept, 3, dtype=torch.float64, generator=gen)
    J = torch.cat([X, torch.ones(50, 1, dtype=torch.float64)], 1) if intercept else X
    out = affine_gauss_newton(X, w, V, intercept=intercept, chunk_rows=chunk_rows)
    torch.testing.assert_close(out, J.T @ (w[:, None] * (J @ V)))


def _binary_problem(n=4000, d=60, seed=0):
    """Binary features that are not centred: the intercept couples to all."""
    rng = np.random.default_rng(seed)
    X = (rng.uniform(size=(n, d)) < rng.uniform(0.1, 0.6, d)).astype(float)
    y = (X @ rng.normal(size=d) / np.sqrt(d) + rng.normal(size=n) > 0.3).astype(int)
    model = LogisticRegression(C=10.0).fit(X, y)
    return get_adapter(model).make_problem(X, y)


def test_cg_deflated_on_the_intercept():
    """Deflated on the intercept, CG solves the Schur complement (centred
    features): fewer products than plain CG, the seed's included, and the same
    solution as the dense Cholesky solve."""
    problem = _binary_problem(n=8000, d=200)
    assert problem.bias_coordinates == [problem.n_params - 1]
    b = torch.as_tensor(np.random.default_rng(1).normal(size=problem.n_params))
    iterations = {}
    for deflate in (True, False):
        problem.bias_coordinates = [problem.n_params - 1] if deflate else []
        curvature = CG(tol=1e-3).curvature(problem, 0.0)
        curvature.solve(b)
        iterations[deflate] = curvature.info_["n_iter"]
    assert iterations[True] + 1 <= 0.75 * iterations[False]
    problem.bias_coordinates = [problem.n_params - 1]
    x = CG(tol=1e-10, maxiter=500).curvature(problem, 0.0).solve(b)
    exact = Exact(damping=0.0).curvature(problem, 0.0).solve(b)
    torch.testing.assert_close(x, exact, rtol=1e-7, atol=1e-9)


def test_no_deflation_without_an_intercept():
    rng = np.random.default_rng(0)
    X, y = rng.normal(size=(200, 3)), rng.integers(0, 2, 200)
    adapter = get_adapter(LogisticRegression(fit_intercept=False).fit(X, y))
    assert adapter.make_problem(X, y).bias_coordinates == []


def test_span_of_a_path_has_rank_two():
    """θ̂ + λu for 60 values of λ: two directions, not the rounding noise of
    the Gram matrix (each extra direction costs a product with the rows)."""
    gen = torch.Generator().manual_seed(0)
    theta, u = torch.randn(2, 501, dtype=torch.float64, generator=gen)
    lambdas = torch.linspace(0, 3, 60, dtype=torch.float64)
    thetas = theta[None, :] + lambdas[:, None] * u[None, :]
    basis, coeff = _span(thetas)
    assert basis.shape == (2, 501)
    torch.testing.assert_close(coeff @ basis, thetas, rtol=0, atol=1e-12)
    # a genuinely higher rank is kept
    more = torch.randn(5, 501, dtype=torch.float64, generator=gen)
    assert _span(more)[0].shape == (5, 501)


def test_path_predictions_from_the_known_logits():
    """With the fitted logits remembered, the predictions along θ̂ + λu need
    one product with X (the direction's); they equal one forward pass per point."""
    rng = np.random.default_rng(0)
    X, y = rng.normal(size=(500, 6)), rng.integers(0, 2, 500)
    adapter = get_adapter(LogisticRegression().fit(X, y))
    X_t = adapter.to_tensor(X)
    adapter.remember_logits(X_t, adapter.theta, adapter.decision_function(X_t))
    u = torch.as_tensor(rng.normal(size=7))
    thetas = adapter.theta[None, :] + torch.linspace(0, 2, 9, dtype=torch.float64)[:, None] * u
    expected = np.stack([adapter.decision_function(X_t, t) > 0 for t in thetas])
    np.testing.assert_array_equal(adapter.positive(X_t, thetas), expected)
    basis = adapter._spans[id(X_t)][1]
    assert basis.shape == (2, 7)  # θ̂'s direction (logits known) and one more
    # a point outside the span: a new basis, still exact
    other = torch.as_tensor(rng.normal(size=(2, 7)))
    expected = np.stack([adapter.decision_function(X_t, t) > 0 for t in other])
    np.testing.assert_array_equal(adapter.positive(X_t, other), expected)


def test_jacobi_preconditioning_for_rare_one_hot_levels():
    """One-hot levels of very different frequencies spread diag(H): CG is then
    preconditioned by it (fewer iterations, the same solution); features of one
    scale are not (Jacobi would cost an iteration there)."""
    rng = np.random.default_rng(0)
    n, levels = 6000, 12
    frequencies = np.geomspace(1, 200, levels)
    codes = rng.choice(levels, size=(n, 4), p=frequencies / frequencies.sum())
    X = np.concatenate([np.eye(levels)[codes[:, j]] for j in range(4)], axis=1)
    y = (X @ rng.normal(size=X.shape[1]) + rng.normal(size=n) > 0).astype(int)
    problem = get_adapter(LogisticRegression().fit(X, y)).make_problem(X, y)
    b = torch.as_tensor(rng.normal(size=problem.n_params))
    preconditioned = CG(tol=1e-3).curvature(problem, 0.0)
    x = preconditioned.solve(b)
    assert preconditioned._precondition is not False
    plain = CG(tol=1e-3).curvature(problem, 0.0)
    plain._precondition = False  # the same solve without Jacobi
    plain.solve(b)
    assert preconditioned.info_["n_iter"] < 0.75 * plain.info_["n_iter"]
    exact = Exact(damping=0.0).curvature(problem, 0.0).solve(b)
    assert float((x - exact).norm() / exact.norm()) < 0.05  # CG's tolerance on the residual
    tight = CG(tol=1e-10, maxiter=1000).curvature(problem, 0.0).solve(b)
    torch.testing.assert_close(tight, exact, rtol=1e-6, atol=1e-8)
    # one scale: no preconditioner
    binary = _binary_problem(n=2000, d=30)
    curvature = CG().curvature(binary, 0.0)
    curvature.solve(torch.ones(binary.n_params, dtype=torch.float64))
    assert curvature._precondition is False
