"""How ``H⁻¹`` is applied, as objects the estimators take: :class:`CG`,
:class:`Exact`, :class:`DiagonalFisher`, :class:`Identity`.

Each holds its damping, its numerical settings and where the computation runs
(``device``, ``memory_budget``), and builds a :class:`Curvature` for a
:class:`BinaryModelProblem`. A string is a shorthand for the object with
default settings (``"cg"`` for ``CG()``).
"""

import warnings
from numbers import Integral, Real

import torch
from sklearn.utils._param_validation import Interval, StrOptions

from .._options import Options, resolve
from ._curvature import CURVATURE_PRODUCTS, Curvature

# below this, chunks of a few rows make a fit hundreds of times slower
MIN_MEMORY_BUDGET = 2**20
TOO_SMALL_BUDGET = (
    "memory_budget={budget!r} bytes is too small to make progress; give at least "
    "{least} bytes (1 MiB), or None for the default 512 MiB."
)
MIN_CHUNK_ROWS = 64  # fewer rows per chunk: the passes are dominated by per-chunk overhead
SMALL_CHUNKS = (
    "memory_budget={budget} bytes holds only {rows} row(s) of the per-sample gradients per "
    "chunk: the fit will be very slow. Raise the solver's memory_budget."
)
NO_CUDA = "device={device!r} was requested but torch.cuda.is_available() is False."
# damping="auto": nets are damped by this multiple of the mean eigenvalue tr(H)/D of
# their Gauss-Newton matrix, unpenalised convex models by a tiny one (conditioning only)
NET_DAMPING = 25.0
CONVEX_DAMPING = 1e-6

_DAMPING = [StrOptions({"auto"}), Interval(Real, 0, None, closed="left")]
_COMPUTE = {
    "memory_budget": [Interval(Real, 0, None, closed="neither"), None],
    "device": [str, torch.device],
}


class Solver(Options):
    """Base class of the curvature solvers.

    Parameters
    ----------
    damping : "auto" or float, default="auto"
        Added to the diagonal of H (a proximal term). ``"auto"``: 0 for a
        linear model with its own L2 penalty (the IJ is then exact to first
        order), ``1e-6 · tr(H)/D`` for an unpenalised one, ``25 · tr(H)/D`` (the
        mean eigenvalue of the Gauss-Newton matrix, estimated) for a net. The
        estimators record the value used in ``damping_``.
    memory_budget : int or None, default=None
        Bytes for the streamed gradient blocks (None: 512 MiB; at least 1 MiB,
        and a warning when it holds fewer than 64 rows of a chunk). Peak memory
        above the data and the model stays within the budget plus about 200
        bytes per training row.
    device : str, default="cpu"
        Torch device of the influence computation (``"cuda"`` for a GPU).
    """

    method = None
    _parameter_constraints = {"damping": _DAMPING, **_COMPUTE}

    def __init__(self, damping="auto", memory_budget=None, device="cpu"):
        self.damping = damping
        self.memory_budget = memory_budget
        self.device = device

    def validate(self):
        """Check the settings (and that a CUDA device exists); returns self."""
        super().validate()
        if self.memory_budget is not None and self.memory_budget < MIN_MEMORY_BUDGET:
            raise ValueError(
                TOO_SMALL_BUDGET.format(budget=self.memory_budget, least=MIN_MEMORY_BUDGET)
            )
        if torch.device(self.device).type == "cuda" and not torch.cuda.is_available():
            raise ValueError(NO_CUDA.format(device=self.device))
        return self

    def resolve_damping(self, problem, *, convex, penalised):
        """The damping used: ``damping``, or for ``"auto"`` the rule above."""
        if self.damping != "auto":
            return float(self.damping)
        if convex:
            return 0.0 if penalised else CONVEX_DAMPING * problem.mean_curvature()
        return NET_DAMPING * problem.mean_curvature()

    def curvature(self, problem, damping):
        """The :class:`Curvature` of ``problem`` with this solver."""
        rows = getattr(problem, "chunk_size", None)
        if rows is not None and rows < min(problem.n_samples, MIN_CHUNK_ROWS):
            warnings.warn(
                SMALL_CHUNKS.format(budget=problem.memory_budget, rows=rows),
                UserWarning,
                stacklevel=3,
            )
        return self._make_curvature(problem, damping)

    def _make_curvature(self, problem, damping):
        return Curvature(problem, self.method, damping=damping)


