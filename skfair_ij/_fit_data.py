"""The one validator of ``fit``: X with its sensitive column, labels, groups,
weights, the validation split and the pipeline around the model, in one value.

:func:`validate_fit` reads what ``fit`` received and the estimator's input
settings (an :class:`InputSpec`) and returns a :class:`FitData`; it sets
nothing on the estimator, which takes its fitted attributes from the value.
The rows' backend (in memory, or a cluster) is chosen here, once.
"""

from typing import NamedTuple

import numpy as np
import pandas as pd
import scipy.sparse
from sklearn.base import BaseEstimator, clone
from sklearn.pipeline import Pipeline
from sklearn.preprocessing import LabelEncoder
from sklearn.utils import _safe_indexing, assert_all_finite
from sklearn.utils.multiclass import type_of_target
from sklearn.utils.validation import (
    _check_sample_weight,
    _num_samples,
    check_consistent_length,
    column_or_1d,
    validate_data,
)

from ._split import PREFIT_NEEDS_VALIDATION, SPLIT_TOO_SMALL, Split, codes_of, held_out_split
from .backends import backend_of, is_distributed
from .metrics._validation import MISSING_SENSITIVE, check_sensitive_features

NOT_BINARY_TARGET = (
    "Only binary classification is supported: {name} needs two classes in y, which is "
    "{target_type} with {n_classes} classes."
)
ONE_CLASS = "{name} needs samples of 2 classes in y; got only class {cls!r}."
VALIDATION_INCOMPLETE = (
    "Validation data need X_val, y_val and sensitive_features_val together; got only {given}."
)
CONTINUOUS_GROUPS = (
    "sensitive_features looks continuous: {n_groups} distinct values among {n} rows. "
    "A fairness gap compares groups; bin the attribute first (e.g. pandas.cut)."
)


class SensitiveColumn(NamedTuple):
    """The sensitive attribute as a column of X: a name (DataFrame X), a
    position, or a callable ``X -> groups``; ``drop`` removes it from the
    model's inputs. It takes the groups at fit and drops the column at fit
    *and* predict (X given with or without it)."""

    column: object = None
    drop: bool = False

    @property
    def by_name(self):
        return isinstance(self.column, str)

    @property
    def by_position(self):
        return self.column is not None and not self.by_name and not callable(self.column)

    def take_by_name(self, X, groups):
        """Before the numeric validation: read a named column (unless the groups
        are given) and drop it if asked. Returns ``(X, groups)``."""
        if not self.by_name:
            return X, groups
        if not hasattr(X, "columns") or self.column not in X.columns:
            raise ValueError(
                f"sensitive_column={self.column!r} names no column of X; X must be a "
                "DataFrame with that column."
            )
        if groups is None:
            groups = X[self.column]
        return (X.drop(columns=[self.column]) if self.drop else X), groups

    def take_after_validation(self, X, groups):
        """After the numeric validation: a position or a callable. Returns the
        model's inputs and the groups."""
        if self.column is None or self.by_name:
            return X, groups
        if callable(self.column):
            return X, self.column(X) if groups is None else groups
        if groups is None:
            lazy = is_distributed(X)  # (a cluster's array: its own indexing)
            groups = X[:, self.column] if lazy else _safe_indexing(X, self.column, axis=1)
        return self.drop_positional(X), groups

    def drop_named(self, X):
        """At predict: X without a dropped named column (when X has it)."""
        if self.by_name and self.drop and hasattr(X, "columns") and self.column in X.columns:
            return X.drop(columns=[self.column])
        return X

    def drop_positional(self, X):
        """After validation (at fit and predict): X without a dropped column position."""
        if not (self.by_position and self.drop):
            return X
        if not (isinstance(X, np.ndarray) or is_distributed(X)):
            raise ValueError(
                "drop_sensitive with a column position needs array X; name the column of "
                "a DataFrame instead."
            )
        return X[:, [j for j in range(X.shape[1]) if j != self.column]]


class InputSpec(NamedTuple):
    """What the estimator tells the validator: its name (for messages), the
    sensitive column, the pipeline parts (``preprocessing``, final step name),
    the sparse format its models take, the share held out, whether the model
    is pre-trained and the split's seed."""

    owner: object  # the estimator (named in error messages only)
    column: SensitiveColumn
    preprocessing: object
    final_name: object
    sparse_format: object
    validation_fraction: float
    prefit: bool
    seed: object


class FitData(NamedTuple):
    """Everything ``fit`` learns from its inputs."""

    split: Split
    classes: np.ndarray
    groups: np.ndarray  # group labels, in code order
    n_features_in: int
    feature_names_in: object  # ndarray of str or None
    preprocessor: object  # the fitted preprocessing of a Pipeline, or None
    backend: object


