"""Sparse inputs for the kernels: a scipy CSR matrix handed over row chunk by row
chunk as torch sparse CSR tensors, so that no more than a chunk is converted and
nothing is made dense."""

import warnings

import numpy as np
import scipy.sparse
import torch


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

    def __init__(self, matrix, dtype=torch.float64):
        numpy_dtype = torch.empty(0, dtype=dtype).numpy().dtype
        self.matrix = scipy.sparse.csr_matrix(matrix, dtype=numpy_dtype)
        self.dtype = dtype

    @property
    def shape(self):
        return self.matrix.shape

    def __len__(self):
        return self.matrix.shape[0]

    def numel(self):
        return int(np.prod(self.matrix.shape))

    @property
    def row_bytes(self):
        """Mean bytes of a row (values and column indices)."""
        itemsize = self.matrix.data.itemsize + 8
        return max(1, int(np.ceil(self.matrix.nnz * itemsize / max(1, len(self)))))

    def __getitem__(self, rows):
        if isinstance(rows, torch.Tensor):
            rows = rows.cpu().numpy()
        return SparseRows(self.matrix[rows], self.dtype)

    def to(self, device=None, dtype=None):
        """The rows as a torch sparse CSR tensor."""
        dtype = self.dtype if dtype is None else dtype
        m = self.matrix
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", UserWarning)  # "sparse CSR support is in beta"
            return torch.sparse_csr_tensor(
                torch.from_numpy(m.indptr.astype(np.int64)),
                torch.from_numpy(m.indices.astype(np.int64)),
                torch.from_numpy(m.data).to(dtype),
                size=m.shape,
            ).to(device)


def as_rows(X, dtype):
    """X for the kernels: a :class:`SparseRows` for a sparse matrix, else a tensor."""
    if isinstance(X, SparseRows):
        return X if X.dtype == dtype else SparseRows(X.matrix, dtype)
    if scipy.sparse.issparse(X):
        return SparseRows(X, dtype)
    if isinstance(X, torch.Tensor):
        return X.to(dtype)
    return torch.as_tensor(np.asarray(X), dtype=dtype)
