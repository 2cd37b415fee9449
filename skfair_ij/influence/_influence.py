"""Fairness influence of training points and infinitesimal-jackknife edits."""

import numpy as np
import torch

from ._grads import logistic_loss


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

    Examples
    --------
    >>> import torch
    >>> from skfair_ij.influence import (BinaryModelProblem, Curvature,
    ...     fairness_influence, fairness_value_and_gradient, ij_parameter_change)
    >>> torch.manual_seed(0) and None
    >>> X = torch.randn(200, 3, dtype=torch.float64)
    >>> s = (torch.rand(200) < 0.5).long()
    >>> y = ((X[:, 0] + s) > 0.5).double()
    >>> model = lambda th, X: X @ th
    >>> theta = torch.tensor([1.0, 0.0, 0.0], dtype=torch.float64)
    >>> problem = BinaryModelProblem(model, theta, X, y,
    ...     l2_penalty=torch.full((3,), 0.01, dtype=torch.float64))
    >>> value, g_F = fairness_value_and_gradient(model, theta, X, y, s,
    ...     "demographic_parity")
    >>> curvature = Curvature(problem, "exact")
    >>> influences = fairness_influence(problem, curvature, g_F)
    >>> influences.shape
    torch.Size([200])
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

    Examples
    --------
    >>> import torch
    >>> from skfair_ij.influence import (BinaryModelProblem, Curvature,
    ...     fairness_influence, fairness_value_and_gradient, ij_parameter_change)
    >>> torch.manual_seed(0) and None
    >>> X = torch.randn(200, 3, dtype=torch.float64)
    >>> s = (torch.rand(200) < 0.5).long()
    >>> y = ((X[:, 0] + s) > 0.5).double()
    >>> model = lambda th, X: X @ th
    >>> theta = torch.tensor([1.0, 0.0, 0.0], dtype=torch.float64)
    >>> problem = BinaryModelProblem(model, theta, X, y,
    ...     l2_penalty=torch.full((3,), 0.01, dtype=torch.float64))
    >>> value, g_F = fairness_value_and_gradient(model, theta, X, y, s,
    ...     "demographic_parity")
    >>> curvature = Curvature(problem, "exact")
    >>> influences = fairness_influence(problem, curvature, g_F)
    >>> step = ij_parameter_change(problem, curvature, -0.1 * influences)  # I-JACK, λ = 0.1
    >>> bool(g_F @ step < 0)  # the fairness surrogate decreases to first order
    True
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

    Examples
    --------
    >>> import torch
    >>> from skfair_ij.influence import (BinaryModelProblem, Curvature,
    ...     fairness_influence, fairness_value_and_gradient, ij_parameter_change)
    >>> torch.manual_seed(0) and None
    >>> X = torch.randn(200, 3, dtype=torch.float64)
    >>> s = (torch.rand(200) < 0.5).long()
    >>> y = ((X[:, 0] + s) > 0.5).double()
    >>> model = lambda th, X: X @ th
    >>> theta = torch.tensor([1.0, 0.0, 0.0], dtype=torch.float64)
    >>> problem = BinaryModelProblem(model, theta, X, y,
    ...     l2_penalty=torch.full((3,), 0.01, dtype=torch.float64))
    >>> value, g_F = fairness_value_and_gradient(model, theta, X, y, s,
    ...     "demographic_parity")
    >>> curvature = Curvature(problem, "exact")
    >>> from skfair_ij.influence import discrete_path_parameter_changes
    >>> influences = fairness_influence(problem, curvature, g_F)
    >>> discrete_path_parameter_changes(problem, curvature, influences,
    ...                                 torch.tensor([1, 10, 50])).shape
    torch.Size([3, 3])
    """
    key = influences.abs() if upweight else influences
    order = torch.argsort(key, descending=True, stable=True)
    signs = torch.where(influences > 0, -1.0, 1.0).to(problem.dtype)  # w - 1 of each point
    cumulative = problem.prefix_gradient_sums(order, signs, cuts)
    return -curvature.solve(cumulative) / problem.n_samples


def threshold_parameter_changes(problem, curvature, influences, thresholds, *, upweight=False):
    """IJ parameter changes of the drop-K (or drop-K/up-weight-M) rules, by thresholds.

    Column j changes the points whose influence (``|I|`` when ``upweight``)
    exceeds ``thresholds[j]``: ``w = 0`` for a positive influence, ``w = 2``
    for a negative one. The same changes as
    :func:`discrete_path_parameter_changes` for cuts that split no tie, without
    a sort of the influences (one streamed pass and one solve).

    Parameters
    ----------
    problem : BinaryModelProblem, or a backend's problem of the same interface
    curvature : Curvature
    influences : Tensor, ndarray or a backend's lazy array of shape (N,)
    thresholds : Tensor of shape (k,)
    upweight : bool, default=False

    Returns
    -------
    Tensor of shape (D, k)
    """
    if isinstance(influences, torch.Tensor):
        influences = influences.detach().cpu().numpy()
    key = abs(influences) if upweight else influences
    signs = (influences <= 0) * 2.0 - 1.0  # w - 1 of each changed point
    sums = problem.threshold_gradient_sums(_rows(key), _rows(signs), thresholds)
    return -curvature.solve(sums) / problem.n_samples


def _rows(values):
    """numpy values as a tensor; a lazy array of a cluster backend stays one."""
    return torch.as_tensor(values) if isinstance(values, np.ndarray) else values


def validation_loss_gradient(logit_fn, theta, X, y, *, chunk_size=2**14):
    """Gradient of the mean logistic loss on ``(X, y)`` at ``theta``, shape (D,).

    The utility whose first-order change :class:`~skfair_ij.weighting.UtilityConstrained`
    keeps from rising; its influences are ``−g_Lᵀ H⁻¹ g_n``, computed by the
    same solve as the fairness influences.

    Examples
    --------
    >>> import torch
    >>> from skfair_ij.influence import validation_loss_gradient
    >>> X = torch.tensor([[1.0], [2.0]], dtype=torch.float64)
    >>> y = torch.tensor([1.0, 0.0], dtype=torch.float64)
    >>> validation_loss_gradient(lambda th, X: X @ th, torch.zeros(1, dtype=torch.float64), X, y)
    tensor([0.2500], dtype=torch.float64)
    """
    theta = theta.detach()
    y = torch.as_tensor(y).to(theta.device, theta.dtype)
    total = torch.zeros_like(theta)
    for start in range(0, len(y), chunk_size):
        rows = slice(start, min(start + chunk_size, len(y)))
        with torch.enable_grad():
            theta_ = theta.clone().requires_grad_(True)
            logits = logit_fn(theta_, X[rows].to(theta.device, theta.dtype)).reshape(-1)
            (grad,) = torch.autograd.grad(logistic_loss(logits, y[rows]).sum(), theta_)
        total += grad
    return total / max(1, len(y))
