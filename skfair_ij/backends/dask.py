"""The Dask backend: the training rows of a fit stay on the cluster.

``X`` (a dask array or dataframe), ``y``, ``sensitive_features`` and
``sample_weight`` are aligned on the row blocks of X; the validation data are
gathered to the client, where the path is evaluated. The passes over the
training rows run on the cluster (:class:`DaskProblem`, the active
``distributed`` client or Dask's default scheduler); the influences and the
weights come back as dask arrays. Predictions on Dask X are dask arrays.
"""

import warnings
from functools import partial

import numpy as np
from sklearn.utils.multiclass import type_of_target

from .._split import PREFIT_NEEDS_VALIDATION, Split, codes_of
from ._dask_cluster import (
    DaskWorkerLostError,
    _tree_sum,
    compute,
    is_dask_collection,
    model_lock,
)
from ._dask_passes import DaskProblem, PooledRows, minimize_logistic

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
NOT_ON_DASK = (
    "{what} is not available on Dask inputs; use weighting='ijack', 'fair_ij' or "
    "'drop_upweight', or pass the data in memory."
)


class DaskBackend:
    """Rows held as Dask collections (see the module's description)."""

    name = "dask"
    label = "Dask"  # in messages
    distributed = True
    minimize_logistic = staticmethod(minimize_logistic)

    def owns(self, value):
        return is_dask_collection(value)

    def persist(self, value):
        return value.persist() if is_dask_collection(value) else value

    def compute(self, *values):
        return compute(*values)

    def over_blocks(self, block, values, op):
        """``block`` of every row block of ``values`` (persisted), combined by
        ``op`` in a tree."""
        import dask

        parts = [dask.delayed(block)(b) for b in values.to_delayed(optimize_graph=False).ravel()]
        return dask.compute(_tree_sum(parts, op))[0]

    def check_rule(self, rule):
        if not rule.runs_distributed:
            raise ValueError(NOT_ON_DASK.format(what=f"weighting={rule.name!r}"))

    def problem(self, *args, **kwargs):
        """A :class:`DaskProblem` (the arguments of :class:`BinaryModelProblem`)."""
        return DaskProblem(*args, **kwargs)

    def pooled_rows(self, adapter, X, y, groups):
        """The training rows in the pooled gaps, by block sums."""
        return PooledRows(adapter, X, y, groups)

    def fit_model(self, kind, model, X, y, sample_weight, classes):
        """Train ``model`` on the rows with its kind's ``fit_distributed``."""
        return kind.fit_distributed(model, X, y, sample_weight, classes, self)

    def validate_fit(self, spec, X, y, sensitive_features, sample_weight, validation):
        return _validate(spec, X, y, sensitive_features, sample_weight, validation)

    def blockwise(self, X, function, width=None, dtype=float):
        """``function`` (numpy rows -> values) applied to each block of Dask X:
        a dask array of shape (N,) or (N, width). Blocks of a process predict
        one at a time (a torch module's functional call is not thread-safe)."""
        function = partial(_one_at_a_time, function)
        if hasattr(X, "map_partitions"):  # a dataframe: column names reach the model
            import dask.array as da
            from dask import delayed

            shape = (np.nan,) if width is None else (np.nan, width)
            parts = [
                da.from_delayed(delayed(function, pure=True)(part), shape=shape, dtype=dtype)
                for part in X.to_delayed(optimize_graph=False)
            ]
            return da.concatenate(parts, allow_unknown_chunksizes=True)
        X = as_dask_array(X)
        if width is None:
            return X.map_blocks(function, drop_axis=1, dtype=dtype)
        return X.map_blocks(function, chunks=(X.chunks[0], (width,)), dtype=dtype)


BACKEND = DaskBackend()


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


