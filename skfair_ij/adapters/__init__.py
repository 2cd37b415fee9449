"""Model adapters: the only code that knows concrete model types.

:func:`get_adapter` picks the adapter of a fitted model; each adapter turns the
model into a :class:`~skfair_ij.influence.BinaryModelProblem` and writes edited
parameters into a copy of the same type.
"""

import numpy as np
import torch
from sklearn.exceptions import NotFittedError
from sklearn.utils.validation import check_is_fitted

from ._base import ModelAdapter
from ._interrupt import interrupts_reach_caller
from ._sklearn import SUPPORTED_SKLEARN, LinearModelAdapter
from ._torch import ModuleOutputError, SkorchAdapter, TorchModuleAdapter

UNSUPPORTED_ESTIMATOR = (
    "{name} is not supported. Influences can be computed for: "
    "sklearn.linear_model.LogisticRegression (binary), "
    "sklearn.linear_model.SGDClassifier(loss='log_loss'), "
    "skorch.NeuralNetBinaryClassifier, a two-class skorch.NeuralNetClassifier, "
    "and a torch.nn.Module (via TorchModuleAdapter). For a model without gradients "
    "(trees, boosting, kNN, SVC), use FairReweighter: it re-weights the training data "
    "with the influences of a differentiable proxy (influence_estimator, a "
    "LogisticRegression by default) and refits the model with the weights."
)
NOT_FITTED = "This {name} instance is not fitted yet; fit it (or pass prefit=False)."
NOT_BINARY_MODEL = (
    "{name} was fitted on {n_classes} classes; fairness influence needs a binary classifier."
)


def _skorch_classes():
    try:
        from skorch import NeuralNetBinaryClassifier, NeuralNetClassifier
    except ImportError:  # pragma: no cover - skorch is a dependency
        return ()
    return NeuralNetBinaryClassifier, NeuralNetClassifier


def _linear(model, *, device="cpu", **kwargs):
    name = type(model).__name__
    try:
        check_is_fitted(model)
    except NotFittedError as exc:
        raise NotFittedError(NOT_FITTED.format(name=name)) from exc
    if len(model.classes_) != 2:
        raise ValueError(NOT_BINARY_MODEL.format(name=name, n_classes=len(model.classes_)))
    return LinearModelAdapter(model, device=device)


def _skorch(model, *, device="cpu", **kwargs):
    name = type(model).__name__
    if not getattr(model, "initialized_", False) or not hasattr(model, "module_"):
        raise NotFittedError(NOT_FITTED.format(name=name))
    classes = getattr(model, "classes_", None)
    if classes is not None and len(np.asarray(classes)) != 2:
        raise ValueError(NOT_BINARY_MODEL.format(name=name, n_classes=len(classes)))
    return SkorchAdapter(model, device=device)


# (model type, factory, adapter class of its kind hooks); the first match wins,
# so adapters registered by users come before the built-in ones
_BUILT_IN = [
    (SUPPORTED_SKLEARN, _linear, LinearModelAdapter),
    (_skorch_classes(), _skorch, SkorchAdapter),
    ((torch.nn.Module,), TorchModuleAdapter, TorchModuleAdapter),
]
_REGISTERED = []


def register_adapter(model_type, factory):
    """Teach both estimators a new kind of model.

    Parameters
    ----------
    model_type : type or tuple of types
        Models of these types (subclasses included) get the adapter. Adapters
        registered later take precedence, also over the built-in ones.
    factory : ModelAdapter subclass or callable
        ``factory(model, device=..., **adapter_kwargs) -> ModelAdapter`` for a
        fitted model. A :class:`ModelAdapter` subclass also describes the kind
        of model before it is fitted (``fit_inputs``, ``learns_codes``,
        ``fit_weighted``, ...); for another callable the defaults of
        :class:`ModelAdapter` apply (a scikit-learn-like estimator).

    Examples
    --------
    >>> from skfair_ij.adapters import (LinearModelAdapter, get_adapter,
    ...                                 register_adapter, unregister_adapter)
    >>> from sklearn.linear_model import LogisticRegression
    >>> class MyLogisticRegression(LogisticRegression):
    ...     pass
    >>> register_adapter(MyLogisticRegression, LinearModelAdapter)
    >>> model = MyLogisticRegression().fit([[0.0], [1.0], [2.0], [3.0]], [0, 0, 1, 1])
    >>> type(get_adapter(model)).__name__
    'LinearModelAdapter'
    >>> unregister_adapter(MyLogisticRegression)
    """
    types = model_type if isinstance(model_type, tuple) else (model_type,)
    if not types or not all(isinstance(t, type) for t in types):
        raise TypeError(f"model_type must be a type or a tuple of types, got {model_type!r}.")
    if not callable(factory):
        raise TypeError(f"factory must be a ModelAdapter subclass or callable, got {factory!r}.")
    kind = factory if isinstance(factory, type) and issubclass(factory, ModelAdapter) else None
    _REGISTERED.insert(0, (types, factory, kind or ModelAdapter))


