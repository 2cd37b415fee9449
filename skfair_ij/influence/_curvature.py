"""Curvature solvers: ``H⁻¹ B`` for one or several right-hand sides.

``H`` is the Hessian (or Gauss-Newton matrix) of the training objective of a
:class:`BinaryModelProblem`, plus ``damping · I``.

========== ====================================================== ===============
method     what                                                   cost
========== ====================================================== ===============
exact      dense H (Hessian or Gauss-Newton), Cholesky             O(N D² + D³)
cg         conjugate gradient on matrix-free H·v products          O(iters · N D)
diagonal   empirical Fisher diagonal ``mean(g_n²) + ρ`` (Ghosh et al.) O(N D)
identity   H = I (plain gradient direction)                       free
========== ====================================================== ===============
"""

import warnings

import torch

CURVATURE_METHODS = ("exact", "cg", "diagonal", "identity")
CURVATURE_PRODUCTS = ("gauss_newton", "hessian")
MAX_RECYCLED = 64  # CG search directions kept to warm-start later solves
JACOBI_SPREAD = 10.0  # diag(H) spread beyond which CG is preconditioned by it
JACOBI_SAMPLE = 4096  # rows of the first estimate of that spread


class InfluenceConvergenceWarning(UserWarning):
    """Conjugate gradient stopped before reaching its tolerance.

    Examples
    --------
    >>> import warnings
    >>> import torch
    >>> from skfair_ij.influence import BinaryModelProblem, Curvature
    >>> from skfair_ij.influence import InfluenceConvergenceWarning
    >>> X = torch.randn(50, 4, dtype=torch.float64)
    >>> problem = BinaryModelProblem(lambda th, X: X @ th, torch.zeros(4, dtype=torch.float64),
    ...                              X, (X[:, 0] > 0).double())
    >>> with warnings.catch_warnings(record=True) as caught:
    ...     warnings.simplefilter("always")
    ...     _ = Curvature(problem, "cg", maxiter=1, tol=1e-12).solve(
    ...         torch.ones(4, dtype=torch.float64))
    >>> any(issubclass(w.category, InfluenceConvergenceWarning) for w in caught)
    True
    """


def conjugate_gradient(
    matvec,
    B,
    *,
    x0=None,
    ax0=None,
    tol=1e-6,
    maxiter=200,
    record=None,
    deflate=None,
    precondition=None,
):
    """Solve ``A X = B`` column by column with conjugate gradient.

    Parameters
    ----------
    matvec : callable
        ``matvec(V (D, k)) -> (D, k)``, symmetric positive definite.
    B : Tensor of shape (D, k)
    x0, ax0 : Tensor of shape (D, k), default=None
        Starting point (zeros when None) and ``A x0`` when already known.
    tol : float, default=1e-6
        Relative residual ``‖A x - b‖ / ‖b‖`` at which a column stops.
    maxiter : int, default=200
    record : callable, default=None
        ``record(P, AP)`` gets every iteration's search directions of the
        running columns and their products (e.g. to recycle them).
    deflate : callable, default=None
        ``deflate(R) -> R − W (Wᵀ A W)⁻¹ (A W)ᵀ R``: deflated CG on the
        complement of a subspace W (with ``x0`` the Galerkin solution on W).
    precondition : Tensor of shape (D,), default=None
        Inverse of a Jacobi preconditioner (the stopping rule stays on the
        unpreconditioned residual).

    Returns
    -------
    X : Tensor of shape (D, k)
    info : dict
        ``n_iter`` and each column's final relative (recursive) ``residual``.

    Examples
    --------
    >>> import torch
    >>> from skfair_ij.influence import conjugate_gradient
    >>> A = torch.tensor([[4.0, 1.0], [1.0, 3.0]], dtype=torch.float64)
    >>> B = torch.tensor([[1.0], [2.0]], dtype=torch.float64)
    >>> X, info = conjugate_gradient(lambda V: A @ V, B, tol=1e-12)
    >>> torch.allclose(A @ X, B)
    True
    """
    X, R = _cg_start(matvec, B, x0, ax0)

    def direction(R):  # the preconditioned residual, deflated
        Z = R if precondition is None else precondition[:, None] * R
        return Z, (Z if deflate is None else deflate(Z))

    Z, P = (V.clone() for V in direction(R))
    rz = (R * Z).sum(0)
    b_norm = B.norm(dim=0).clamp(min=torch.finfo(B.dtype).tiny)
    residual = R.norm(dim=0)
    done = residual <= tol * b_norm
    n_iter = 0
    while n_iter < maxiter and not bool(done.all()):
        n_iter += 1
        AP = _running_products(matvec, P, done)
        curvature = (P * AP).sum(0)
        if record is not None:
            running = ~done & (curvature > 0)
            record(P[:, running], AP[:, running])
        alpha = torch.where(done | (curvature <= 0), torch.zeros_like(rz), rz / curvature)
        X += alpha * P
        R -= alpha * AP
        residual = R.norm(dim=0)
        Z, deflated = direction(R)
        rz_new = (R * Z).sum(0)
        done = done | (residual <= tol * b_norm) | (curvature <= 0)
        beta = torch.where(done, torch.zeros_like(rz), rz_new / rz.clamp(min=1e-300))
        P = deflated + beta * P
        rz = rz_new
    return X, {"n_iter": n_iter, "residual": residual / b_norm}