def _validate(spec, X, y, sensitive_features, sample_weight, validation):
    """The :class:`~skfair_ij._fit_data.FitData` of a fit on Dask inputs.

    Without validation data, a random share ``validation_fraction`` of the
    rows (each row drawn independently, from the spec's seed) is held out and
    gathered to the client; the rest train.
    """
    from .._fit_data import FitData, columns_for, encode_labels

    if spec.preprocessing is not None:
        raise ValueError(DASK_PIPELINE)
    given = [v is not None for v in validation]
    if any(given) and not all(given):
        raise ValueError(DASK_NEEDS_VALIDATION)
    if spec.prefit and not all(given):
        raise ValueError(PREFIT_NEEDS_VALIDATION)
    X, s, names_in = _features(spec.column, X, sensitive_features)
    if y is None:
        raise ValueError(f"{type(spec.owner).__name__} requires y to be passed.")
    rows = X.chunks[0]
    y, s = as_dask_array(y, rows), as_dask_array(s, rows)
    if len(y) != X.shape[0] or len(s) != X.shape[0]:
        raise ValueError(
            f"X has {X.shape[0]} rows but y has {len(y)} and sensitive_features {len(s)}."
        )
    classes, groups = _labels_and_groups(y, s)
    y_codes = (y == classes[1]).astype(np.float64)
    weight = None if sample_weight is None else _weights(sample_weight, X)
    train_indices = None
    if not all(given):  # hold out a random share of the rows
        (X, y_codes, s, weight), validation, train_indices = _hold_out(
            (X, y_codes, s, weight), y, spec
        )
    X_val, y_val, s_val = (v.compute() if is_dask_collection(v) else v for v in validation)
    if all(given):  # held-out rows are validated rows of X already
        from .._fit_data import _features as validated

        columns = columns_for(spec.owner)  # the columns X had, to check X_val against
        columns.n_features_in_ = X.shape[1]
        if names_in is not None:
            columns.feature_names_in_ = names_in
        X_val, _, s_val = validated(
            spec, columns, X_val, s_val, reset=False, name="sensitive_features_val"
        )
    y_val = encode_labels(y_val, classes, "y_val")
    if X_val.shape[0] != len(y_val):
        raise ValueError(f"X_val has {X_val.shape[0]} rows but y_val has {len(y_val)}.")
    g_val = codes_of(s_val, len(y_val), groups)
    g_codes = s.map_blocks(_codes, np.asarray(groups.tolist()), dtype=np.int64)
    split = Split(train_indices, X, y_codes, g_codes, weight, X_val, y_val, g_val)
    return FitData(split, classes, groups, X.shape[1], names_in, None, BACKEND)


def _labels_and_groups(y, s):
    import dask.array as da

    classes, names = (np.asarray(v) for v in da.compute(da.unique(y), da.unique(s)))
    if len(classes) != 2:
        target = type_of_target(classes) if len(classes) > 1 else "constant"
        raise ValueError(
            f"Only binary classification is supported: y is {target} with {len(classes)} classes."
        )
    if len(names) < 2:
        raise ValueError(f"sensitive_features holds a single group ({names[0]!r}).")
    return classes, np.asarray(names.tolist(), dtype=object)


def _weights(sample_weight, X):
    import dask.array as da

    weight = as_dask_array(sample_weight, X.chunks[0], dtype=np.float64)
    if len(weight) != X.shape[0]:
        raise ValueError(f"X has {X.shape[0]} rows but sample_weight has {len(weight)}.")
    negative, total = da.compute((weight < 0).any(), weight.sum())
    if negative:
        raise ValueError("Negative values in sample_weight are not allowed.")
    if total == 0:
        raise ValueError("sample_weight is zero for every row.")
    return weight


def _hold_out(arrays, y, spec):
    """The training rows of ``arrays``, the held-out ``(X, y, s)`` and the
    training rows' indices (a random share ``validation_fraction`` held out)."""
    import dask.array as da

    X, y_codes, s, weight = arrays
    rows = X.chunks[0]
    held = da.random.default_rng(spec.seed).random(X.shape[0], chunks=(rows,))
    held = (held < spec.validation_fraction).persist()
    validation = (X[held], y[held], s[held])
    sizes = tuple(int(n) for n in _true_per_block(~held))
    kept = [None if a is None else _rows_where(a, ~held, sizes) for a in arrays]
    return kept, validation, da.flatnonzero(~held)


def _features(column, X, s):
    """X as a float64 dask array (its sensitive column taken out), the
    groups and the column names (None without them)."""
    names_in = None
    if hasattr(X, "columns"):
        X, s = column.take_by_name(X, s)
        numeric = X.select_dtypes(include=["number", "bool"]).columns
        other = [c for c in X.columns if c not in set(numeric)]
        if other:
            raise ValueError(DASK_NOT_NUMERIC.format(columns=other))
        names_in = np.asarray(X.columns, dtype=object)
    X = as_dask_array(X, dtype=np.float64)
    if callable(column.column):
        raise ValueError("sensitive_column as a callable is not available on Dask X.")
    X, s = column.take_after_validation(X, s)
    if s is None:
        raise ValueError("sensitive_features is required (or set sensitive_column).")
    return X, s, names_in


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


__all__ = ["BACKEND", "DaskBackend", "DaskProblem", "DaskWorkerLostError", "as_dask_array"]
