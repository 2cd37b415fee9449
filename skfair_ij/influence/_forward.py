"""Forward-mode products of a functional model (``torch.autograd.forward_ad``).

Both run the model's forward pass on dual tensors, one column of V at a time:
``J V`` alone, or the Gauss-Newton block ``Jᵀ diag(s) J V`` of a chunk of rows
with the backward pass of the same graph. Neither uses ``torch.func``'s
transforms, whose first use in a process sets up for about a third of a second,
nor ``autograd.grad``'s ``grad_outputs``, whose first use imports torch's
symbolic-shape machinery (half a second): a first fit pays neither.

When the model's input goes through one linear layer first, that layer's
output at the fitted parameters is the same in every product: :class:`InputLayer`
keeps it, and a product runs only the rest of the model, the layer entering
through its tangent ``X Vᵀ`` and its gradient ``Gᵀ X``.
"""

from collections.abc import Callable
from typing import NamedTuple

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


class InputLayer(NamedTuple):
    """A linear layer applied to the model's input, and the rest of the model.

    ``weight`` and ``bias`` (None without one) are the layer's slices of θ,
    ``shape`` its weight's (outputs, inputs); ``rest_fn(theta, X, Z)`` gives
    the logits of X when the layer outputs Z (θ's entries of the layer unused).
    """

    weight: slice
    bias: slice | None
    shape: tuple
    rest_fn: Callable


class InputLayerProducts:
    """Gauss-Newton products of row chunks through an :class:`InputLayer`.

    Each chunk's layer output is computed at its first product and kept (under
    the chunk's ``key``, its rows' start and stop) while the kept outputs take
    at most ``max_bytes``; the chunks beyond compute theirs in every product.
    """

    def __init__(self, layer, theta, max_bytes):
        self.layer, self.theta, self.max_bytes = layer, theta, max_bytes
        self._outputs, self._bytes = {}, 0

    def __call__(self, key, X, weight, V):
        Z = self._outputs.get(key)
        if Z is None:
            W = self.theta[self.layer.weight].view(self.layer.shape)
            b = None if self.layer.bias is None else self.theta[self.layer.bias]
            with torch.no_grad():
                Z = torch.nn.functional.linear(X, W, b)
            size = Z.numel() * Z.element_size()
            if self._bytes + size <= self.max_bytes:
                self._outputs[key], self._bytes = Z, self._bytes + size
        return input_layer_gauss_newton(self.layer, self.theta, X, Z, weight, V)


def input_layer_gauss_newton(layer, theta, X, Z, weight, V):
    """``Jᵀ diag(weight) J V`` (D, k) for the rows X, ``Z`` their output of the
    input layer at θ (see :class:`InputLayer`).

    The same as :func:`fused_gauss_newton` without the layer's forward product
    ``X Wᵀ``: the forward pass starts from Z, the layer's tangent is ``X V_Wᵀ +
    v_b``, and the backward pass stops at Z, whose gradient G gives the layer's
    ``Gᵀ X`` and ``Σ_n G_n``.
    """
    out = torch.empty_like(V)
    with torch.enable_grad():
        theta = theta.detach().requires_grad_(True)
        Z = Z.detach().requires_grad_(True)
        for j in range(V.shape[1]):
            v = V[:, j].contiguous()
            bias = None if layer.bias is None else v[layer.bias]
            dZ = torch.nn.functional.linear(X, v[layer.weight].view(layer.shape), bias)
            with fwAD.dual_level():
                dual = layer.rest_fn(fwAD.make_dual(theta, v), X, fwAD.make_dual(Z, dZ))
                logits, tangent = fwAD.unpack_dual(dual.reshape(-1))
            if tangent is None:  # the logits do not depend on θ
                out[:, j] = 0.0
                continue
            gradients = torch.autograd.grad(
                logits @ (weight * tangent.detach()), (theta, Z), allow_unused=True
            )
            column, G = (
                torch.zeros_like(t) if g is None else g
                for g, t in zip(gradients, (theta, Z), strict=True)
            )
            # added: a weight tied to another layer also has a gradient from there
            column[layer.weight] += (G.T @ X).reshape(-1)
            if layer.bias is not None:
                column[layer.bias] += G.sum(0)
            out[:, j] = column
    return out
