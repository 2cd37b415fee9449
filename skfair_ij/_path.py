"""The λ path of a weighting rule: its parameters, weights and validation metrics.

Linear rules (I-JACK, SIM-JACK) move the parameters along one direction,
``θ(λ) = θ̂ + λ u`` with ``u = (1/N) H⁻¹ G a`` (``a = I`` or ``C I``); the
discrete rules (Fair-IJ, drop/up-weight) follow a prefix sum over points sorted
by influence. Either way the whole path costs one solve plus one prediction on
the validation data per λ. :class:`LambdaPath` holds the result as a value,
which the selection, the estimators and :class:`FairnessPathDisplay` read.
"""

from collections.abc import Mapping

import numpy as np
import torch

from .influence import threshold_parameter_changes
from .influence._dask import is_dask_collection
from .influence._order import count_above, kth_largest, largest_below
from .weighting import drop_upweight_weights, fair_ij_weights, similarity_product

MIN_VALIDATION_CELL = 5  # validation rows a cell of the gap needs to be measured
N_GRID = 30
N_GRID_DISCRETE = 20  # each K is a right-hand side of the solve
N_REFINE = 20


class LambdaPath(Mapping):
    """The λ path of a fit, as a value: one entry per point, from λ = 0 up.

    A read-only mapping of columns (``path["lambda"]``, ``path["val_gap"]``,
    ...), with the parameters of every point and, on demand, the weights of
    the rule at any point.

    Columns: ``lambda`` (cumulative over the steps of a multi-step path),
    ``step`` and ``lambda_step`` (λ within its step), ``val_accuracy``,
    ``val_gap`` (the criterion's gap) with its standard error ``val_gap_se``,
    ``val_demographic_parity``, ``val_equalized_odds``, ``val_positive_rate``;
    ``n_changed`` (points dropped or up-weighted) for the discrete rules;
    ``pooled_gap`` and ``pooled_gap_se`` (training and validation rows) when
    the criterion's ``gap_data`` is ``"pooled"``.

    Attributes
    ----------
    thetas : Tensor of shape (n_points, D)
        The model's parameters at every point.
    influences : ndarray of shape (n_train,)
        The influences at the fitted parameters (the first step).
    rule : str
        The name of the weighting rule.
    gap : str
        The column the selection compares: ``"pooled_gap"`` or ``"val_gap"``.
    """

    def __init__(
        self, columns, thetas, *, rule, influences, directions=(), ends=(), weight_columns=None
    ):
        self._columns = {k: np.asarray(v) for k, v in columns.items()}
        self.thetas = thetas
        self.rule = rule
        self.influences = influences
        self._directions, self._ends = list(directions), list(ends)
        self._weight_columns = weight_columns  # (N, k): weights given point by point

    def __getitem__(self, key):
        return self._columns[key]

    def __iter__(self):
        return iter(self._columns)

    def __len__(self):
        return len(self._columns)

    def __repr__(self):
        return f"LambdaPath(n_points={self.n_points}, columns={list(self._columns)})"

    @property
    def n_points(self):
        return len(self._columns["lambda"])

    @property
    def gap(self):
        return "pooled_gap" if "pooled_gap" in self._columns else "val_gap"

    def parameters(self, index):
        """The parameters θ of point ``index``."""
        return self.thetas[index]

    def weights(self, index):
        """The rule's sample weights at point ``index`` (what the edit estimates
        a refit with)."""
        if self._weight_columns is not None:
            return self._weight_columns[:, index].copy()
        if "n_changed" in self._columns and is_dask_collection(self.influences):
            # no sort on a cluster: the rule's own threshold form, |I| > 1/λ
            rule_weights = (
                drop_upweight_weights if self.rule == "drop_upweight" else fair_ij_weights
            )
            return rule_weights(self.influences, float(self["lambda"][index]))
        if "n_changed" in self._columns:
            return discrete_weights(self.influences, self.rule, self["n_changed"][index])
        step, local = int(self["step"][index]), float(self["lambda_step"][index])
        w = 1.0 - local * self._directions[step]
        for k in range(step):
            w = w - self._ends[k] * self._directions[k]
        return w

    def to_frame(self):
        """The columns as a pandas DataFrame."""
        import pandas as pd

        return pd.DataFrame(self._columns)


