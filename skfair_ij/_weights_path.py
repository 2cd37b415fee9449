"""The λ path of a rule whose weights come from an optimisation at each λ (the
utility-constrained rule): explicit weight vectors, their IJ parameters."""

import numpy as np
import torch

from .weighting import utility_constrained_weights

N_GRID_BUDGET = 20


def utility_path(problem, curvature, influences, utility, lambdas):
    """Parameters along the path of :class:`~skfair_ij.weighting.UtilityConstrained`.

    λ is the budget ``Σ (1 − w_n)``; the adaptive grid runs geometrically from
    1 to the number of rows whose removal lowers the gap. The parameters of
    every point come from one streamed pass and one solve with a right-hand
    side per point.

    Returns
    -------
    lambdas : ndarray of shape (k,)
    thetas : Tensor of shape (k, D)
    weights : ndarray of shape (N, k)
        The weights of every point.
    """
    influences = np.asarray(influences, dtype=float)
    utility = np.asarray(utility, dtype=float)
    if lambdas is None:
        n_helpful = max(1, int(np.sum(influences > 0)))
        lambdas = np.concatenate([[0.0], np.geomspace(1, n_helpful, N_GRID_BUDGET)])
    lambdas = np.asarray(lambdas, dtype=float)
    weights = np.column_stack(
        [utility_constrained_weights(influences, utility, lam) for lam in lambdas]
    )
    # drop budgets that change nothing more (the utility constraint binds first)
    keep = np.ones(len(lambdas), dtype=bool)
    keep[1:] = np.any(np.abs(np.diff(weights, axis=1)) > 1e-12, axis=0)
    lambdas, weights = lambdas[keep], weights[:, keep]
    delta = torch.as_tensor(weights - 1.0, dtype=problem.dtype, device=problem.device)
    changes = -curvature.solve(problem.weighted_gradient_sum(delta)) / problem.n_samples
    thetas = problem.theta[None, :] + changes.T
    return lambdas, thetas, weights
