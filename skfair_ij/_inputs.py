"""Input validation of the estimators: X with its sensitive column, labels, groups,
weights, the validation split and the pipeline around the model."""

import numpy as np
import pandas as pd
import scipy.sparse
from sklearn.base import clone
from sklearn.linear_model import LogisticRegression
from sklearn.pipeline import Pipeline
from sklearn.preprocessing import FunctionTransformer, LabelEncoder
from sklearn.utils import _safe_indexing, assert_all_finite
from sklearn.utils.multiclass import type_of_target
from sklearn.utils.validation import (
    _check_sample_weight,
    _num_samples,
    check_consistent_length,
    check_is_fitted,
    column_or_1d,
    validate_data,
)

from ._labels import decoded
from ._split import PREFIT_NEEDS_VALIDATION, SPLIT_TOO_SMALL, Split, codes_of, held_out_split
from .adapters import kind
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


class InputsMixin:
    """Validation of what ``fit`` and ``predict`` receive."""

    def _split_sensitive(self, X, sensitive_features, *, reset, name="sensitive_features"):
        """Validate X and take out the sensitive features.

        A column *name* (DataFrame X) is read, and dropped if asked, before the
        numeric validation; a column *position* or a callable acts on the
        validated array. Returns ``(X_model, X_checked, s)``: the model's inputs,
        the validated X, and the groups (None when neither source gives them).
        """
        column = self.sensitive_column
        s = sensitive_features
        check_same_index(X, **{name: s})
        by_name = isinstance(column, str)
        if by_name:
            if not hasattr(X, "columns") or column not in X.columns:
                raise ValueError(
                    f"sensitive_column={column!r} names no column of X; X must be a "
                    "DataFrame with that column."
                )
            if s is None:
                s = X[column]
            if self.drop_sensitive:
                X = X.drop(columns=[column])
        if self._pipeline_parts()[0] is not None:  # raw columns: the pipeline encodes them
            X = validate_data(self, X, skip_check_array=True, reset=reset)
        else:
            X = validate_data(
                self,
                X,
                dtype=np.float64,
                accept_sparse=self._sparse_format(),
                reset=reset,
                ensure_min_samples=2,
            )
        X_model = X
        if column is not None and not by_name:
            if callable(column):
                s = column(X) if s is None else s
            else:
                s = _safe_indexing(X, column, axis=1) if s is None else s
                if self.drop_sensitive:
                    if not isinstance(X, np.ndarray):
                        raise ValueError(
                            "drop_sensitive with a column position needs array X; name the "
                            "column of a DataFrame instead."
                        )
                    X_model = np.delete(X, column, axis=1)
        return X_model, X, s

    def _pipeline_parts(self):
        """``(preprocessing, name of the final step)`` when the estimator is a
        Pipeline (the influences are those of its final step), else ``(None, None)``."""
        return unwrap(self.estimator)[:2]

    def _encode_labels(self, y, name):
        """Codes 0/1 of labels seen in fit (``classes_``); unseen ones are an error."""
        y = np.asarray(y).reshape(-1)
        unknown = set(np.unique(y)) - set(self.classes_)
        if unknown:
            raise ValueError(f"{name} holds labels {sorted(unknown)} not seen in y.")
        return np.searchsorted(self.classes_, y)

    def _transform_split(self, split, prefit):
        """Fit the pipeline's preprocessing on the training rows (or take it as
        fitted) and give the final step its features; sets ``preprocessor_``."""
        prep, self._final_name = self._pipeline_parts()
        self.preprocessor_ = None
        if prep is None:
            return split
        if not prefit:
            prep = clone(prep).fit(split.X_train, split.y_train)
        self.preprocessor_ = prep
        cast = _float64 if self._sparse_format() else _dense
        X_train, X_val = (cast(prep.transform(X)) for X in (split.X_train, split.X_val))
        for X, name in ((X_train, "X"), (X_val, "X_val")):
            assert_all_finite(X, input_name=f"{name} after the Pipeline's preprocessing")
        return split._replace(X_train=X_train, X_val=X_val)

    def _wrap_pipelines(self):
        """``final_estimator_`` (the model itself), and ``estimator_`` /
        ``initial_estimator_`` as the user sees them: speaking the user's labels,
        and Pipelines of the user's steps when the estimator is one."""
        self.final_estimator_ = self.estimator_
        # a net learns the codes 0/1: facing the user, it predicts their labels
        self.estimator_ = decoded(self.estimator_, self.classes_)
        self.initial_estimator_ = decoded(self.initial_estimator_, self.classes_)
        if getattr(self, "preprocessor_", None) is None:
            return
        self.estimator_ = self._as_pipeline(self.estimator_)
        self.initial_estimator_ = self._as_pipeline(self.initial_estimator_)

    def _sparse_format(self):
        """``"csr"`` when the models take sparse inputs as they are (linear
        models), else False (sparse inputs are then made dense)."""
        estimator = LogisticRegression() if self.estimator is None else self.estimator
        models = [unwrap(estimator)[2], *self._other_models()]
        return "csr" if all(kind(m).accepts_sparse for m in models) else False

    def _other_models(self):
        """Models besides the estimator's final step that see the features."""
        return []

    def _as_pipeline(self, model):
        # the final step was fitted on float features: float32 for nets, sparse
        # kept for models that take it, dense float64 otherwise
        if kind(model).learns_codes:
            cast = _as_float32
        else:
            cast = _float64 if self._sparse_format() else _dense
        steps = [*self.preprocessor_.steps, ("as_fitted", FunctionTransformer(cast))]
        return Pipeline([*steps, (self._final_name, model)])

    def _model_inputs(self, X):
        """X as the model sees it at predict time (validated, sensitive column dropped)."""
        check_is_fitted(self)
        column = self.sensitive_column
        if (
            isinstance(column, str)
            and self.drop_sensitive
            and hasattr(X, "columns")
            and column in X.columns
        ):  # X with or without the dropped column
            X = X.drop(columns=[column])
        if getattr(self, "preprocessor_", None) is not None:
            X = validate_data(self, X, skip_check_array=True, reset=False)
            cast = _float64 if self._sparse_format() else _dense
            return cast(self.preprocessor_.transform(X))
        X = validate_data(
            self, X, dtype=np.float64, accept_sparse=self._sparse_format(), reset=False
        )
        if (
            column is not None
            and not isinstance(column, str)
            and not callable(column)
            and (self.drop_sensitive)
        ):
            X = np.delete(X, column, axis=1)
        return X

    def _validate_fit_data(self, X, y, sensitive_features, sample_weight=None):
        """Validated model inputs, encoded labels, group codes and sample weights.

        Returns ``(X_model, y, groups, sample_weight)``; sets ``classes_`` and
        ``groups_`` (the group labels, in code order).
        """
        name = type(self).__name__
        if y is None:
            raise ValueError(f"{name} requires y to be passed, but the target y is None.")
        check_same_index(X, y=y, sample_weight=sample_weight)
        X_model, X, s = self._split_sensitive(X, sensitive_features, reset=True)
        y = column_or_1d(y, warn=True)
        check_consistent_length(X, y)
        classes = np.unique(y)
        if len(classes) == 1:
            only = classes[0].item() if isinstance(classes[0], np.generic) else classes[0]
            raise ValueError(ONE_CLASS.format(name=name, cls=only))
        target_type = type_of_target(y, input_name="y", raise_unknown=True)
        if target_type != "binary":
            raise ValueError(
                NOT_BINARY_TARGET.format(name=name, target_type=target_type, n_classes=len(classes))
            )
        if s is None:
            raise ValueError(MISSING_SENSITIVE[:-1] + ", or set sensitive_column.")
        encoder = LabelEncoder().fit(y)
        self.classes_ = encoder.classes_
        n = _num_samples(X)
        groups, names = check_sensitive_features(s, n)
        if len(names) > max(2, n // 2):
            raise ValueError(CONTINUOUS_GROUPS.format(n_groups=len(names), n=n))
        self.groups_ = np.asarray(names, dtype=object)
        if sample_weight is not None:
            sample_weight = _check_sample_weight(
                sample_weight, X, dtype=np.float64, ensure_non_negative=True
            )
            if not sample_weight.any():
                raise ValueError("sample_weight is zero for every row.")
        return X_model, encoder.transform(y), groups, sample_weight

    def _validation_split(
        self, X, y, groups, X_val, y_val, sensitive_features_val, *, prefit, sample_weight, seed
    ):
        """The :class:`Split` of a fit: the given validation data, or a held-out share.

        A held-out share is stratified by group and label and holds at least
        one row of every group × label cell that has two rows or more (and
        leaves one for training); a pre-trained model needs validation data.
        """
        given = [
            n
            for n, v in (
                ("X_val", X_val),
                ("y_val", y_val),
                ("sensitive_features_val", sensitive_features_val),
            )
            if v is not None
        ]
        if given and len(given) < 3:
            raise ValueError(VALIDATION_INCOMPLETE.format(given=", ".join(given)))
        if given:
            check_same_index(X_val, y_val=y_val)
            X_val, _, s_val = self._split_sensitive(
                X_val, sensitive_features_val, reset=False, name="sensitive_features_val"
            )
            y_val = self._encode_labels(y_val, "y_val")
            n_val = _num_samples(X_val)
            if len(y_val) != n_val:
                raise ValueError(f"X_val has {n_val} rows but y_val has {len(y_val)}.")
            g_val = codes_of(s_val, n_val, self.groups_)
            return Split(
                np.arange(_num_samples(X)), X, y, groups, sample_weight, X_val, y_val, g_val
            )
        if prefit:
            raise ValueError(PREFIT_NEEDS_VALIDATION)
        sizes = np.bincount(groups, minlength=len(self.groups_))
        if sizes.min() < 2:
            problem = f"group {self.groups_[int(np.argmin(sizes))]!r} has a single row"
            raise ValueError(SPLIT_TOO_SMALL.format(problem=problem))
        train_idx, val_idx = held_out_split(groups, y, self.validation_fraction, seed)
        if len(np.unique(y[train_idx])) < 2:
            raise ValueError(SPLIT_TOO_SMALL.format(problem="a class has a single row"))
        return Split(
            train_idx,
            _safe_indexing(X, train_idx),
            y[train_idx],
            groups[train_idx],
            None if sample_weight is None else sample_weight[train_idx],
            _safe_indexing(X, val_idx),
            y[val_idx],
            groups[val_idx],
        )


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


def _dense(X):
    """Features as a float64 array (sparse ones densified)."""
    if hasattr(X, "toarray"):
        X = X.toarray()
    return np.asarray(X, dtype=np.float64)


def _float64(X):
    """Features as float64: a sparse matrix stays sparse (CSR)."""
    if scipy.sparse.issparse(X):
        return scipy.sparse.csr_matrix(X, dtype=np.float64)
    return np.asarray(X, dtype=np.float64)


def _as_float32(X):
    return np.asarray(X.toarray() if hasattr(X, "toarray") else X, dtype=np.float32)
