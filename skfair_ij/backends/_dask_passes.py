"""Training rows on a Dask cluster: every data pass of the kernels as a tree
reduction over row blocks or a per-row map, run by Dask.

The workers run the same kernels as in memory: each block of rows becomes a
:class:`BinaryModelProblem` (its residuals and curvature weights computed inside
the block) and returns its sum, or its rows of a per-row map. The model (θ and
its logit function) is a node of each pass's graph; the CG loop, the Cholesky
factor, the path and the selection stay on the client. The training rows also
enter the pooled gaps by block sums (:class:`PooledRows`).
"""

import contextlib

import numpy as np
import torch

from ..influence._objective import TrainingObjective
from ..influence._problem import DEFAULT_MEMORY_BUDGET, BinaryModelProblem
from ..metrics._fairness import cell_counts
from ._dask_cluster import (
    _AUTODIFF,
    _aligned_to,
    _settle,
    _shared,
    _tree_sum,
    compute,
    model_lock,
    on_cluster,
)


class BlockKernel:
    """What a worker needs to build the problem of a block of rows: the model's
    logit function, θ and the problem's settings (shipped once per problem)."""

    def __init__(self, logit_fn, theta, jacobian_products, memory_budget):
        self.logit_fn, self.theta = logit_fn, theta.detach().cpu()
        self.jacobian_products, self.memory_budget = jacobian_products, memory_budget

    def problem(self, X, y, weight):
        dtype = self.theta.dtype
        return BinaryModelProblem(
            self.logit_fn,
            self.theta,
            torch.as_tensor(np.asarray(X), dtype=dtype),
            torch.as_tensor(np.asarray(y), dtype=dtype),
            weight=None if weight is None else torch.as_tensor(np.asarray(weight), dtype=dtype),
            jacobian_products=self.jacobian_products,
            memory_budget=self.memory_budget,
            cache_jacobian=False,
        )


# passes that need no automatic differentiation when the logit is affine in θ
_PLAIN_PRODUCTS = {
    "gauss_newton_sum",
    "gradient_products",
    "weighted_gradient_sum",
    "threshold_gradient_sums",
    "dense_gauss_newton_sum",
    "fisher_sum",
    "curvature_trace_sum",
}


def _block_call(kernel, method, X, y, weight, rows, args):
    """``method`` of the problem of one block, on its rows of the row arguments."""
    plain = kernel.jacobian_products is not None and method in _PLAIN_PRODUCTS
    with contextlib.nullcontext() if plain else _AUTODIFF:
        problem = kernel.problem(X, y, weight)
        rows = [torch.as_tensor(np.asarray(r), dtype=problem.dtype) for r in rows]
        out = getattr(problem, method)(*rows, *args)
    return out.numpy() if isinstance(out, torch.Tensor) else out


