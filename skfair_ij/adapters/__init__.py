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
from ._sklearn import SUPPORTED_SKLEARN, LinearModelAdapter
from ._torch import SkorchAdapter, TorchModuleAdapter

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
    return isinstance(model, (*SUPPORTED_SKLEARN, *_skorch_classes(), torch.nn.Module))


def get_adapter(model, *, device="cpu", **kwargs):
    """Return the adapter of a fitted binary classifier.

    Parameters
    ----------
    model : estimator or torch.nn.Module
        A fitted ``LogisticRegression``, ``SGDClassifier(loss="log_loss")``,
        skorch net, or a trained ``torch.nn.Module``.
    device : str or torch.device, default="cpu"
        Where the kernels run.
    **kwargs
        Passed to :class:`TorchModuleAdapter` for a plain module (``output``,
        ``weight_decay``).

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
    name = type(model).__name__
    skorch_classes = _skorch_classes()
    if isinstance(model, SUPPORTED_SKLEARN):
        try:
            check_is_fitted(model)
        except NotFittedError as exc:
            raise NotFittedError(NOT_FITTED.format(name=name)) from exc
        if len(model.classes_) != 2:
            raise ValueError(NOT_BINARY_MODEL.format(name=name, n_classes=len(model.classes_)))
        return LinearModelAdapter(model, device=device)
    if skorch_classes and isinstance(model, skorch_classes):
        if not getattr(model, "initialized_", False) or not hasattr(model, "module_"):
            raise NotFittedError(NOT_FITTED.format(name=name))
        classes = getattr(model, "classes_", None)
        if classes is not None and len(np.asarray(classes)) != 2:
            raise ValueError(NOT_BINARY_MODEL.format(name=name, n_classes=len(classes)))
        return SkorchAdapter(model, device=device)
    if isinstance(model, torch.nn.Module):
        return TorchModuleAdapter(model, device=device, **kwargs)
    raise TypeError(UNSUPPORTED_ESTIMATOR.format(name=name))


__all__ = [
    "LinearModelAdapter",
    "ModelAdapter",
    "SkorchAdapter",
    "TorchModuleAdapter",
    "get_adapter",
    "is_supported",
]
