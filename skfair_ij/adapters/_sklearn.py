"""Adapter for scikit-learn linear models with a logistic loss."""

import numpy as np
import scipy.sparse
import torch
from sklearn.linear_model import LogisticRegression, SGDClassifier

from ..influence._blas import AffineJacobian, matmul
from ..influence._problem import PREDICT_CHUNK
from ._base import ModelAdapter

UNSUPPORTED_PENALTY = (
    "{name} with an L1 or elastic-net penalty is not differentiable; influence "
    "functions need penalty='l2' (l1_ratio=0) or no penalty."
)
UNSUPPORTED_SGD_LOSS = (
    "SGDClassifier(loss={loss!r}) is not supported: influences need the logistic "
    "loss, SGDClassifier(loss='log_loss')."
)
UNSUPPORTED_CLASS_WEIGHT = (
    "class_weight is not supported by the influence adapter; set class_weight=None "
    "and pass per-row weights to the fair estimator's fit instead, e.g. "
    "fit(X, y, sample_weight=sklearn.utils.class_weight.compute_sample_weight("
    "{class_weight!r}, y), sensitive_features=...)."
)


class LinearModelAdapter(ModelAdapter):
    """``LogisticRegression`` (binary) and ``SGDClassifier(loss="log_loss")``.

    Parameters are ``θ = [coef_ (p), intercept_ (1 if fit_intercept)]`` in
    float64. The regulariser follows each model's own objective:

    * ``LogisticRegression``: ``C Σ ℓ_n + ½‖β‖²`` → ``ρ = 1 / (C N)`` on β, 0 on
      the intercept (``1 / (C N s²)`` for liblinear, which penalises it through
      ``intercept_scaling = s``); no penalty for ``C = inf`` or ``penalty=None``.
    * ``SGDClassifier``: ``(1/N) Σ ℓ_n + α ½‖β‖²`` → ``ρ = α`` on β.

    Examples
    --------
    >>> import numpy as np
    >>> from sklearn.linear_model import LogisticRegression
    >>> from skfair_ij.adapters import LinearModelAdapter
    >>> X, y = np.array([[0.0], [1.0], [2.0], [3.0]]), np.array([0, 0, 1, 1])
    >>> model = LogisticRegression(C=0.5).fit(X, y)
    >>> adapter = LinearModelAdapter(model)
    >>> adapter.l2_penalty(n_samples=4).tolist()  # 1 / (C N) on the coefficient
    [0.5, 0.0]
    >>> np.allclose(adapter.decision_function(X), model.decision_function(X))
    True
    """

    dtype = torch.float64
    convex = True
    accepts_sparse = True

    def __init__(self, model, *, device="cpu"):
        super().__init__(model, device=device)
        if getattr(model, "class_weight", None) is not None:
            raise ValueError(UNSUPPORTED_CLASS_WEIGHT.format(class_weight=model.class_weight))
        if isinstance(model, SGDClassifier) and model.loss != "log_loss":
            raise TypeError(UNSUPPORTED_SGD_LOSS.format(loss=model.loss))
        self._penalty_strength()  # validates the penalty early
        self.fit_intercept = bool(model.fit_intercept)
        self.n_coef = model.coef_.shape[1]
        parts = [np.ravel(model.coef_)]
        if self.fit_intercept:
            parts.append(np.ravel(model.intercept_))
        self.theta = torch.as_tensor(np.concatenate(parts), dtype=self.dtype)
        self.n_unpenalised = int(self.fit_intercept)
        self._spans = {}  # id(X) -> (X, basis, [X, 1] basisᵀ) of the last span seen
        self._known = {}  # id(X) -> (X, θ, [X, 1] θ): logits computed elsewhere

    @classmethod
    def fit_distributed(cls, model, X, y, sample_weight, classes, backend):
        """Weighted L-BFGS of the model's own objective (the backend's
        ``minimize_logistic``), each step one reduction over the row blocks
        (the penalty and intercept as the model sets them)."""
        p = X.shape[1]
        model.classes_ = np.asarray(classes)
        model.coef_ = np.zeros((1, p))
        model.intercept_ = np.zeros(1)
        model.n_features_in_ = p
        adapter = cls(model)
        theta, info = backend.minimize_logistic(
            adapter.logit_fn,
            adapter.theta,
            X,
            y,
            l2_penalty=adapter.l2_penalty(X.shape[0]),
            weight=sample_weight,
            jacobian_products=adapter.jacobian_products(),
            tol=float(getattr(model, "tol", 1e-4) or 1e-4),
            maxiter=int(getattr(model, "max_iter", 100)),
        )
        adapter._write_parameters(model, theta)
        model.n_iter_ = np.array([info["n_iter"]])
        return model

    def __getstate__(self):
        # the predictions kept for the path's evaluation stay where they are
        # (a problem on a cluster ships the adapter to the workers)
        return {**self.__dict__, "_spans": {}, "_known": {}}

    def _penalty_strength(self):
        """Return ``(coef_strength_times_N, is_per_sample_scaled)``."""
        model, name = self.model, type(self.model).__name__
        penalty = getattr(model, "penalty", "l2")
        l1_ratio = getattr(model, "l1_ratio", 0.0) or 0.0
        if penalty in (None, "none"):
            return 0.0
        if penalty == "l1" or (penalty in ("elasticnet", "deprecated") and l1_ratio > 0):
            raise ValueError(UNSUPPORTED_PENALTY.format(name=name))
        if isinstance(model, SGDClassifier):
            return float(model.alpha)
        return 0.0 if np.isinf(model.C) else 1.0 / float(model.C)

    def l2_penalty(self, n_samples):
        strength = self._penalty_strength()
        rho = torch.zeros_like(self.theta)
        if isinstance(self.model, SGDClassifier):
            rho[: self.n_coef] = strength
            return rho
        rho[: self.n_coef] = strength / n_samples
        if self.fit_intercept and self.model.solver == "liblinear":
            rho[self.n_coef] = strength / (n_samples * self.model.intercept_scaling**2)
        return rho

    def logit_fn(self, theta, X):
        logits = X @ theta[: self.n_coef]
        if self.fit_intercept:
            logits = logits + theta[self.n_coef]
        return logits

    def jacobian_products(self):
        """The logit ``X β + b`` is affine in θ = [β, b]: ``J = [X, 1]``."""
        p = self.n_coef

        def jvp(X, V):
            if X.layout == torch.sparse_csr and X.device.type == "cpu":
                out = torch.from_numpy(_scipy_view(X) @ V[:p].numpy())
            else:
                out = matmul(X, V[:p])
            return out + V[p] if self.fit_intercept else out

        def vjp(X, U):
            if X.layout == torch.sparse_csr and X.device.type == "cpu":
                out = torch.from_numpy(_scipy_view(X).T @ U.numpy())
            elif X.layout == torch.sparse_csr:
                # Xᵀ U as a scatter of the non-zeros: out[j] += x_ij U_i
                crow, col, val = X.crow_indices().long(), X.col_indices().long(), X.values()
                rows = torch.repeat_interleave(
                    torch.arange(len(crow) - 1, device=crow.device), crow.diff()
                )
                out = U.new_zeros((p, U.shape[1])).index_add_(0, col, val[:, None] * U[rows])
            else:
                out = matmul(X.t(), U)
            if self.fit_intercept:
                out = torch.cat([out, U.sum(0, keepdim=True)])
            return out

        return AffineJacobian(jvp, vjp, self.fit_intercept)

    def features(self, X):
        if scipy.sparse.issparse(X):
            raise ValueError(
                "SimJack on sparse inputs needs features of a manageable width: pass "
                "SimJack(features=...), e.g. a TruncatedSVD."
            )
        return super().features(X)

    def positive(self, X, thetas):
        """``[X, 1] θ_k > 0`` for every θ_k at once.

        The logits are linear in θ, so only the span of the θ_k is needed: with
        ``Θ = C B`` (B an orthonormal basis of rank r), the logits
        are ``([X, 1] Bᵀ) Cᵀ``: r products with X instead of k. A λ path
        ``θ̂ + λ u`` has r = 2 whatever its length. ``[X, 1] Bᵀ`` is kept for the
        last span of each X, so later points in that span (the refinement of
        the path) cost no product with X.
        """
        thetas = torch.as_tensor(thetas).to(self.device, self.dtype).reshape(-1, len(self.theta))
        cached = self._spans.get(id(X))
        if cached is not None and cached[0] is X:
            _, basis, Z = cached
            coeff = thetas @ basis.T
            scale = max(float(torch.linalg.norm(thetas)), 1e-300)
            if float(torch.linalg.norm(thetas - coeff @ basis)) > 1e-10 * scale:
                cached = None
        if cached is None or cached[0] is not X:
            basis, coeff, Z = self._span_logits(X, thetas)
            self._spans[id(X)] = (X, basis, Z)
        out = np.empty((len(thetas), len(Z)), dtype=bool)
        for start in range(0, len(Z), PREDICT_CHUNK):
            chunk = Z[start : start + PREDICT_CHUNK]
            out[:, start : start + len(chunk)] = (coeff @ chunk.T > 0).cpu().numpy()
        return out

    def remember_logits(self, X, theta, logits):
        theta = torch.as_tensor(theta).detach().to(self.device, self.dtype)
        logits = torch.as_tensor(logits).to(self.device, self.dtype).reshape(-1, 1)
        if float(theta.norm()) > 0:
            self._known[id(X)] = (X, theta, logits)

    def _span_logits(self, X, thetas):
        """An orthonormal basis B of the span of ``thetas``, their coordinates C
        and ``[X, 1] Bᵀ``. When the logits of X at some θ₀ are known (the fitted
        model's), θ₀'s direction is the basis's first vector and its logits are
        reused: a λ path θ̂ + λu then costs one product with X, not two."""
        known = self._known.get(id(X))
        if known is not None and known[0] is not X:
            known = None
        head, head_logits = thetas[:0], thetas.new_zeros((X.shape[0], 0))
        rest = thetas
        if known is not None:
            norm = known[1].norm()
            head, head_logits = (known[1] / norm)[None, :], known[2] / norm
            rest = thetas - (thetas @ head.T) @ head  # the part orthogonal to θ₀
        basis = thetas[:0]
        if float(rest.norm()) > 1e-12 * float(thetas.norm()):
            basis, _ = _span(rest)
        if len(head) and len(basis):  # orthogonal to θ₀ up to rounding: make it exact
            basis = torch.linalg.qr((basis - (basis @ head.T) @ head).T).Q.T
        rows = self.to_tensor(X)
        jvp = self.jacobian_products()[0]
        with torch.no_grad():
            parts = [
                jvp(rows[start : start + PREDICT_CHUNK].to(self.device), basis.T)
                for start in range(0, len(rows), PREDICT_CHUNK)
                if len(basis)  # nothing to multiply when θ₀ spans the thetas
            ]
        rest_logits = torch.cat(parts) if parts else head_logits[:, :0]
        basis = torch.cat([head, basis])
        return basis, thetas @ basis.T, torch.cat([head_logits, rest_logits], 1)

    def _write_parameters(self, model, theta):
        theta = theta.cpu().numpy().astype(model.coef_.dtype)
        model.coef_ = theta[: self.n_coef].reshape(model.coef_.shape).copy()
        if self.fit_intercept:
            model.intercept_ = theta[self.n_coef :].reshape(model.intercept_.shape).copy()


