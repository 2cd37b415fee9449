"""Dense products of CPU tensors through numpy's BLAS.

The products of a linear model, ``X V`` and ``Xᵀ U`` with V and U of a few
columns, are memory-bound matrix-vector products. On the CPU numpy's BLAS runs
them faster than torch (about 25% for float64 here), and a skinny matrix-matrix
product is slower than one matrix-vector product per column. Tensors on a GPU,
sparse ones and tensors that carry gradients take torch's own product.
"""

from collections.abc import Callable
from typing import NamedTuple

import numpy as np
import torch

MAX_GEMV_COLUMNS = 4  # up to this many columns: one matrix-vector product each


def _plain_cpu(*tensors):
    """Dense CPU tensors with storage numpy can view (not inside torch.func's
    transforms, not carrying gradients)."""
    return all(
        isinstance(t, torch.Tensor)
        and t.device.type == "cpu"
        and t.layout == torch.strided
        and not t.requires_grad
        and not (t.is_conj() or t.is_neg())  # lazy views numpy cannot share
        and not _is_wrapped(t)
        for t in tensors
    )


def _is_wrapped(tensor):
    functorch = getattr(torch._C, "_functorch", None)
    check = getattr(functorch, "is_functorch_wrapped_tensor", None)
    return bool(check(tensor)) if check is not None else False


def matmul(A, B):
    """``A @ B`` for A (n, p) and B (p,) or (p, k), in A's dtype.

    Examples
    --------
    >>> import torch
    >>> from skfair_ij.influence._blas import matmul
    >>> A = torch.arange(6.0, dtype=torch.float64).reshape(3, 2)
    >>> matmul(A, torch.ones(2, 1, dtype=torch.float64)).ravel().tolist()
    [1.0, 5.0, 9.0]
    >>> matmul(A.T, torch.ones(3, dtype=torch.float64)).tolist()
    [6.0, 9.0]
    """
    if not _plain_cpu(A, B):
        return A @ B.to(A.dtype)
    a, b = A.numpy(), B.to(A.dtype).numpy()
    if b.ndim == 1 or b.shape[1] == 1 or b.shape[1] > MAX_GEMV_COLUMNS:
        return torch.from_numpy(a @ b)
    out = np.empty((b.shape[1], a.shape[0]), dtype=a.dtype)
    for j in range(b.shape[1]):  # (numpy's BLAS wants contiguous vectors)
        np.matmul(a, np.ascontiguousarray(b[:, j]), out=out[j])
    return torch.from_numpy(out).T


def affine_gauss_newton(X, weight, V, *, intercept, chunk_rows):
    """``Jᵀ diag(weight) J V`` for the Jacobian ``J = [X, 1]`` (``X`` without
    ``intercept``) of a linear logit, in one read of X from memory.

    Each chunk of ``chunk_rows`` rows is multiplied twice, ``z = J_c v`` and
    ``J_cᵀ (weight_c ⊙ z)``, while it is still in the CPU cache; numpy's BLAS,
    no per-chunk torch overhead. Sums across chunks are kept in float64.

    Parameters
    ----------
    X : Tensor of shape (N, p), dense, on the CPU
    weight : Tensor of shape (N,)
    V : Tensor of shape (D, k), ``D = p + intercept``
    intercept : bool
    chunk_rows : int

    Returns
    -------
    Tensor of shape (D, k), in V's dtype

    Examples
    --------
    >>> import torch
    >>> from skfair_ij.influence._blas import affine_gauss_newton
    >>> X = torch.randn(7, 2, dtype=torch.float64)
    >>> w, V = torch.rand(7, dtype=torch.float64), torch.randn(3, 2, dtype=torch.float64)
    >>> J = torch.cat([X, torch.ones(7, 1, dtype=torch.float64)], 1)
    >>> out = affine_gauss_newton(X, w, V, intercept=True, chunk_rows=3)
    >>> torch.allclose(out, J.T @ (w[:, None] * (J @ V)))
    True
    """
    x = X.numpy()
    w = weight.to(X.dtype).numpy()
    p = x.shape[1]
    v = V.to(X.dtype).numpy()
    coef = [np.ascontiguousarray(v[:p, j]) for j in range(v.shape[1])]
    out = np.zeros((v.shape[0], v.shape[1]), dtype=np.float64)
    z = np.empty((len(coef), len(x)), dtype=x.dtype)  # w ⊙ J v, summed at the end
    for start in range(0, len(x), chunk_rows):
        stop = min(start + chunk_rows, len(x))
        rows = x[start:stop]
        for j, beta in enumerate(coef):
            z_rows = z[j, start:stop]
            np.matmul(rows, beta, out=z_rows)
            if intercept:
                z_rows += v[p, j]
            z_rows *= w[start:stop]
            out[:p, j] += rows.T @ z_rows
    if intercept:
        out[p] = z.sum(1, dtype=np.float64)
    return torch.from_numpy(out).to(V.dtype)