class DaskProblem(TrainingObjective):
    """A trained binary classifier and its training rows held as Dask arrays.

    The same interface as :class:`BinaryModelProblem`; its passes over the
    rows run on Dask (the active ``distributed`` client, or Dask's default
    scheduler). Sums come back to the client as tensors; per-row results
    (``gradient_products``) stay on the cluster as persisted Dask arrays.
    ``n_passes`` counts the passes over the training rows.

    Parameters
    ----------
    logit_fn, theta, l2_penalty, jacobian_products, memory_budget
        As in :class:`BinaryModelProblem` (the budget applies within a block).
    X : dask array of shape (N, p)
        Training inputs, chunked along the rows only.
    y, weight : dask arrays of shape (N,)
        Labels in {0, 1} and training weights (None: ones), chunked as X's rows.
    logits : ignored
        The logits are computed inside each block.

    Examples
    --------
    >>> import dask.array as da, numpy as np, torch
    >>> from skfair_ij.backends.dask import DaskProblem
    >>> from skfair_ij.influence import BinaryModelProblem
    >>> X = np.random.default_rng(0).normal(size=(100, 3))
    >>> y = (X[:, 0] > 0).astype(float)
    >>> theta = torch.tensor([1.0, 0.0, 0.0], dtype=torch.float64)
    >>> local = BinaryModelProblem(lambda th, X: X @ th, theta, torch.as_tensor(X),
    ...                            torch.as_tensor(y))
    >>> on_dask = DaskProblem(lambda th, X: X @ th, theta, da.from_array(X, chunks=30),
    ...                       da.from_array(y, chunks=30))
    >>> v = torch.ones(3, dtype=torch.float64)
    >>> torch.allclose(local.gauss_newton_product(v), on_dask.gauss_newton_product(v))
    True
    """

    def __init__(
        self,
        logit_fn,
        theta,
        X,
        y,
        *,
        l2_penalty=None,
        weight=None,
        jacobian_products=None,
        memory_budget=DEFAULT_MEMORY_BUDGET,
        logits=None,
    ):
        self._set_model(theta, X.shape[0], l2_penalty, memory_budget, jacobian_products)
        itemsize = torch.finfo(self.dtype).bits // 8
        # exact where a problem in memory would be: a linear model, or a Jacobian
        # small enough to cache
        self.exact_trace = jacobian_products is not None or (
            self.n_samples * self.n_params * itemsize <= self.memory_budget // 4
        )
        self.n_passes = 0
        self._held = []
        self.X = X if len(X.chunks[1]) == 1 else X.rechunk({1: -1})
        self.row_chunks = self.X.chunks[0]
        # per-row inputs are small next to X: held by the cluster once
        self.y = _settle(self._aligned(y))
        self.weight = None if weight is None else _settle(self._aligned(weight))
        self._kernel_object = BlockKernel(
            logit_fn, self.theta, jacobian_products, self.memory_budget
        )
        self._kernel = _shared(self._kernel_object)
        blocks = [self._row_blocks(a) for a in (self.X, self.y)]
        weights = [None] * len(self.row_chunks) if weight is None else self._row_blocks(self.weight)
        self._blocks = list(zip(*blocks, weights, strict=True))

    # ------------------------------------------------------------------ primitives
    def _aligned(self, a):
        return _aligned_to(a, self.row_chunks)

    def _row_blocks(self, a):
        """One delayed value per row block. Row arguments other than X are
        persisted first: a task key then never stands for two different
        (optimised and unoptimised) computations in the scheduler."""
        a = self._aligned(a)
        if a is self.X:  # optimised as any other computation of X would be
            return list(a.to_delayed().ravel())
        a = _settle(a)
        self._held.append(a)  # its results live as long as the problem
        return list(a.to_delayed(optimize_graph=False).ravel())

    def _tasks(self, method, args, rows):
        from dask import delayed

        row_blocks = [self._row_blocks(r) for r in rows]
        call = delayed(_block_call, pure=True)
        return [
            call(self._kernel, method, X, y, w, [r[i] for r in row_blocks], args)
            for i, (X, y, w) in enumerate(self._blocks)
        ]

    def reduce(self, method, *args, rows=()):
        """The sum over the row blocks of ``method(*rows, *args)`` of each
        block's problem (a tree reduction), as a tensor on the client."""
        self.n_passes += 1
        (total,) = on_cluster(
            "a pass over the rows",
            lambda: compute(_tree_sum(self._tasks(method, args, rows))),
        )
        return torch.as_tensor(total).to(self.device, self.dtype) if np.ndim(total) else total

    def map(self, method, *args, rows=(), width=None):
        """The per-row results of ``method`` of each block's problem, as a
        persisted dask array of shape (N,) or (N, width) (settled, so retried
        when a worker is lost)."""
        import dask.array as da

        self.n_passes += 1
        numpy_dtype = torch.empty(0, dtype=self.dtype).numpy().dtype
        parts = [
            da.from_delayed(task, shape=(n,) if width is None else (n, width), dtype=numpy_dtype)
            for task, n in zip(self._tasks(method, args, rows), self.row_chunks, strict=True)
        ]
        return _settle(da.concatenate(parts))

    def keep(self, values):
        """Per-row values computed once and held by the cluster (persisted, so
        that later passes reuse them)."""
        values = _settle(self._aligned(values))
        self._held.append(values)
        return values

    host = keep  # the estimators hold them as dask arrays, left on the cluster

    # ------------------------------------------------------------------ passes
    def gradient_products(self, V):
        columns = V.reshape(self.n_params, -1).cpu()
        out = self.map("gradient_products", columns, width=columns.shape[1])
        return out[:, 0] if V.ndim == 1 else out

    def weighted_gradient_sum(self, A):
        A = self._aligned(A)
        columns = A if A.ndim == 2 else A[:, None]
        total = self.reduce("weighted_gradient_sum", rows=(columns,))
        return total if A.ndim == 2 else total[:, 0]

    def threshold_gradient_sums(self, key, signs, thresholds):
        return self.reduce("threshold_gradient_sums", thresholds.cpu(), rows=(key, signs))

    def prefix_gradient_sums(self, order, signs, cuts):
        raise NotImplementedError(
            "prefix sums need a global sort; on Dask use threshold_gradient_sums"
        )

    def gauss_newton_sum(self, V):
        return self.reduce("gauss_newton_sum", V.cpu())

    def hessian_sum(self, V):
        return self.reduce("hessian_sum", V.cpu())

    def dense_gauss_newton_sum(self):
        return self.reduce("dense_gauss_newton_sum")

    def dense_hessian_sum(self):
        return self.reduce("dense_hessian_sum")

    def fisher_sum(self):
        return self.reduce("fisher_sum")

    def curvature_trace_sum(self):
        return float(self.reduce("curvature_trace_sum"))

    def hutchinson_sum(self, rows, V):
        """On the sampled rows, gathered to the client (a few thousand)."""
        index = np.sort(rows.cpu().numpy())
        self.n_passes += 1
        weight = None if self.weight is None else self.weight[index]
        X, y, weight = compute(self.X[index], self.y[index], weight)
        problem = self._kernel_object.problem(X, y, weight)
        return problem.hutchinson_sum(torch.arange(len(index)), V.cpu())


