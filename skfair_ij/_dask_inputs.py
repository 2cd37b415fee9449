"""Dask inputs to ``fit`` and ``predict``: the training rows stay on the cluster.

``X`` (a dask array or dataframe), ``y``, ``sensitive_features`` and
``sample_weight`` are aligned on the row blocks of X; the validation data are
gathered to the client, where the path is evaluated. The influences and the
weights come back as dask arrays.
"""

import warnings
from functools import partial

import numpy as np
from sklearn.utils.multiclass import type_of_target

from ._split import PREFIT_NEEDS_VALIDATION, Split, codes_of
from .influence._dask import is_dask_collection, model_lock

DASK_NEEDS_VALIDATION = (
    "Validation data need X_val, y_val and sensitive_features_val together (they are "
    "gathered to the client); without them a share validation_fraction of the Dask rows "
    "is held out."
)
DASK_PIPELINE = (
    "A Pipeline cannot take Dask inputs; transform X first (e.g. with dask-ml) and pass "
    "the final model."
)
DASK_NOT_NUMERIC = (
    "Dask inputs must be numeric; columns {columns} are not. Encode them first (e.g. "
    "dask_ml.preprocessing.Categorizer and DummyEncoder)."
)


def is_dask_input(*values):
    """Whether any of the values is a Dask collection."""
    return any(is_dask_collection(v) for v in values)


def as_dask_array(values, rows=None, *, dtype=None):
    """A dask array chunked along the rows only (``rows``: the row chunks to follow).

    A dask dataframe or series becomes an array with known partition lengths;
    numpy values are wrapped.
    """
    import dask.array as da

    if hasattr(values, "to_dask_array"):  # partition lengths, computed once
        with warnings.catch_warnings():  # string groups become an object array
            warnings.filterwarnings("ignore", "Dask currently has limited support")
            values = values.to_dask_array().compute_chunk_sizes()
    elif not is_dask_collection(values):
        values = da.from_array(np.asarray(values), chunks=-1)
    if dtype is not None and values.dtype != dtype:
        values = values.astype(dtype)
    if rows is None and values.ndim == 1:
        return values
    wanted = (tuple(rows) if rows is not None else values.chunks[0],) + tuple(
        (n,) for n in values.shape[1:]
    )
    return values if values.chunks == wanted else values.rechunk(wanted)


