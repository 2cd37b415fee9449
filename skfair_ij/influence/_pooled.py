"""Training rows on Dask as extra rows of the gaps (``gap_data="pooled"``).

In memory the pooled gaps predict the training rows with every parameter
vector of the path. On Dask they need only sums over the row blocks: the
per-cell totals and soft values of the surrogate at θ, and the counts of
every (group, label, prediction) cell for a block of parameter vectors.
"""

import numpy as np
import torch

from ..metrics._fairness import cell_counts
from ._dask import _aligned_to, _settle, _shared, _tree_sum, model_lock


def _block_cell_sums(adapter, theta, X, y, groups, criterion, n_groups):
    with model_lock(adapter.jacobian_products()):
        return _cell_sums_of(adapter, theta, X, y, groups, criterion, n_groups)


def _cell_sums_of(adapter, theta, X, y, groups, criterion, n_groups):
    from ._surrogates import _cell_sums

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