def check_lambdas(lambdas):
    """Validate a user λ grid (None means adaptive)."""
    if lambdas is None:
        return None
    grid = np.atleast_1d(np.asarray(lambdas, dtype=float))
    if grid.size == 0:
        raise ValueError("lambdas is empty; pass None for the adaptive grid or λ values.")
    if not np.all(np.isfinite(grid)) or np.any(grid < 0):
        raise ValueError(f"lambdas must be finite and non-negative, got {grid}.")
    if grid.size > 1:  # the unedited model (λ = 0) is the reference of the selection
        grid = np.append(grid, 0.0)
    return np.unique(grid)


def check_finite(lambdas, thetas, direction=None):
    """A clear error for λ values so large that the edit overflows: parameters
    whose squared norm (hence the logits) or weights ``1 − λ a`` are not finite."""
    finite = torch.isfinite((thetas.detach().double() ** 2).sum(dim=1)).cpu().numpy()
    if direction is not None and not is_dask_collection(direction):
        scale = float(torch.as_tensor(direction).abs().max()) if len(direction) else 0.0
        with np.errstate(over="ignore", invalid="ignore"):
            finite &= np.isfinite(np.asarray(lambdas, dtype=float) * scale)
    if not finite.all():
        bad = np.asarray(lambdas)[~finite]
        raise ValueError(
            f"lambdas {bad.tolist()} are too large: the edited parameters overflow "
            "(they are not finite). Pass smaller λ values, or lambdas=None for the "
            "adaptive grid."
        )