class CG(Solver):
    """Conjugate gradient on matrix-free curvature products.

    Cost ``O(iterations · N D)``, memory ``O(D)`` above the data; the default.
    Later solves start from the span of earlier ones.

    Parameters
    ----------
    damping, memory_budget, device
        As in :class:`Solver`.
    tol : float, default=1e-3
        Relative residual at which a solve stops; lower it for influences
        accurate to more digits (float32 nets do not get much below 1e-4).
    maxiter : int, default=100
        Iterations before a solve stops with an
        :class:`InfluenceConvergenceWarning`.
    product : {"gauss_newton", "hessian"}, default="gauss_newton"
        The matrix: the Gauss-Newton matrix (positive semi-definite) or the
        Hessian (may be indefinite for nets); identical for linear models.

    Examples
    --------
    >>> from skfair_ij import FairIJClassifier
    >>> from skfair_ij.influence import CG
    >>> FairIJClassifier(solver=CG(tol=1e-6))
    FairIJClassifier(solver=CG(tol=1e-06))
    """

    method = "cg"
    _parameter_constraints = {
        **Solver._parameter_constraints,
        "tol": [Interval(Real, 0, None, closed="neither")],
        "maxiter": [Interval(Integral, 1, None, closed="left")],
        "product": [StrOptions(set(CURVATURE_PRODUCTS))],
    }

    def __init__(
        self,
        damping="auto",
        tol=1e-3,
        maxiter=100,
        product="gauss_newton",
        memory_budget=None,
        device="cpu",
    ):
        self.damping = damping
        self.tol = tol
        self.maxiter = maxiter
        self.product = product
        self.memory_budget = memory_budget
        self.device = device

    def _make_curvature(self, problem, damping):
        return Curvature(
            problem,
            "cg",
            product=self.product,
            damping=damping,
            tol=self.tol,
            maxiter=self.maxiter,
        )


class Exact(Solver):
    """The dense D × D matrix and its Cholesky factor.

    Cost ``O(N D² + D³)``, memory ``O(D²)``: for models of up to a few
    thousand parameters.

    Parameters
    ----------
    damping, memory_budget, device
        As in :class:`Solver`.
    product : {"gauss_newton", "hessian"}, default="gauss_newton"
        As in :class:`CG` (an indefinite Hessian is solved by LU, with a
        warning).
    """

    method = "exact"
    _parameter_constraints = {
        **Solver._parameter_constraints,
        "product": [StrOptions(set(CURVATURE_PRODUCTS))],
    }

    def __init__(self, damping="auto", product="gauss_newton", memory_budget=None, device="cpu"):
        self.damping = damping
        self.product = product
        self.memory_budget = memory_budget
        self.device = device

    def _make_curvature(self, problem, damping):
        return Curvature(problem, "exact", product=self.product, damping=damping)


class DiagonalFisher(Solver):
    """The diagonal of the empirical Fisher ``mean(g_n²)`` plus the damping.

    One pass over the rows, no solve: Ghosh et al.'s approximation for nets,
    cheap and crude.

    Parameters
    ----------
    damping, memory_budget, device
        As in :class:`Solver` (a zero diagonal entry needs damping > 0).
    """

    method = "diagonal"


class Identity(Solver):
    """``H = I``: the influences become gradient products (no curvature).

    Parameters
    ----------
    memory_budget, device
        As in :class:`Solver`.
    """

    method = "identity"
    _parameter_constraints = dict(_COMPUTE)

    def __init__(self, memory_budget=None, device="cpu"):
        self.memory_budget = memory_budget
        self.device = device

    def resolve_damping(self, problem, *, convex, penalised):
        return 0.0


SOLVERS = {s.method: s for s in (CG, Exact, DiagonalFisher, Identity)}


def check_solver(solver):
    """A :class:`Solver` from an object or its name (validated)."""
    return resolve(solver, Solver, SOLVERS, "solver")