class _Columns(BaseEstimator):
    """Holder of ``n_features_in_`` / ``feature_names_in_`` for validate_data."""


def columns_for(owner):
    """An empty holder of the columns seen in fit, named as ``owner``'s class
    (scikit-learn's messages name the estimator by its class)."""
    return type(type(owner).__name__, (_Columns,), {})()


def validate_fit(spec, X, y, sensitive_features, sample_weight, validation):
    """The :class:`FitData` of a fit (``validation``: ``(X_val, y_val,
    sensitive_features_val)``, entries None when not given)."""
    backend = backend_of(X, y, sensitive_features, sample_weight)
    return backend.validate_fit(spec, X, y, sensitive_features, sample_weight, validation)


def validate_in_memory(spec, X, y, sensitive_features, sample_weight, validation):
    """:func:`validate_fit` of rows in memory."""
    name = type(spec.owner).__name__
    if y is None:
        raise ValueError(f"{name} requires y to be passed, but the target y is None.")
    check_same_index(X, y=y, sample_weight=sample_weight)
    columns = columns_for(spec.owner)
    X_model, X, s = _features(spec, columns, X, sensitive_features, reset=True)
    y = column_or_1d(y, warn=True)
    check_consistent_length(X, y)
    classes = check_binary(y, name)
    if s is None:
        raise ValueError(MISSING_SENSITIVE[:-1] + ", or set sensitive_column.")
    n = _num_samples(X)
    codes, names = check_sensitive_features(s, n)
    if len(names) > max(2, n // 2):
        raise ValueError(CONTINUOUS_GROUPS.format(n_groups=len(names), n=n))
    groups = np.asarray(names, dtype=object)
    if sample_weight is not None:
        sample_weight = _check_sample_weight(
            sample_weight, X, dtype=np.float64, ensure_non_negative=True
        )
        if not sample_weight.any():
            raise ValueError("sample_weight is zero for every row.")
    y = LabelEncoder().fit(y).transform(y)
    rows = (X_model, y, codes, sample_weight)
    split = _split(spec, columns, rows, validation, classes, groups)
    split, preprocessor = _transform(spec, split)
    n_in, names_in = (getattr(columns, a, None) for a in ("n_features_in_", "feature_names_in_"))
    return FitData(split, classes, groups, n_in, names_in, preprocessor, backend_of())


def check_binary(y, name):
    """The two classes of labels y (sorted), or a clear error."""
    classes = np.unique(y)
    if len(classes) == 1:
        only = classes[0].item() if isinstance(classes[0], np.generic) else classes[0]
        raise ValueError(ONE_CLASS.format(name=name, cls=only))
    target_type = type_of_target(y, input_name="y", raise_unknown=True)
    if target_type != "binary":
        raise ValueError(
            NOT_BINARY_TARGET.format(name=name, target_type=target_type, n_classes=len(classes))
        )
    return classes


def encode_labels(y, classes, name):
    """Codes 0/1 of labels seen in fit (``classes``); unseen ones are an error."""
    y = np.asarray(y).reshape(-1)
    unknown = set(np.unique(y)) - set(classes)
    if unknown:
        raise ValueError(f"{name} holds labels {sorted(unknown)} not seen in y.")
    return np.searchsorted(classes, y)


def _features(spec, columns, X, s, *, reset, name="sensitive_features"):
    """Validate X and take out the sensitive features: ``(X_model, X, s)``.

    ``columns`` holds the numbers and names of the columns (set when
    ``reset``, checked otherwise)."""
    check_same_index(X, **{name: s})
    X, s = spec.column.take_by_name(X, s)
    kwargs = {"reset": reset, "estimator": spec.owner}
    if spec.preprocessing is not None:  # raw columns: the pipeline encodes them
        X = validate_data(columns, X, skip_check_array=True, **kwargs)
    else:
        X = validate_data(
            columns,
            X,
            dtype=np.float64,
            accept_sparse=spec.sparse_format,
            ensure_min_samples=2,
            **kwargs,
        )
    X_model, s = spec.column.take_after_validation(X, s)
    return X_model, X, s


def _split(spec, columns, rows, validation, classes, groups):
    """The :class:`Split` of a fit: the given validation data, or a held-out share.

    A held-out share is stratified by group and label and holds at least
    one row of every group × label cell that has two rows or more (and
    leaves one for training); a pre-trained model needs validation data.
    """
    X, y, codes, sample_weight = rows
    names = ("X_val", "y_val", "sensitive_features_val")
    given = [n for n, v in zip(names, validation, strict=True) if v is not None]
    if given and len(given) < 3:
        raise ValueError(VALIDATION_INCOMPLETE.format(given=", ".join(given)))
    if given:
        X_val, y_val, s_val = validation
        check_same_index(X_val, y_val=y_val)
        X_val, _, s_val = _features(
            spec, columns, X_val, s_val, reset=False, name="sensitive_features_val"
        )
        y_val = encode_labels(y_val, classes, "y_val")
        n_val = _num_samples(X_val)
        if len(y_val) != n_val:
            raise ValueError(f"X_val has {n_val} rows but y_val has {len(y_val)}.")
        g_val = codes_of(s_val, n_val, groups)
        return Split(np.arange(_num_samples(X)), X, y, codes, sample_weight, X_val, y_val, g_val)
    if spec.prefit:
        raise ValueError(PREFIT_NEEDS_VALIDATION)
    sizes = np.bincount(codes, minlength=len(groups))
    if sizes.min() < 2:
        problem = f"group {groups[int(np.argmin(sizes))]!r} has a single row"
        raise ValueError(SPLIT_TOO_SMALL.format(problem=problem))
    train, val = held_out_split(codes, y, spec.validation_fraction, spec.seed)
    if len(np.unique(y[train])) < 2:
        raise ValueError(SPLIT_TOO_SMALL.format(problem="a class has a single row"))
    weight = None if sample_weight is None else sample_weight[train]
    X_train, X_val = _safe_indexing(X, train), _safe_indexing(X, val)
    return Split(train, X_train, y[train], codes[train], weight, X_val, y[val], codes[val])


def _transform(spec, split):
    """Fit the pipeline's preprocessing on the training rows (or take it as
    fitted) and give the final step its features: ``(split, preprocessor)``."""
    prep = spec.preprocessing
    if prep is None:
        return split, None
    if not spec.prefit:
        prep = clone(prep).fit(split.X_train, split.y_train)
    cast = features_cast(spec.sparse_format)
    X_train, X_val = (cast(prep.transform(X)) for X in (split.X_train, split.X_val))
    for X, name in ((X_train, "X"), (X_val, "X_val")):
        assert_all_finite(X, input_name=f"{name} after the Pipeline's preprocessing")
    return split._replace(X_train=X_train, X_val=X_val), prep


def check_same_index(X, **values):
    """A clear error when a pandas input's index differs from that of DataFrame X
    (``X_val`` for the validation inputs):
    rows are matched by position, so a shuffled index would scramble them."""
    index = getattr(X, "index", None)
    if not isinstance(index, pd.Index):  # (a list's index is a method)
        return
    for name, value in values.items():
        other = getattr(value, "index", None)
        if isinstance(other, pd.Index) and not other.equals(index):
            same_rows = len(other) == len(index) and set(other) == set(index)
            fix = f"{name}.loc[X.index]" if same_rows else f"{name}.to_numpy()"
            raise ValueError(
                f"{name} has a pandas index that differs from X's index; rows are matched "
                f"by position, so they would be mismatched. Align them first (e.g. {fix}), "
                "or pass plain arrays if the positions already match."
            )


def unwrap(estimator):
    """``(preprocessing, final step name, final step, frozen)`` of an estimator: a
    ``FrozenEstimator`` is pre-trained, a Pipeline's influences are its final step's
    (``preprocessing`` and the name are None for a single model)."""
    from sklearn.frozen import FrozenEstimator

    frozen = isinstance(estimator, FrozenEstimator)
    if frozen:
        estimator = estimator.estimator
    if isinstance(estimator, Pipeline):
        name, final = estimator.steps[-1]
        prep = estimator[:-1] if len(estimator.steps) > 1 else None
        return prep, name if prep is not None else None, final, frozen
    return None, None, estimator, frozen


def features_cast(sparse_format):
    """How a Pipeline's features reach the final step: sparse kept (CSR) for
    models that take it, dense float64 otherwise."""
    return float64_features if sparse_format else dense_features


def dense_features(X):
    """Features as a float64 array (sparse ones densified)."""
    if hasattr(X, "toarray"):
        X = X.toarray()
    return np.asarray(X, dtype=np.float64)


def float64_features(X):
    """Features as float64: a sparse matrix stays sparse (CSR)."""
    if scipy.sparse.issparse(X):
        return scipy.sparse.csr_matrix(X, dtype=np.float64)
    return np.asarray(X, dtype=np.float64)


def float32_features(X):
    """Features as a dense float32 array (what a net's final step takes)."""
    return np.asarray(X.toarray() if hasattr(X, "toarray") else X, dtype=np.float32)
