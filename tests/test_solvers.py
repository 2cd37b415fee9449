"""Curvature solvers as objects (skfair_ij/influence/_solvers.py): shorthands, the
damping they resolve, and the Curvature they build."""

import numpy as np
import pytest
import torch
from sklearn.linear_model import LogisticRegression
from sklearn.model_selection import GridSearchCV

from skfair_ij import FairIJClassifier
from skfair_ij.datasets import make_biased_classification
from skfair_ij.influence import (
    CG,
    BinaryModelProblem,
    DiagonalFisher,
    Exact,
    Identity,
    InfluenceConvergenceWarning,
)
from skfair_ij.influence._solvers import CONVEX_DAMPING, NET_DAMPING, check_solver


@pytest.fixture(scope="module")
def problem():
    gen = torch.Generator().manual_seed(0)
    X = torch.randn(300, 4, dtype=torch.float64, generator=gen)
    y = (X[:, 0] + 0.5 * torch.randn(300, dtype=torch.float64, generator=gen) > 0).double()
    theta = torch.tensor([1.0, 0.2, -0.1, 0.0], dtype=torch.float64)
    return BinaryModelProblem(lambda th, X: X @ th, theta, X, y)


def test_shorthands():
    for name, cls in (("cg", CG), ("exact", Exact), ("diagonal", DiagonalFisher)):
        assert isinstance(check_solver(name), cls)
    assert isinstance(check_solver("identity"), Identity)
    with pytest.raises(ValueError, match="solver must be one of"):
        check_solver("newton")


def test_auto_damping(problem):
    mean = problem.mean_curvature()
    assert CG().resolve_damping(problem, convex=True, penalised=True) == 0.0
    assert CG().resolve_damping(problem, convex=True, penalised=False) == pytest.approx(
        CONVEX_DAMPING * mean
    )
    assert Exact().resolve_damping(problem, convex=False, penalised=False) == pytest.approx(
        NET_DAMPING * mean
    )
    assert CG(damping=0.3).resolve_damping(problem, convex=False, penalised=True) == 0.3
    assert Identity().resolve_damping(problem, convex=False, penalised=False) == 0.0


def test_cg_and_exact_agree(problem):
    b = torch.ones(4, dtype=torch.float64)
    exact = Exact(damping=1e-3).curvature(problem, 1e-3).solve(b)
    cg = CG(tol=1e-12, maxiter=50).curvature(problem, 1e-3).solve(b)
    torch.testing.assert_close(cg, exact, rtol=1e-8, atol=1e-10)
    hessian = CG(tol=1e-12, product="hessian").curvature(problem, 1e-3).solve(b)
    torch.testing.assert_close(hessian, exact, rtol=1e-8, atol=1e-10)  # linear: H = GN
    diagonal = DiagonalFisher().curvature(problem, 1e-3).solve(b)
    assert diagonal.shape == b.shape


@pytest.mark.skipif(torch.cuda.is_available(), reason="checks the error without CUDA")
def test_cuda_without_cuda():
    with pytest.raises(ValueError, match="torch.cuda.is_available"):
        check_solver(CG(device="cuda"))


def test_solver_settings_reach_the_fit_and_a_search():
    X, y, s = make_biased_classification(2000, 4, bias=2.0, proxy_strength=2.0, random_state=0)
    tight = FairIJClassifier(solver=CG(tol=1e-10), random_state=0).fit(X, y, sensitive_features=s)
    exact = FairIJClassifier(solver=Exact(), random_state=0).fit(X, y, sensitive_features=s)
    np.testing.assert_allclose(tight.influences_, exact.influences_, rtol=1e-6, atol=1e-9)
    with pytest.warns(InfluenceConvergenceWarning, match="did not converge in 1 iterations"):
        FairIJClassifier(solver=CG(tol=1e-10, maxiter=1), random_state=0).fit(
            X, y, sensitive_features=s
        )
    search = GridSearchCV(
        FairIJClassifier(LogisticRegression(), solver=CG(), random_state=0),
        {"solver__damping": [0.0, 0.1]},
        cv=2,
    )
    search.fit(X, y, sensitive_features=s)
    assert search.best_estimator_.solver_.damping in (0.0, 0.1)
    assert search.best_estimator_.damping_ == search.best_params_["solver__damping"]


def test_later_solves_are_deflated_by_the_earlier_directions():
    """A second solve starts from the Galerkin solution on the first solve's
    directions (at most 64 of the 200 here) and keeps its own directions
    A-orthogonal to them: fewer iterations, the same solution."""
    gen = torch.Generator().manual_seed(1)
    D = 200
    X = torch.randn(3000, D, dtype=torch.float64, generator=gen) * torch.linspace(0.5, 2, D)
    y = (X[:, 0] + torch.randn(3000, dtype=torch.float64, generator=gen) > 0).double()
    problem = BinaryModelProblem(
        lambda th, X: X @ th,
        torch.zeros(D, dtype=torch.float64),
        X,
        y,
        l2_penalty=torch.full((D,), 1e-2, dtype=torch.float64),
    )
    b1 = torch.randn(D, dtype=torch.float64, generator=gen)
    b2 = b1 + 0.3 * torch.randn(D, dtype=torch.float64, generator=gen)
    fresh = CG(tol=1e-8, maxiter=500).curvature(problem, 0.0)
    fresh.solve(b2)
    recycled = CG(tol=1e-8, maxiter=500).curvature(problem, 0.0)
    recycled.solve(b1)
    x2 = recycled.solve(b2)
    assert recycled.info_["n_iter"] < fresh.info_["n_iter"]
    exact = Exact(damping=0.0).curvature(problem, 0.0).solve(b2)
    torch.testing.assert_close(x2, exact, rtol=1e-6, atol=1e-9)
