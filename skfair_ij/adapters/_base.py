"""What every model adapter provides to the influence kernels."""

import copy

import numpy as np
import scipy.sparse
import torch
from sklearn.utils.validation import has_fit_parameter

from ..backends import backend_of
from ..influence import BinaryModelProblem
from ..influence._problem import PREDICT_CHUNK
from ..influence._sparse import as_rows


class ModelAdapter:
    """Base class of adapters: the only code that knows concrete model types.

    An adapter wraps a *fitted* binary classifier (never modified) and exposes

    * ``theta`` — its trainable parameters as one flat torch tensor (D,);
    * ``logit_fn(theta, X)`` — a functional forward giving the logit of the
      positive class, differentiable with ``torch.func``;
    * ``l2_penalty(n_samples)`` — ρ (D,) of the model's own L2 regulariser in the
      mean-loss convention ``(1/N) Σ ℓ_n + ½ Σ ρ_d θ_d²``;
    * ``features(X)`` — a representation for SIM-JACK's similarity (an
      intermediate layer for nets, the inputs for linear models);
    * ``with_parameters(theta)`` — a deep copy of the model, of the same type,
      holding ``theta``.

    Examples
    --------
    >>> import numpy as np
    >>> from sklearn.linear_model import LogisticRegression
    >>> from skfair_ij.adapters import ModelAdapter, get_adapter
    >>> X, y = np.array([[0.0], [1.0], [2.0], [3.0]]), np.array([0, 0, 1, 1])
    >>> adapter = get_adapter(LogisticRegression().fit(X, y))
    >>> isinstance(adapter, ModelAdapter)
    True
    >>> problem = adapter.make_problem(X, y)
    >>> problem.n_samples, problem.n_params
    (4, 2)
    """

    dtype = torch.float32
    #: Whether the training loss is convex in ``theta`` (a linear model): its
    #: Hessian is the Gauss-Newton matrix, exact without damping when penalised.
    convex = False

    # What the estimators need to know about the model kind before a model is
    # fitted (class-level hooks, so that no code outside ``adapters`` asks what
    # type a model is).
    #: The model learns the label codes 0/1 (nets) rather than the user's labels.
    learns_codes = False
    #: The estimators can train a clone of it (not a plain torch module).
    trainable = True
    #: It predicts with its own ``predict_proba`` (a plain module predicts
    #: through its adapter).
    native_predict = True
    #: Its inputs may be a scipy sparse matrix, kept sparse end to end.
    accepts_sparse = False

    @classmethod
    def fit_inputs(cls, model, X, y=None):
        """X (and y) cast to what the model's ``fit``/``predict`` expects."""
        return X, y

    @classmethod
    def accepts_weights(cls, model):
        """Whether the model can be fitted with sample weights."""
        return has_fit_parameter(model, "sample_weight")

    @classmethod
    def fit_weighted(cls, model, X, y, sample_weight):
        """Fit ``model`` (in place) with sample weights; returns it."""
        try:
            return model.fit(X, y, sample_weight=sample_weight)
        except TypeError as exc:
            raise TypeError(
                f"{type(model).__name__}.fit does not accept sample_weight, which "
                "re-weighting needs."
            ) from exc

    @classmethod
    def fit_distributed(cls, model, X, y, sample_weight, classes, backend):
        """Fit ``model`` (in place) on rows held by a cluster ``backend``: X (N, p),
        y the codes 0/1 (see :meth:`LinearModelAdapter.fit_distributed`, which
        uses the backend's ``minimize_logistic``)."""
        raise TypeError(
            f"{type(model).__name__} cannot be trained on {backend.label} inputs. Train it "
            "on data in memory and pass it pre-trained (prefit=True or a FrozenEstimator); "
            f"LogisticRegression and SGDClassifier(loss='log_loss') train on {backend.label}."
        )

    def __init__(self, model, *, device="cpu"):
        self.model = model
        self.device = torch.device(device)

    # subclasses set self.theta and implement the three functions below
    def logit_fn(self, theta, X):  # pragma: no cover - abstract
        raise NotImplementedError

    def l2_penalty(self, n_samples):  # pragma: no cover - abstract
        raise NotImplementedError

    def _write_parameters(self, model, theta):  # pragma: no cover - abstract
        raise NotImplementedError

    @property
    def penalised(self):
        """Whether the model's own L2 penalty covers every weight (ρ > 0), which
        makes the curvature of a convex model positive definite."""
        rho = self.l2_penalty(1)
        return bool((rho > 0).sum() >= len(rho) - self.n_unpenalised)

    #: Parameters a penalty usually leaves out (the intercept of a linear model).
    n_unpenalised = 0

    def input_layer(self, X):
        """The :class:`~skfair_ij.influence._forward.InputLayer` of the model
        for the rows X, or None (products through the whole model)."""
        return None

    def jacobian_products(self):
        """``(jvp, vjp)`` of a logit affine in θ (see
        :class:`~skfair_ij.influence.BinaryModelProblem`), or None: products
        through automatic differentiation."""
        return None

    def to_tensor(self, X):
        """Inputs as a tensor of the model's dtype (on the CPU; chunks move later).

        A scipy sparse matrix stays sparse (a
        :class:`~skfair_ij.influence.SparseRows`) for a kind that
        ``accepts_sparse``, and is made dense otherwise.
        """
        if scipy.sparse.issparse(X) and not self.accepts_sparse:
            X = X.toarray()
        return as_rows(X, self.dtype)

    def with_parameters(self, theta):
        """A deep copy of the model holding the parameters ``theta``."""
        model = copy.deepcopy(self.model)
        self._write_parameters(model, theta.detach())
        return model

    def features(self, X):
        """Representation of X for SIM-JACK, shape (n, P)."""
        return self.to_tensor(X)

    def make_problem(
        self, X, y, *, sample_weight=None, memory_budget=None, theta=None, logits=None
    ):
        """The :class:`BinaryModelProblem` of this model on its training data.

        Parameters
        ----------
        X : array-like of shape (N, p)
        y : array-like of shape (N,) in {0, 1}
        sample_weight : array-like of shape (N,), default=None
            Weights the model was trained with.
        memory_budget : int, default=None
        theta : Tensor of shape (D,), default=None
            Parameters to linearise at (default: the fitted ones).
        logits : Tensor of shape (N,), default=None
            The logits of X at ``theta``, when already computed.
        """
        X = self.to_tensor(X)
        kwargs = {} if memory_budget is None else {"memory_budget": memory_budget}
        backend = backend_of(X)
        problem_type = BinaryModelProblem
        if backend.distributed:  # rows on a cluster: y and weights stay there too
            problem_type = backend.problem
        else:
            kwargs["input_layer"] = self.input_layer(X)
            y = torch.as_tensor(np.asarray(y), dtype=self.dtype)
            if sample_weight is not None:
                sample_weight = torch.as_tensor(np.asarray(sample_weight), dtype=self.dtype)
        return problem_type(
            self.logit_fn,
            (self.theta if theta is None else theta).to(self.device),
            X,
            y,
            l2_penalty=self.l2_penalty(X.shape[0]),
            weight=sample_weight,
            jacobian_products=self.jacobian_products(),
            logits=logits,
            **kwargs,
        )

    def remember_logits(self, X, theta, logits):
        """Logits of X at θ already computed (the fitted model's), for
        :meth:`positive` to reuse; a no-op unless an adapter can."""

    def positive(self, X, thetas):
        """Which rows of X each parameter vector predicts positive (logit > 0),
        bool (k, n). Linear models override it with one product per row chunk."""
        return np.stack([self.decision_function(X, theta) > 0 for theta in thetas])

    def decision_function(self, X, theta=None):
        """Logits of X under ``theta`` (default: the fitted parameters), numpy."""
        theta = (self.theta if theta is None else theta).to(self.device)
        X = self.to_tensor(X)
        with torch.no_grad():
            out = [
                self.logit_fn(theta, X[s : s + PREDICT_CHUNK].to(self.device)).reshape(-1)
                for s in range(0, len(X), PREDICT_CHUNK)
            ]
        return torch.cat(out).cpu().numpy() if out else np.empty(0)