def linear_path(
    problem,
    curvature,
    term_influences,
    term_values,
    term_gradients,
    term_solutions,
    rule,
    lambdas,
    *,
    features=None,
    epsilon=1.0,
    per_term=True,
    update="jackknife",
    gap_terms=None,
    constrained=(True,),
):
    """Parameters along the λ path of I-JACK or SIM-JACK.

    With one gap term (demographic parity, equal opportunity, error rate
    between two groups) the weights are the rule's ``w = 1 − λ a`` with
    ``a = I`` (I-JACK) or ``C I`` (SIM-JACK). A gap made of several constraint
    terms (equalized odds: the y = 0 and y = 1 gaps; more than two groups: one
    deviation from the mean per group, see
    :func:`~skfair_ij.influence.gap_constraints`) is handled as one constraint
    per term: the weight change is the smallest (in the rule's proximal norm)
    that zeroes every linearised term, ``a = Σ_t c_t a_t`` with ``M c = −gap``,
    ``M_st = g_sᵀ u_t`` — the seed paper's closed form with a vector of
    constraints. It falls back to the gap's own direction (the sum of the terms
    ``gap_terms`` that make it up) when that system is degenerate, or when
    ``per_term`` is False (a user λ grid keeps the rule's plain
    ``w = 1 − λ I``).

    ``update="fisher"`` (I-JACK only) replaces the empirical covariance
    ``G Gᵀ / N`` of the per-sample gradients in ``u_t = H⁻¹ (G Gᵀ / N) H⁻¹ g_t``
    (Ghosh et al., Eq. 11) by its large-sample limit H (the Fisher identity, the
    paper's Eq. 13): ``u_t = −H⁻¹ g_t``, the term solutions themselves. The
    direction is then the constrained Newton step of the fairness surrogate —
    the first-order change of ``argmin L + μ F`` — and costs no pass over the
    training gradients and no solve.

    Parameters
    ----------
    term_influences : Tensor of shape (N, T)
        Influence of every training point on each term.
    term_values : ndarray of shape (T,)
        Surrogate value of each term.
    term_gradients : Tensor of shape (T, D)
        Gradient of each term.
    term_solutions : Tensor of shape (D, T)
        ``H⁻¹ g_t`` of each term (the solves behind the influences). With them
        the constraint matrix ``M_st = g_sᵀ H⁻¹ G a_t / N = (H⁻¹ g_s)ᵀ G a_t / N``
        needs one streamed pass and no solve, and the direction one solve
        whatever the number of terms.
    gap_terms : ndarray of int, default=None
        The terms whose sum is the gap (None: all of them).
    constrained : tuple of bool, default=(True,)
        One path per entry: True zeroes the terms together, False follows the
        gap's own direction. The paths share the solves and the pass over the
        training gradients.

    Returns
    -------
    list of (lambdas, thetas, direction), one per entry of ``constrained``
        ``lambdas`` (k,); ``thetas`` (k, D), ``θ̂ + λ u`` for every λ;
        ``direction`` (N,), ``a`` with ``w(λ) = 1 − λ a``.
    """
    A = term_influences
    if rule == "simjack":
        A = torch.stack(
            [
                torch.as_tensor(
                    similarity_product(features, column.cpu().numpy(), epsilon),
                    dtype=problem.dtype,
                    device=problem.device,
                )
                for column in A.T
            ],
            dim=1,
        )
    values = np.asarray(term_values, dtype=float)
    if update == "fisher":
        U = -term_solutions  # (D, T): θ change per unit λ_t in the Fisher limit
        slopes = term_gradients @ U

        def direction(mix):
            return U @ mix

    else:
        GA = problem.weighted_gradient_sum(A)  # (D, T): G a_t, one streamed pass
        # M[s, t] = g_sᵀ (θ change per unit λ_t) = (H⁻¹ g_s)ᵀ G a_t / N, H symmetric
        slopes = term_solutions.T @ GA / problem.n_samples

        def direction(mix):
            return curvature.solve(GA @ mix) / problem.n_samples

    M_all = slopes.double().cpu().numpy()
    return [
        _line(
            problem, A, values, M_all, term_gradients, direction, lambdas, gap_terms, per_term and c
        )
        for c in constrained
    ]


def _line(problem, A, values, M_all, term_gradients, direction, lambdas, gap_terms, per_term):
    """One line of :func:`linear_path`: its mix of the terms, scale and points."""
    # a = A mix; by default the gap's own direction, the sum of the terms making it up
    gap_terms = np.arange(A.shape[1]) if gap_terms is None else gap_terms
    mix = torch.zeros(A.shape[1], dtype=problem.dtype, device=problem.device)
    mix[torch.as_tensor(gap_terms, device=mix.device)] = 1.0
    scale = None
    active = np.flatnonzero(values > 0)
    if per_term and len(values) > 1 and len(active) > 1:
        M = M_all[np.ix_(active, active)]
        c = np.linalg.lstsq(M, -values[active], rcond=1e-8)[0]
        slope_of_sum = float(M_all[:, active].sum(0) @ c)
        if np.all(np.isfinite(c)) and np.abs(c).sum() > 0 and slope_of_sum < 0:
            scale = float(np.abs(c).sum())
            mix = torch.zeros_like(mix)
            mix[torch.as_tensor(active, device=mix.device)] = torch.as_tensor(
                c / scale, dtype=mix.dtype, device=mix.device
            )
    a = A @ mix if isinstance(A, torch.Tensor) else A @ mix.cpu().numpy()
    u = direction(mix)  # θ change per unit λ
    if scale is None:  # one term, or the gap's terms summed
        gap_mix = mix.to(term_gradients)
        value, slope = float(values @ gap_mix.cpu().numpy()), float(gap_mix @ term_gradients @ u)
        if slope < 0 and value > 0:
            scale = value / -slope  # λ at which the linearised surrogate reaches 0
        else:  # the influence direction does not lower the surrogate: small steps
            scale = 0.1 * float(problem.theta.norm()) / max(float(u.norm()), 1e-30)
    if lambdas is None:
        lambdas = np.concatenate([[0.0], scale * np.geomspace(1e-2, 20.0, N_GRID)])
    lam = torch.as_tensor(
        np.asarray(lambdas, dtype=float), dtype=problem.dtype, device=problem.device
    )
    thetas = problem.theta[None, :] + lam[:, None] * u[None, :]
    return np.asarray(lambdas, dtype=float), thetas, problem.host(a)


