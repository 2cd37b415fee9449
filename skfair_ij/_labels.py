"""A model trained on the label codes 0/1 (a net), speaking the user's labels."""

import numpy as np
from sklearn.base import BaseEstimator, ClassifierMixin, MetaEstimatorMixin, clone

from .adapters import fit_inputs


class LabelledClassifier(ClassifierMixin, MetaEstimatorMixin, BaseEstimator):
    """A fitted classifier of the codes 0/1 whose predictions are ``classes[code]``.

    The estimators train nets on the codes of the user's labels; their
    ``estimator_`` and ``initial_estimator_`` wrap such a net in this class
    when the labels are not already 0 and 1, so that ``predict`` returns the
    labels (``"<=50K"``, ``True``, −1, ...). The net itself is ``estimator``.

    Parameters
    ----------
    estimator : fitted classifier of the codes 0/1
    classes : array-like of shape (2,)
        The labels of the codes 0 and 1.

    Examples
    --------
    >>> import numpy as np
    >>> from sklearn.linear_model import LogisticRegression
    >>> from skfair_ij import LabelledClassifier
    >>> X, codes = np.array([[0.0], [1.0], [2.0], [3.0]]), np.array([0, 0, 1, 1])
    >>> model = LabelledClassifier(LogisticRegression().fit(X, codes), ["no", "yes"])
    >>> model.predict(X).tolist()
    ['no', 'no', 'yes', 'yes']
    """

    def __init__(self, estimator=None, classes=None):
        self.estimator = estimator
        self.classes = classes

    @property
    def classes_(self):
        return np.asarray(self.classes)

    def _model(self):
        return getattr(self, "estimator_", self.estimator)

    def fit(self, X, y, **fit_params):
        """Fit a clone of ``estimator`` on the codes of ``y`` (``classes`` order)."""
        codes = np.searchsorted(self.classes_, np.asarray(y))
        Xf, yf = fit_inputs(self.estimator, X, codes)
        self.estimator_ = clone(self.estimator).fit(Xf, yf, **fit_params)
        return self

    def predict_proba(self, X):
        """Probabilities of the codes 0 and 1 (the labels ``classes_``)."""
        model = self._model()
        return np.asarray(model.predict_proba(fit_inputs(model, X)[0]), dtype=np.float64)

    def predict(self, X):
        """The labels ``classes_[code]``."""
        model = self._model()
        codes = np.rint(np.asarray(model.predict(fit_inputs(model, X)[0]), dtype=float))
        return self.classes_[codes.astype(int).reshape(-1)]

    def __sklearn_is_fitted__(self):
        return True


def speaks_codes(classes):
    """Whether labels are the codes themselves (integers 0 and 1)."""
    classes = np.asarray(classes)
    return classes.dtype.kind in "iu" and classes.tolist() == [0, 1]


def decoded(model, classes):
    """``model`` as it should face the user: wrapped when it predicts codes that
    are not the user's labels."""
    from .adapters import kind

    if kind(model).learns_codes and not speaks_codes(classes):
        return LabelledClassifier(model, classes)
    return model