SUPPORTED_SKLEARN = (LogisticRegression, SGDClassifier)
GRAM_CUTOFF = 1e-12  # relative eigenvalue of ΘΘᵀ below which a direction is noise


def _span(thetas, rtol=1e-10):
    """An orthonormal basis B (r, D) of the rows of ``thetas`` and ``C = Θ Bᵀ``.

    From the k × k Gram matrix (one product with Θ, then a QR of the r kept
    directions): much cheaper than an SVD of Θ when D is large. Falls back to
    the SVD when the directions of small singular values make the Gram route
    inaccurate (``‖Θ − C B‖ > rtol ‖Θ‖``).
    """
    scale = float(torch.linalg.norm(thetas))
    if scale == 0:
        return thetas[:0], thetas.new_zeros((len(thetas), 0))
    evals, evecs = torch.linalg.eigh(thetas @ thetas.T)
    # the Gram eigenvalues are accurate to about eps · λ_max: smaller ones are
    # rounding noise (a λ path θ̂ + λu has rank 2 whatever its length)
    keep = evals > evals[-1] * GRAM_CUTOFF
    basis = torch.linalg.qr((evecs[:, keep].T @ thetas).T).Q.T
    coeff = thetas @ basis.T
    if float(torch.linalg.norm(thetas - coeff @ basis)) <= rtol * scale:
        return basis, coeff
    U, S, Vh = torch.linalg.svd(thetas, full_matrices=False)
    keep = S > S[0] * 1e-12
    return Vh[keep], U[:, keep] * S[keep]


def _scipy_view(X):
    """A torch sparse CSR tensor on the CPU as a scipy matrix sharing its arrays
    (scipy's sparse-dense products are several times faster there)."""
    return scipy.sparse.csr_matrix(
        (X.values().numpy(), X.col_indices().numpy(), X.crow_indices().numpy()),
        shape=tuple(X.shape),
        copy=False,
    )
