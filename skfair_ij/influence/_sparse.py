"""Sparse inputs for the kernels: a scipy CSR matrix handed over row chunk by row
chunk as torch sparse CSR tensors, so that no more than a chunk is converted and
nothing is made dense."""

import warnings

import numpy as np
import scipy.sparse
import torch

from ..backends import is_distributed


class SparseRows:
    """Rows of a sparse matrix, converted to torch chunk by chunk.

    Supports what the kernels ask of an input tensor: ``len``, ``shape``,
    ``numel``, row slicing (``X[rows]``, another :class:`SparseRows`) and
    ``.to(device, dtype)`` (a torch sparse CSR tensor). Linear logits
    ``X @ θ`` and their products ``X V``, ``Xᵀ U`` then run as sparse-dense
    matrix products, differentiable with respect to the dense factor.

    Parameters
    ----------
    matrix : scipy sparse matrix of shape (n, p)
    dtype : torch.dtype, default=torch.float64

    Examples
    --------
    >>> import scipy.sparse, torch
    >>> from skfair_ij.influence import SparseRows
    >>> X = SparseRows(scipy.sparse.eye(4, format="csr"))
    >>> chunk = X[1:3].to("cpu")
    >>> (chunk @ torch.arange(4.0, dtype=torch.float64)).tolist()
    [1.0, 2.0]
    """

    ndim = 2

    def __init__(self, matrix, dtype=torch.float64, *, _parts=None):
        self.dtype = dtype
        if _parts is not None:  # a row slice: views of the parent's arrays
            self._crow, self._col, self._val, self._shape = _parts
            return
        numpy_dtype = torch.empty(0, dtype=dtype).numpy().dtype
        m = scipy.sparse.csr_matrix(matrix, dtype=numpy_dtype)
        m.sum_duplicates()
        # torch tensors sharing the CSR arrays (scipy's own index type, so that
        # scipy can work on them without a copy); row slices are views of them
        self._crow = torch.from_numpy(m.indptr)
        self._col = torch.from_numpy(m.indices)
        self._val = torch.from_numpy(m.data)
        self._shape = m.shape

    @property
    def shape(self):
        return self._shape

    def __len__(self):
        return self._shape[0]

    def numel(self):
        return int(np.prod(self._shape))

    @property
    def row_bytes(self):
        """Mean bytes of a row (values and column indices)."""
        nnz = int(self._crow[-1] - self._crow[0])
        itemsize = self._val.element_size() + self._col.element_size()
        return max(1, int(np.ceil(nnz * itemsize / max(1, len(self)))))

    @property
    def matrix(self):
        """The rows as a scipy CSR matrix (views of the same arrays)."""
        start = int(self._crow[0])
        end = int(self._crow[-1])
        return scipy.sparse.csr_matrix(
            (
                self._val[start:end].numpy(),
                self._col[start:end].numpy(),
                (self._crow - start).numpy(),
            ),
            shape=self._shape,
        )

    def __getitem__(self, rows):
        if isinstance(rows, slice) and rows.step in (None, 1):
            start, stop, _ = rows.indices(len(self))
            stop = max(start, stop)
            crow = self._crow[start : stop + 1]
            lo, hi = int(crow[0]), int(crow[-1])
            parts = (crow - lo, self._col[lo:hi], self._val[lo:hi], (stop - start, self._shape[1]))
            return SparseRows(None, self.dtype, _parts=parts)
        if isinstance(rows, torch.Tensor):
            rows = rows.cpu().numpy()
        return SparseRows(self.matrix[rows], self.dtype)

    def to(self, device=None, dtype=None):
        """The rows as a torch sparse CSR tensor."""
        dtype = self.dtype if dtype is None else dtype
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", UserWarning)  # "sparse CSR support is in beta"
            return torch.sparse_csr_tensor(
                self._crow, self._col, self._val.to(dtype), size=self._shape
            ).to(device)


def as_rows(X, dtype):
    """X for the kernels: a :class:`SparseRows` for a sparse matrix, the lazy
    array of a cluster backend as it is, else a tensor."""
    if is_distributed(X):  # rows on a cluster: passes run there
        numpy_dtype = torch.empty(0, dtype=dtype).numpy().dtype
        return X if X.dtype == numpy_dtype else X.astype(numpy_dtype)
    if isinstance(X, SparseRows):
        return X if X.dtype == dtype else SparseRows(X.matrix, dtype)
    if scipy.sparse.issparse(X):
        return SparseRows(X, dtype)
    if isinstance(X, torch.Tensor):
        return X.to(dtype)
    return torch.as_tensor(np.asarray(X), dtype=dtype)