def _cg_start(matvec, B, x0, ax0):
    """The starting point of CG and its residual."""
    if x0 is None:
        return torch.zeros_like(B), B.clone()
    return x0.clone(), B - (matvec(x0) if ax0 is None else ax0)


def _running_products(matvec, P, done):
    """``A P``; converged columns take no more products (zeros)."""
    if not bool(done.any()):
        return matvec(P)
    AP = torch.zeros_like(P)
    AP[:, ~done] = matvec(P[:, ~done])
    return AP


class Curvature:
    """``H⁻¹`` of a :class:`BinaryModelProblem`, built once, applied many times.

    Parameters
    ----------
    problem : BinaryModelProblem
    method : {"exact", "cg", "diagonal", "identity"}, default="cg"
    product : {"gauss_newton", "hessian"}, default="gauss_newton"
        Which matrix ``exact`` and ``cg`` use. For linear models they coincide;
        for nets the Gauss-Newton matrix is positive semi-definite (always
        solvable with damping), the Hessian may be indefinite.
    damping : float, default=0.0
        Added to the diagonal of H. For nets it is part of the model (a proximal
        term), not only numerical safety.
    tol, maxiter : float, int
        Conjugate-gradient stopping rule (a warning is raised when ``maxiter``
        is reached first).

    Examples
    --------
    >>> import torch
    >>> from skfair_ij.influence import BinaryModelProblem, Curvature
    >>> X = torch.randn(50, 3, dtype=torch.float64)
    >>> y = (X[:, 0] > 0).double()
    >>> problem = BinaryModelProblem(
    ...     lambda th, X: X @ th, torch.zeros(3, dtype=torch.float64), X, y,
    ...     l2_penalty=torch.full((3,), 0.1, dtype=torch.float64))
    >>> curvature = Curvature(problem, method="exact")
    >>> v = torch.ones(3, dtype=torch.float64)
    >>> torch.allclose(problem.gauss_newton_product(curvature.solve(v)), v)
    True
    """

    def __init__(
        self,
        problem,
        method="cg",
        *,
        product="gauss_newton",
        damping=0.0,
        tol=1e-6,
        maxiter=200,
    ):
        if method not in CURVATURE_METHODS:
            raise ValueError(f"hessian must be one of {CURVATURE_METHODS}, got {method!r}.")
        if product not in CURVATURE_PRODUCTS:
            raise ValueError(
                f"curvature product must be one of {CURVATURE_PRODUCTS}, got {product!r}."
            )
        if damping < 0:
            raise ValueError(f"damping must be non-negative, got {damping}.")
        self.problem, self.method, self.product = problem, method, product
        self.damping, self.tol, self.maxiter = float(damping), tol, maxiter
        self.info_ = {}
        # search directions P and products H P of earlier CG solves: a new
        # right-hand side starts from its Galerkin projection on their span
        itemsize = torch.finfo(problem.dtype).bits // 8
        self._max_recycled = int(
            min(MAX_RECYCLED, problem.memory_budget // max(1, 8 * problem.n_params * itemsize))
        )
        self._recycled_P, self._recycled_AP = [], []
        self._seeds = None  # (E, H E) of the problem's bias coordinates, kept for good
        self._precondition = None  # 1 / diag(H), or False when not used
        if method == "exact":
            self._factorize()
        elif method == "diagonal":
            self._diagonal = problem.fisher_diagonal() + self.damping
            if bool((self._diagonal <= 0).any()):
                raise ValueError(
                    "The Fisher diagonal has zero entries; give the solver a positive damping, "
                    "e.g. solver=DiagonalFisher(damping=1e-3)."
                )

    def _factorize(self):
        problem = self.problem
        H = (
            problem.dense_gauss_newton()
            if self.product == "gauss_newton"
            else problem.dense_hessian()
        )
        H = H + self.damping * torch.eye(problem.n_params, dtype=H.dtype, device=H.device)
        self._cholesky, info = torch.linalg.cholesky_ex(H)
        if int(info) != 0:
            warnings.warn(
                "The curvature matrix is not positive definite; solving with an LU "
                "factorisation. Give the solver a larger damping (solver=Exact(damping=...)) "
                "or use Exact(product='gauss_newton').",
                InfluenceConvergenceWarning,
                stacklevel=3,
            )
            self._cholesky = None
            self._lu = torch.linalg.lu_factor(H)

    def matvec(self, V):
        """``(H + damping I) V`` for V (D,) or (D, k)."""
        if self.product == "gauss_newton":
            out = self.problem.gauss_newton_product(V)
        else:
            out = self.problem.hessian_product(V)
        return out + self.damping * V

    def _record(self, P, AP):
        self._recycled_P.append(P.clone())
        self._recycled_AP.append(AP.clone())
        while sum(p.shape[1] for p in self._recycled_P) > self._max_recycled:
            self._recycled_P.pop(0)
            self._recycled_AP.pop(0)

    def _seed(self):
        """Deflation on the intercept: its coordinate vector e and ``H e``.

        An intercept couples to the mean of every feature: with features not
        centred (one-hot, counts, binary), H has a large outlying eigenvalue
        and a poorly conditioned rest. Deflated on e, CG runs on the Schur
        complement (the curvature of centred features): on binary or one-hot
        features about half the iterations (9 and 5 become 3 and 2 on the
        60,000 × 500 benchmark problem), for the price of one product.
        """
        coordinates = getattr(self.problem, "bias_coordinates", [])
        if self._seeds is None and coordinates:
            E = torch.zeros(
                (self.problem.n_params, len(coordinates)),
                dtype=self.problem.dtype,
                device=self.problem.device,
            )
            E[coordinates, torch.arange(len(coordinates))] = 1.0
            self._seeds = (E, self.matvec(E))
        return [] if self._seeds is None else [self._seeds]

    def _jacobi(self):
        """``1 / diag(H)`` when the diagonal is cheap and its entries spread over
        more than a factor JACOBI_SPREAD over the features (rare one-hot levels
        next to common ones: Jacobi then halves CG's iterations on Adult); False
        otherwise (features of one scale gain nothing and lose an iteration).
        The spread is first estimated on a few thousand rows: a full pass only
        where the estimate exceeds the factor."""
        diagonal_of = getattr(self.problem, "gauss_newton_diagonal", None)
        every = max(1, self.problem.n_samples // JACOBI_SAMPLE)
        estimate = None if diagonal_of is None else diagonal_of(every)
        if estimate is None or self._spread(estimate) <= JACOBI_SPREAD:
            return False
        diagonal = (estimate if every == 1 else diagonal_of()) + self.damping
        if not bool((diagonal > 0).all()) or self._spread(diagonal) <= JACOBI_SPREAD:
            return False
        return 1.0 / diagonal

    def _spread(self, diagonal):
        """max / min of a diagonal over the features (the intercept, deflated
        anyway, is left out); infinite with a zero entry."""
        features = torch.ones_like(diagonal, dtype=torch.bool)
        features[getattr(self.problem, "bias_coordinates", [])] = False
        values = diagonal[features]
        if len(values) == 0:
            return 0.0
        if not bool((values > 0).all()):
            return float("inf")
        return float(values.max() / values.min())

    def _recycled_guess(self, B):
        """Galerkin projection of ``H⁻¹ B`` on the recycled directions.

        Returns ``(x0, H x0)``, or ``(None, None)`` when nothing is recycled.
        The small system is solved in float64 with a cut-off, since directions of
        different solves may be nearly dependent.
        """
        seeds = self._seed()
        if not self._recycled_P and not seeds:
            return None, None, None
        W = torch.cat([s[0] for s in seeds] + self._recycled_P, 1)
        AW = torch.cat([s[1] for s in seeds] + self._recycled_AP, 1)
        small = (W.T @ AW).double()
        small = (small + small.T) / 2
        evals, evecs = torch.linalg.eigh(small)
        keep = evals > evals.max() * 1e-6
        if not bool(keep.any()):
            return None, None, None
        # (Wᵀ A W)⁻¹ restricted to its well-conditioned part, in float64
        inverse = (evecs[:, keep] / evals[keep]) @ evecs[:, keep].T

        def project(M):  # (Wᵀ A W)⁻¹ Wᵀ M
            return (inverse @ (W.T @ M).double()).to(M.dtype)

        def deflate(R):  # R − W (Wᵀ A W)⁻¹ (A W)ᵀ R
            return R - W @ (inverse @ (AW.T @ R).double()).to(R.dtype)

        C = project(B)
        return W @ C, AW @ C, deflate

    def solve(self, B):
        """``(H + damping I)⁻¹ B`` for B (D,) or (D, k)."""
        squeeze = B.ndim == 1
        B = B[:, None] if squeeze else B
        if self.method == "identity":
            X = B.clone()
        elif self.method == "diagonal":
            X = B / self._diagonal[:, None]
        elif self.method == "exact":
            if self._cholesky is not None:
                X = torch.cholesky_solve(B, self._cholesky)
            else:
                X = torch.linalg.lu_solve(*self._lu, B)
        else:
            X = self._conjugate_gradient(B)
        return X[:, 0] if squeeze else X

    def _conjugate_gradient(self, B):
        if self._precondition is None:  # decided at the first solve
            self._precondition = self._jacobi()
        if B.shape[1] > 1 and self._max_recycled > 0 and not self.problem.batched_products:
            # Each column of a product is its own forward and backward pass: solve
            # one column at a time, each started from the span of the search
            # directions of the previous ones. On Adult by sex × race (MLP, 18
            # equalized-odds terms): 80 column products instead of 270.
            solved = [self._cg(B[:, j : j + 1]) for j in range(B.shape[1])]
            X = torch.cat([column for column, _ in solved], 1)
            infos = [info for _, info in solved]
            residual = torch.cat([info["residual"] for info in infos])
            self.info_ = {"n_iter": sum(info["n_iter"] for info in infos), "residual": residual}
        else:
            X, self.info_ = self._cg(B)
        worst = float(self.info_["residual"].max())
        if worst > 10 * self.tol:
            warnings.warn(
                f"Conjugate gradient did not converge in {self.maxiter} iterations "
                f"(relative residual {worst:.2e} > tol {self.tol:.0e}); give the solver "
                f"a larger damping (now {self.damping:.3g}) or maxiter, e.g. "
                "solver=CG(damping=..., maxiter=...).",
                InfluenceConvergenceWarning,
                stacklevel=3,
            )
        return X

    def _cg(self, B):
        x0, ax0, deflate = self._recycled_guess(B)
        return conjugate_gradient(
            self.matvec,
            B,
            x0=x0,
            ax0=ax0,
            deflate=deflate,
            precondition=self._precondition if self._precondition is not False else None,
            tol=self.tol,
            maxiter=self.maxiter,
            record=self._record if self._max_recycled > 0 else None,
        )