class AffineJacobian(NamedTuple):
    """The Jacobian products of a logit affine in θ (the ``jacobian_products``
    of a :class:`~skfair_ij.influence.BinaryModelProblem`), with the structure
    that allows the fused kernel: ``J = [X, 1]`` or ``J = X``."""

    jvp: Callable
    vjp: Callable
    intercept: bool


def affine_squares(X, weight, *, intercept, chunk_rows):
    """``Σ_n weight_n J_n²`` (D,), the diagonal of ``Jᵀ diag(weight) J`` for
    ``J = [X, 1]`` (``X`` without ``intercept``), chunk by chunk in float64.

    Examples
    --------
    >>> import torch
    >>> from skfair_ij.influence._blas import affine_squares
    >>> X = torch.tensor([[1.0, 2.0], [3.0, 0.0]], dtype=torch.float64)
    >>> w = torch.tensor([1.0, 0.5], dtype=torch.float64)
    >>> affine_squares(X, w, intercept=True, chunk_rows=1).tolist()
    [5.5, 4.0, 1.5]
    """
    x, w = X.numpy(), weight.to(X.dtype).numpy()
    out = np.zeros(x.shape[1] + int(intercept), dtype=np.float64)
    for start in range(0, len(x), chunk_rows):
        rows = x[start : start + chunk_rows]
        out[: x.shape[1]] += np.square(rows).T @ w[start : start + chunk_rows]
    if intercept:
        out[-1] = w.sum(dtype=np.float64)
    return torch.from_numpy(out)


class DenseAffineRows:
    """The rows of a linear model's Jacobian ``J = [X, 1]`` (``X`` without an
    intercept) for the fused kernels: X dense, on the CPU, in the problem's
    dtype. :func:`dense_affine_rows` builds it where it applies."""

    def __init__(self, X, intercept, chunk_rows):
        self.X, self.intercept, self.chunk_rows = X, intercept, chunk_rows

    def gauss_newton(self, weight, V):
        """``Σ_n weight_n J_nᵀ J_n V`` (see :func:`affine_gauss_newton`)."""
        kw = {"intercept": self.intercept, "chunk_rows": self.chunk_rows}
        return affine_gauss_newton(self.X, weight, V, **kw)

    def squares(self, weight, every=1):
        """``Σ_n weight_n J_n²`` (D,), estimated from every ``every``-th row."""
        X, weight = self.X[::every], weight[::every]
        kw = {"intercept": self.intercept, "chunk_rows": self.chunk_rows}
        return affine_squares(X, weight, **kw) * (len(self.X) / max(1, len(X)))


def dense_affine_rows(X, jacobian_products, dtype, chunk_rows):
    """A :class:`DenseAffineRows` when the products are an
    :class:`AffineJacobian` and X a dense CPU tensor of ``dtype``; else None."""
    intercept = getattr(jacobian_products, "intercept", None)
    if intercept is None or not _plain_cpu(X) or X.dtype != dtype:
        return None
    return DenseAffineRows(X, intercept, chunk_rows)