def minimize_logistic(
    logit_fn, theta, X, y, *, l2_penalty, weight=None, jacobian_products=None, tol=1e-4, maxiter=100
):
    """Weighted L2 logistic regression on Dask rows by L-BFGS.

    Minimises ``(1/N) Σ_n b_n ℓ(y_n, f(θ, x_n)) + ½ Σ_d ρ_d θ_d²`` from
    ``theta``; each evaluation of the loss and its gradient is one tree
    reduction over the row blocks (the pattern of dask-glm, with weights).
    Stops when the largest gradient entry is below ``tol`` (scipy's ``gtol``,
    as scikit-learn's ``lbfgs`` solver).

    Returns
    -------
    theta : Tensor of shape (D,)
    info : dict
        ``n_iter``, ``n_passes`` and ``converged``.
    """
    from scipy.optimize import minimize

    dtype = theta.dtype
    rho = l2_penalty.detach().cpu().double().numpy()
    n = int(X.shape[0])
    passes = 0

    def objective(values):
        nonlocal passes
        current = torch.as_tensor(values, dtype=dtype)
        problem = DaskProblem(
            logit_fn, current, X, y, weight=weight, jacobian_products=jacobian_products
        )
        total = problem.reduce("loss_gradient_sum").double().numpy()
        passes += 1
        loss = total[0] / n + 0.5 * float(rho @ values**2)
        return loss, total[1:] / n + rho * values

    result = minimize(
        objective,
        theta.detach().cpu().double().numpy(),
        jac=True,
        method="L-BFGS-B",
        options={"maxiter": maxiter, "maxls": 50, "gtol": tol, "ftol": 64 * np.finfo(float).eps},
    )
    info = {"n_iter": int(result.nit), "n_passes": passes, "converged": bool(result.success)}
    return torch.as_tensor(result.x, dtype=dtype), info


def _block_cell_sums(adapter, theta, X, y, groups, criterion, n_groups):
    with model_lock(adapter.jacobian_products()):
        return _cell_sums_of(adapter, theta, X, y, groups, criterion, n_groups)


def _cell_sums_of(adapter, theta, X, y, groups, criterion, n_groups):
    from ..influence._surrogates import _cell_sums

    dtype = theta.dtype
    y = torch.as_tensor(np.asarray(y), dtype=dtype)
    cells, shape = criterion.cells(torch.as_tensor(np.asarray(groups)), y, n_groups)
    n_cells = int(np.prod(shape))
    w = (cells >= 0).to(dtype)
    X = torch.as_tensor(np.asarray(X), dtype=dtype)
    totals, sums = _cell_sums(
        adapter.logit_fn, theta, X, y, cells.clamp(min=0), w, criterion, n_cells, 2**14
    )
    return torch.stack([totals, sums]).numpy()


def _block_counts(adapter, thetas, X, y, groups, n_groups):
    with model_lock(adapter.jacobian_products()):
        positive = adapter.positive(np.asarray(X), thetas)  # (k, n) bool
    return cell_counts(np.asarray(y) == 1, positive, np.asarray(groups), n_groups)


class PooledRows:
    """The training rows (dask arrays) in the pooled gaps, by block sums.

    Parameters
    ----------
    adapter : ModelAdapter
        The model's adapter (shipped to the workers once).
    X : dask array of shape (N, p)
    y : dask array of shape (N,)
        Label codes 0/1.
    groups : dask array of shape (N,)
        Group codes.
    """

    def __init__(self, adapter, X, y, groups):
        self.X = X
        self.y = _settle(_aligned_to(y, X.chunks[0]))
        self.groups = _settle(_aligned_to(groups, X.chunks[0]))
        self.n_groups = int(self.groups.max().compute()) + 1
        self._adapter = _shared(adapter)
        parts = [X.to_delayed().ravel()] + [
            a.to_delayed(optimize_graph=False).ravel() for a in (self.y, self.groups)
        ]
        self._blocks = list(zip(*parts, strict=True))

    def _sum(self, function, *args):
        import dask
        from dask import delayed

        call = delayed(function, pure=True)
        parts = [call(self._adapter, args[0], X, y, g, *args[1:]) for X, y, g in self._blocks]
        return dask.compute(_tree_sum(parts))[0]

    def cell_sums(self, theta, criterion, n_groups):
        """Per-cell weight totals and soft-value sums of the rows at θ (torch)."""
        both = self._sum(_block_cell_sums, theta.detach().cpu(), criterion, n_groups)
        both = torch.as_tensor(both).to(theta.device, theta.dtype)
        return both[0], both[1]

    def counts(self, thetas):
        """Cell counts (k, G, 2, 2) of the rows' predictions under each θ."""
        thetas = torch.as_tensor(thetas).detach().cpu()
        return self._sum(_block_counts, thetas, self.n_groups)

    def accuracy(self, theta):
        """Accuracy of the rows' predictions under θ."""
        counts = self.counts(theta[None, :])[0]
        return float((counts[:, 0, 0].sum() + counts[:, 1, 1].sum()) / counts.sum())