class DaskInputsMixin:
    """The Dask branch of :meth:`~BaseFairInfluence.fit` and of the predictions."""

    def _dask_split(self, X, y, sensitive_features, sample_weight, validation, prefit, seed):
        """The validated :class:`Split` of a fit on Dask inputs (sets ``classes_``,
        ``groups_``, ``n_features_in_`` and ``feature_names_in_``).

        Without validation data, a random share ``validation_fraction`` of the
        rows (each row drawn independently, from ``seed``) is held out and
        gathered to the client; the rest train.
        """
        import dask.array as da

        if self._pipeline_parts()[0] is not None:
            raise ValueError(DASK_PIPELINE)
        given = [v is not None for v in validation]
        if any(given) and not all(given):
            raise ValueError(DASK_NEEDS_VALIDATION)
        if prefit and not all(given):
            raise ValueError(PREFIT_NEEDS_VALIDATION)
        X, s = self._dask_features(X, sensitive_features)
        self.n_features_in_ = X.shape[1]
        rows = X.chunks[0]
        if y is None:
            raise ValueError(f"{type(self).__name__} requires y to be passed.")
        y = as_dask_array(y, rows)
        s = as_dask_array(s, rows)
        if len(y) != X.shape[0] or len(s) != X.shape[0]:
            raise ValueError(
                f"X has {X.shape[0]} rows but y has {len(y)} and sensitive_features {len(s)}."
            )
        classes, names = (np.asarray(v) for v in da.compute(da.unique(y), da.unique(s)))
        if len(classes) != 2:
            target = type_of_target(classes) if len(classes) > 1 else "constant"
            raise ValueError(
                f"Only binary classification is supported: y is {target} with "
                f"{len(classes)} classes."
            )
        if len(names) < 2:
            raise ValueError(f"sensitive_features holds a single group ({names[0]!r}).")
        self.classes_ = classes
        self.groups_ = np.asarray(names.tolist(), dtype=object)
        y_codes = (y == classes[1]).astype(np.float64)
        weight = None
        if sample_weight is not None:
            weight = as_dask_array(sample_weight, rows, dtype=np.float64)
            if len(weight) != X.shape[0]:
                raise ValueError(f"X has {X.shape[0]} rows but sample_weight has {len(weight)}.")
            negative, total = da.compute((weight < 0).any(), weight.sum())
            if negative:
                raise ValueError("Negative values in sample_weight are not allowed.")
            if total == 0:
                raise ValueError("sample_weight is zero for every row.")
        train_indices = None
        if not all(given):  # hold out a random share of the rows
            held = da.random.default_rng(seed).random(X.shape[0], chunks=(rows,))
            held = (held < self.validation_fraction).persist()
            validation = (X[held], y[held], s[held])
            sizes = tuple(int(n) for n in _true_per_block(~held))
            X, y, y_codes, s = (_rows_where(a, ~held, sizes) for a in (X, y, y_codes, s))
            if weight is not None:
                weight = _rows_where(weight, ~held, sizes)
            train_indices = da.flatnonzero(~held)
        X_val, y_val, s_val = (v.compute() if is_dask_collection(v) else v for v in validation)
        if all(given):  # held-out rows are validated rows of X already
            X_val, _, s_val = self._split_sensitive(
                X_val, s_val, reset=False, name="sensitive_features_val"
            )
        y_val = self._encode_labels(y_val, "y_val")
        n_val = len(y_val)
        if X_val.shape[0] != n_val:
            raise ValueError(f"X_val has {X_val.shape[0]} rows but y_val has {n_val}.")
        g_val = codes_of(s_val, n_val, self.groups_)
        g_codes = s.map_blocks(_codes, names, dtype=np.int64)
        return Split(train_indices, X, y_codes, g_codes, weight, X_val, y_val, g_val)

    def _dask_features(self, X, sensitive_features):
        """X as a float64 dask array (its sensitive column taken out) and the groups."""
        column = self.sensitive_column
        s = sensitive_features
        if hasattr(self, "feature_names_in_"):
            del self.feature_names_in_
        if hasattr(X, "columns"):
            if isinstance(column, str):
                s = X[column] if s is None else s
                if self.drop_sensitive:
                    X = X.drop(columns=[column])
            numeric = X.select_dtypes(include=["number", "bool"]).columns
            other = [c for c in X.columns if c not in set(numeric)]
            if other:
                raise ValueError(DASK_NOT_NUMERIC.format(columns=other))
            self.feature_names_in_ = np.asarray(X.columns, dtype=object)
        X = as_dask_array(X, dtype=np.float64)
        if column is not None and not isinstance(column, str):
            if callable(column):
                raise ValueError("sensitive_column as a callable is not available on Dask X.")
            s = X[:, column] if s is None else s
            if self.drop_sensitive:
                X = X[:, [j for j in range(X.shape[1]) if j != column]]
        if s is None:
            raise ValueError("sensitive_features is required (or set sensitive_column).")
        return X, s

    def _dask_blockwise(self, X, function, width=None, dtype=float):
        """``function`` (numpy rows -> values) applied to each block of Dask X:
        a dask array of shape (N,) or (N, width). Blocks of a process predict
        one at a time (a torch module's functional call is not thread-safe)."""
        function = partial(_one_at_a_time, function)
        if hasattr(X, "map_partitions"):  # a dataframe: column names reach the model
            import dask.array as da

            parts = [
                da.from_delayed(
                    _delayed(function)(part),
                    shape=(np.nan,) if width is None else (np.nan, width),
                    dtype=dtype,
                )
                for part in X.to_delayed(optimize_graph=False)
            ]
            return da.concatenate(parts, allow_unknown_chunksizes=True)
        X = as_dask_array(X)
        if width is None:
            return X.map_blocks(function, drop_axis=1, dtype=dtype)
        return X.map_blocks(function, chunks=(X.chunks[0], (width,)), dtype=dtype)


def _delayed(function):
    from dask import delayed

    return delayed(function, pure=True)


def _codes(block, names):
    """Group codes of a block: positions in the sorted group names."""
    return np.searchsorted(names, np.asarray(block)).astype(np.int64)


def _true_per_block(mask):
    """Number of True values in each block of a 1-d dask array."""
    return mask.map_blocks(lambda b: np.array([b.sum()]), chunks=(1,), dtype=np.int64).compute()


def _rows_where(values, mask, sizes):
    """The rows of ``values`` where ``mask``, block by block, with known chunks."""
    chunks = (sizes,) + tuple((n,) for n in values.shape[1:])
    mask = mask if values.ndim == 1 else mask[:, None]
    return values.map_blocks(_take, mask, chunks=chunks, dtype=values.dtype)


def _take(block, mask):
    return block[mask.reshape(-1)]


def _one_at_a_time(function, block):
    with model_lock(None):
        return function(block)