def unregister_adapter(model_type):
    """Forget the adapters registered for ``model_type``."""
    types = model_type if isinstance(model_type, tuple) else (model_type,)
    _REGISTERED[:] = [entry for entry in _REGISTERED if entry[0] != types]


def _entry(model):
    for types, factory, kind in (*_REGISTERED, *_BUILT_IN):
        if types and isinstance(model, types):
            return factory, kind
    return None, ModelAdapter


def is_supported(model):
    """Whether :func:`get_adapter` knows the type of ``model``.

    Examples
    --------
    >>> from sklearn.linear_model import LogisticRegression
    >>> from sklearn.svm import SVC
    >>> from skfair_ij.adapters import is_supported
    >>> is_supported(LogisticRegression()), is_supported(SVC())
    (True, False)
    """
    return _entry(model)[0] is not None


def get_adapter(model, *, device="cpu", **kwargs):
    """Return the adapter of a fitted binary classifier.

    Parameters
    ----------
    model : estimator or torch.nn.Module
        A fitted ``LogisticRegression``, ``SGDClassifier(loss="log_loss")``,
        skorch net, a trained ``torch.nn.Module``, or a model of a type given
        to :func:`register_adapter`.
    device : str or torch.device, default="cpu"
        Where the kernels run.
    **kwargs
        Passed to the factory (for a plain module: ``output``,
        ``weight_decay`` of :class:`TorchModuleAdapter`).

    Returns
    -------
    ModelAdapter

    Examples
    --------
    >>> import numpy as np
    >>> from sklearn.linear_model import LogisticRegression
    >>> from skfair_ij.adapters import get_adapter
    >>> X = np.array([[0.0, 1.0], [1.0, 0.0], [2.0, 1.0], [3.0, 0.0]])
    >>> adapter = get_adapter(LogisticRegression().fit(X, [0, 0, 1, 1]))
    >>> adapter.theta.shape
    torch.Size([3])
    """
    factory, _ = _entry(model)
    if factory is None:
        raise TypeError(UNSUPPORTED_ESTIMATOR.format(name=type(model).__name__))
    return factory(model, device=device, **kwargs)


# ------------------------------------------------------------------ model kinds
def kind(model):
    """The adapter class whose class-level hooks describe ``model``'s kind
    (:class:`ModelAdapter` for a model no adapter knows)."""
    return _entry(model)[1]


def fit_inputs(model, X, y=None):
    """X (and y) cast to what ``model``'s ``fit``/``predict`` expects."""
    return kind(model).fit_inputs(model, X, y)


def fit_weighted(model, X, y, sample_weight):
    """Fit ``model`` with sample weights (skorch nets through a weighted sampler)."""
    return kind(model).fit_weighted(model, X, y, sample_weight)


def fit_on_backend(backend, model, X, y, sample_weight, classes):
    """Fit ``model`` on rows held by a cluster ``backend`` (y the codes 0/1 of
    ``classes``), when its kind can."""
    return backend.fit_model(kind(model), model, X, y, sample_weight, classes)


__all__ = [
    "interrupts_reach_caller",
    "LinearModelAdapter",
    "ModelAdapter",
    "ModuleOutputError",
    "SkorchAdapter",
    "TorchModuleAdapter",
    "fit_inputs",
    "fit_on_backend",
    "fit_weighted",
    "get_adapter",
    "is_supported",
    "kind",
    "register_adapter",
    "unregister_adapter",
]
