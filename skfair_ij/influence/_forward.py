"""Forward-mode products of a functional model (``torch.autograd.forward_ad``).

Both run the model's forward pass on dual tensors, one column of V at a time:
``J V`` alone, or the Gauss-Newton block ``Jᵀ diag(s) J V`` of a chunk of rows
with the backward pass of the same graph. Neither uses ``torch.func``'s
transforms, whose first use in a process sets up for about a third of a second,
nor ``autograd.grad``'s ``grad_outputs``, whose first use imports torch's
symbolic-shape machinery (half a second): a first fit pays neither.
"""

import torch
import torch.autograd.forward_ad as fwAD


def forward_jvp(logit_fn, theta, X, V):
    """``J V`` (n, k): the tangents of the logits of the rows X along the columns of V."""
    out = torch.empty((len(X), V.shape[1]), dtype=theta.dtype, device=theta.device)
    with fwAD.dual_level():
        for j in range(V.shape[1]):
            dual = fwAD.make_dual(theta, V[:, j].contiguous())
            tangent = fwAD.unpack_dual(logit_fn(dual, X).reshape(-1)).tangent
            out[:, j] = 0.0 if tangent is None else tangent
    return out


def fused_gauss_newton(logit_fn, theta, X, weight, V):
    """``Jᵀ diag(weight) J V`` (D, k) for the rows X.

    One forward pass carries both the logits (recorded for the backward pass)
    and their tangent J v; the backward pass of the same graph gives
    ``Jᵀ (weight ⊙ J v)``: about half the work of a separate jvp and vjp, which
    each run their own forward pass.
    """
    out = torch.empty_like(V)
    with torch.enable_grad():
        theta = theta.detach().requires_grad_(True)
        for j in range(V.shape[1]):
            with fwAD.dual_level():
                dual = fwAD.make_dual(theta, V[:, j].contiguous())
                logits, tangent = fwAD.unpack_dual(logit_fn(dual, X).reshape(-1))
            if tangent is None:  # the logits do not depend on θ
                out[:, j] = 0.0
                continue
            # the gradient of a scalar: no grad_outputs
            (out[:, j],) = torch.autograd.grad(logits @ (weight * tangent.detach()), theta)
    return out