def discrete_path(problem, curvature, influences, rule, lambdas):
    """Parameters along the path of Fair-IJ or drop-K/up-weight-M.

    Returns
    -------
    lambdas : ndarray of shape (k,)
    n_changed : ndarray of shape (k,)
        Number of points whose weight changes at each λ.
    thetas : Tensor of shape (k, D)
    """
    upweight = rule == "drop_upweight"
    key = discrete_key(influences, rule)
    if not is_dask_collection(key):  # sorted once for the order statistics below
        key = np.sort(key)
    # thresholds instead of a sort, so that row blocks of a Dask array can be
    # counted and summed independently: a point changes weight when key > 1/λ
    if lambdas is None:
        n_candidates = int(count_above(key, [0.0])[0])
        counts, thresholds = np.array([0]), np.array([np.inf])
        if n_candidates > 0:
            first = np.unique(np.geomspace(1, n_candidates, N_GRID_DISCRETE).astype(int))
            values = kth_largest(key, first)
            # a cut never splits tied influences: K counts every point tied with the K-th
            cuts, where = np.unique(count_above(key, values, strict=False), return_index=True)
            values = values[where]
            # λ = 1 / t with t between the K-th influence and the next one (or 0):
            # every point above t, and none below, changes weight; λ grows with K
            lower = np.maximum(largest_below(key, values), 0.0)
            counts = np.concatenate([counts, cuts])
            thresholds = np.concatenate([thresholds, (values + lower) / 2])
        lambdas = np.where(counts > 0, 1.0 / thresholds, 0.0)
    else:
        lambdas = np.asarray(lambdas, dtype=float)
        thresholds = np.where(lambdas > 0, 1.0 / np.where(lambdas > 0, lambdas, 1.0), np.inf)
        counts = np.asarray(count_above(key, thresholds))
    thetas = problem.theta[None, :].repeat(len(counts), 1)
    positive = counts > 0
    if positive.any():
        changes = threshold_parameter_changes(
            problem,
            curvature,
            influences,
            torch.as_tensor(thresholds[positive], dtype=problem.dtype),
            upweight=upweight,
        )
        thetas[torch.as_tensor(positive, device=problem.device)] += changes.T
    return np.asarray(lambdas, dtype=float), counts, thetas


def discrete_key(influences, rule):
    """What the discrete rules rank points by: I (drop-K) or |I| (drop/up-weight)."""
    if isinstance(influences, torch.Tensor):
        influences = influences.cpu().numpy()
    if not is_dask_collection(influences):
        influences = np.asarray(influences, dtype=float)
        return np.abs(influences) if rule == "drop_upweight" else influences
    # on a cluster: computed once for the passes of the threshold search
    return (abs(influences) if rule == "drop_upweight" else influences).persist()


def discrete_weights(influences, rule, count):
    """Weights of a discrete rule that changes the ``count`` top-ranked points.

    The same points as the path's parameter change, ties included (the path's
    counts never split tied influences).
    """
    influences = np.asarray(influences, dtype=float)
    order = np.argsort(-discrete_key(influences, rule), kind="stable")[: int(count)]
    w = np.ones(len(influences))
    w[order] = np.where(influences[order] > 0, 0.0, 2.0)
    return w
