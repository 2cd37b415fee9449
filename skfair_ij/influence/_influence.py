"""Fairness influence of training points and infinitesimal-jackknife edits."""

import torch


def fairness_influence(problem, curvature, fairness_gradient):
    """Influence of every training point on a fairness objective.

    ``I_n = −g_Fᵀ H⁻¹ g_n``: one solve ``v = H⁻¹ g_F``, then one streamed pass.
    With the mean-loss Hessian, up-weighting point n by δ changes F by about
    ``δ I_n / N``; a positive ``I_n`` means removing the point lowers F.

    Parameters
    ----------
    problem : BinaryModelProblem
    curvature : Curvature
    fairness_gradient : Tensor of shape (D,)
        ``g_F = ∇θ F`` on validation data.

    Returns
    -------
    Tensor of shape (N,)
    """
    v = curvature.solve(fairness_gradient)
    return -problem.gradient_products(v)


def ij_parameter_change(problem, curvature, delta_w):
    """Parameter change the infinitesimal jackknife predicts for new weights.

    ``Δθ = −(1/N) H⁻¹ G (w − 1)``, streamed over the training rows.

    Parameters
    ----------
    problem : BinaryModelProblem
    curvature : Curvature
    delta_w : Tensor of shape (N,) or (N, k)
        ``w − 1`` for one or k weight vectors.

    Returns
    -------
    Tensor of shape (D,) or (D, k)
    """
    delta_w = torch.as_tensor(delta_w)
    return -curvature.solve(problem.weighted_gradient_sum(delta_w)) / problem.n_samples


def discrete_path_parameter_changes(problem, curvature, influences, cuts, *, upweight=False):
    """IJ parameter changes of the drop-K (or drop-K/up-weight-M) path.

    Points are taken by decreasing influence (``|I|`` when ``upweight``); the
    first ``cuts[j]`` of them get ``w = 0`` (positive influence) or ``w = 2``
    (negative influence, only when ``upweight``). The whole path costs one
    streamed pass and one solve with ``len(cuts)`` right-hand sides.

    Parameters
    ----------
    problem : BinaryModelProblem
    curvature : Curvature
    influences : Tensor of shape (N,)
    cuts : LongTensor of shape (k,)
        Increasing numbers of changed points.
    upweight : bool, default=False

    Returns
    -------
    Tensor of shape (D, k)
    """
    key = influences.abs() if upweight else influences
    order = torch.argsort(key, descending=True, stable=True)
    signs = torch.where(influences > 0, -1.0, 1.0).to(problem.dtype)  # w - 1 of each point
    cumulative = problem.prefix_gradient_sums(order, signs, cuts)
    return -curvature.solve(cumulative) / problem.n_samples
