"""What a fit produces, as values: the base model's training, the outcome of an
edit or a refit (:class:`Outcome`), its status, and the inputs of ``predict``.

Nothing here sets an estimator's attribute: ``fit`` takes them all from these
values, in one place.
"""

import contextlib
import copy
import threading
from typing import NamedTuple

import numpy as np
import torch
from scipy.special import expit
from sklearn.base import clone
from sklearn.pipeline import Pipeline
from sklearn.preprocessing import FunctionTransformer
from sklearn.utils.validation import validate_data

from ._fit_data import features_cast, float32_features
from ._labels import decoded
from .adapters import (
    fit_inputs,
    fit_on_backend,
    fit_weighted,
    get_adapter,
    interrupts_reach_caller,
    kind,
)
from .backends import backend_of
from .path import MIN_VALIDATION_CELL, UNEDITED

_TORCH_TRAINING = threading.RLock()
NOT_MEASURABLE = "The model was left unedited: {reason}."


class Outcome(NamedTuple):
    """The result of an estimator's ``_fit``.

    ``model``: the final model as trained (a net speaks the codes 0/1);
    ``weights``: ``sample_weight_``; ``result``: the :class:`InfluenceResult`
    whose path was selected from (None when the gap cannot be measured);
    ``index``: the selected point; ``lambda_``; ``status`` and ``message``
    (:func:`fit_status`); ``mixture``: ``(model, weight)`` of a randomised
    prediction (:class:`MaxGap` with ``randomize=True``), or None.
    """

    model: object
    weights: object
    result: object
    index: object
    lambda_: float
    status: str
    message: str
    mixture: object = None


def train_model(estimator, prefit, X, y, sample_weight=None, *, classes, seed):
    """The trained model: a copy of a pre-trained one, or a clone fitted on the
    training rows (with torch seeded by ``seed`` for nets, its global state
    left as it was)."""
    if prefit:
        return copy.deepcopy(estimator)
    model = clone(estimator)
    backend = backend_of(X)
    if backend.distributed:
        return fit_on_backend(backend, model, X, y, sample_weight, classes)
    # scikit-learn models learn the user's labels (their classes_ sort the same
    # way, so the positive class stays classes_[1]); nets learn the codes 0/1
    labels = y if kind(model).learns_codes else classes[y]
    Xf, yf = fit_inputs(model, X, labels)
    # torch's random state is global: nets train one at a time in a process, so
    # that a seeded fit is the same in any thread and the state is restored
    lock = _TORCH_TRAINING if kind(model).learns_codes else contextlib.nullcontext()
    with lock, interrupts_reach_caller(), torch.random.fork_rng(devices=_cuda_devices()):
        if seed is not None:
            torch.manual_seed(seed)
        if sample_weight is None:
            return model.fit(Xf, yf)
        return fit_weighted(model, Xf, yf, sample_weight)


def unmeasurable_reason(data, criterion):
    """Why the validation data cannot measure the gap, or None."""
    split = data.split
    extra = None  # with pooled gaps, the training rows count too (in memory)
    if criterion.gap_data == "pooled" and not data.backend.distributed:
        extra = (split.y_train, split.g_train)
    return criterion.unmeasurable(
        split.y_val, split.g_val, data.groups, data.classes, MIN_VALIDATION_CELL, extra=extra
    )


def fit_status(selection, path, index, reason=None, *, earlier_edits=False):
    """``(fit_status_, warning message)`` of a fit ("" when edited as asked).

    ``earlier_edits``: earlier rounds of a multi-round fit edited the model,
    so a last round that leaves it as it is still ends an edit (the status
    describes the whole fit)."""
    if reason is not None:
        return "gap_not_measurable", NOT_MEASURABLE.format(reason=reason)
    if len(path["lambda"]) == 1:  # the user fixed λ: nothing was selected
        return "fixed_lambda", ""
    gap = "pooled_gap" if "pooled_gap" in path else "val_gap"
    status, message = selection.outcome(path, index, gap=gap)
    if earlier_edits and status in UNEDITED:
        return "edited", ""
    return status, message


def unedited(model, data, reason):
    """The :class:`Outcome` of a fit that cannot measure the gap: the model as
    trained, unit weights, no path."""
    y = data.split.y_train
    status, message = fit_status(None, None, None, reason)
    return Outcome(model, np.ones(y.shape, like=y), None, None, 0.0, status, message)


class PredictInputs(NamedTuple):
    """How ``predict`` turns X into the final model's inputs: the sensitive
    column dropped, the fitted preprocessing, the cast of its features."""

    column: object  # SensitiveColumn
    preprocessor: object
    final_name: object
    sparse_format: object

    def transform(self, estimator, X):
        """X as the model sees it (validated against ``estimator``'s columns)."""
        X = self.column.drop_named(X)
        if self.preprocessor is not None:
            X = validate_data(estimator, X, skip_check_array=True, reset=False)
            return self.cast(self.preprocessor.transform(X))
        X = validate_data(
            estimator, X, dtype=np.float64, accept_sparse=self.sparse_format, reset=False
        )
        return self.column.drop_positional(X)

    def cast(self, features):
        return features_cast(self.sparse_format)(features)

    def facing_user(self, model, classes):
        """``model`` as the user sees it: speaking the user's labels, and a
        Pipeline of the user's steps when the estimator is one."""
        user_model = decoded(model, classes)  # a net learns the codes 0/1
        if self.preprocessor is None:
            return user_model
        # the final step was fitted on float features: float32 for nets, sparse
        # kept for models that take it, dense float64 otherwise
        cast = float32_features if kind(user_model).learns_codes else self.cast
        steps = [*self.preprocessor.steps, ("as_fitted", FunctionTransformer(cast))]
        return Pipeline([*steps, (self.final_name, user_model)])


def predict_adapter(model, adapter_kwargs):
    """The adapter a model without ``predict_proba`` predicts through (made
    once at fit), or None."""
    return None if kind(model).native_predict else get_adapter(model, **adapter_kwargs)


def model_positive_proba(model, X, adapter=None):
    """P(positive) of a trained model on its final-step features (through its
    ``adapter`` when the model has no ``predict_proba``)."""
    if not kind(model).native_predict:
        return expit(adapter.decision_function(X))
    Xf, _ = fit_inputs(model, X)
    return np.asarray(model.predict_proba(Xf))[:, 1].astype(np.float64)


def _cuda_devices():
    return list(range(torch.cuda.device_count())) if torch.cuda.is_available() else []
