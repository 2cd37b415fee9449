"""How each rule moves the model along λ: the segments of the λ path.

Linear rules (I-JACK, SIM-JACK) move the parameters along one direction,
``θ(λ) = θ̂ + λ u`` with ``u = (1/N) H⁻¹ G a`` (``a = I`` or ``C I``); the
discrete rules (Fair-IJ, drop/up-weight) follow a prefix sum over points
sorted by influence; the utility-constrained rule gives explicit weight
vectors. Either way a segment costs one solve plus the rule's own work; the
estimators' path builder (:mod:`skfair_ij.path`) evaluates and joins them.
"""

from typing import NamedTuple

import numpy as np
import torch

from ..backends import backend_of
from ..influence import threshold_parameter_changes
from ..influence._order import count_above, kth_largest, largest_below
from ._functions import similarity_product
from ._utility import utility_constrained_weights

N_GRID = 30
N_GRID_DISCRETE = 20  # each K is a right-hand side of the solve
N_GRID_BUDGET = 20


class StepTerms(NamedTuple):
    """What one linearisation of the fairness gap gives a rule.

    ``term_influences`` (N, T): every training row's influence on each gap
    term; ``influences`` (N,): on the gap (the sum of its ``gap_terms``);
    ``values`` (T,) and ``gradients`` (T, D): the surrogate terms;
    ``solutions`` (D, T): ``H⁻¹ g_t``; ``extra_solutions`` (D, E): the solves
    of the rule's own right-hand sides (:meth:`WeightingRule.extra_gradients`).
    """

    influences: object
    term_influences: object
    values: np.ndarray
    gradients: torch.Tensor
    solutions: torch.Tensor
    gap_terms: np.ndarray
    extra_solutions: object = None


class Segment(NamedTuple):
    """One segment of a λ path, as a rule builds it.

    ``lambdas`` (k,) from 0; ``thetas`` (k, D); ``columns``: the rule's own
    path columns (``n_changed``); ``direction`` (N,): ``a`` of ``w = 1 − λ a``
    when the parameters move on a line (then points between two of the
    segment's points are exact, and the path may be refined there);
    ``weights`` (N, k): explicit weights of every point, when the rule gives
    them so.
    """

    lambdas: np.ndarray
    thetas: torch.Tensor
    columns: dict
    direction: object = None
    weights: object = None


def linear_segments(
    problem,
    curvature,
    terms,
    lambdas,
    *,
    features=None,
    epsilon=1.0,
    update="jackknife",
    constrained=(True,),
):
    """Segments of I-JACK (``features`` None) or SIM-JACK along one linearisation.

    With one gap term (demographic parity, equal opportunity, error rate
    between two groups) the weights are the rule's ``w = 1 − λ a`` with
    ``a = I`` (I-JACK) or ``C I`` (SIM-JACK). A gap made of several constraint
    terms (equalized odds: the y = 0 and y = 1 gaps; more than two groups: one
    deviation from the mean per group, see
    :func:`~skfair_ij.influence.gap_constraints`) is handled as one constraint
    per term: the weight change is the smallest (in the rule's proximal norm)
    that zeroes every linearised term, ``a = Σ_t c_t a_t`` with ``M c = −gap``,
    ``M_st = g_sᵀ u_t`` — the seed paper's closed form with a vector of
    constraints. It falls back to the gap's own direction (the sum of the
    terms ``gap_terms`` that make it up) when that system is degenerate, or
    with a user λ grid (which keeps the rule's plain ``w = 1 − λ I``).

    ``update="fisher"`` (I-JACK only) replaces the empirical covariance
    ``G Gᵀ / N`` of the per-sample gradients in ``u_t = H⁻¹ (G Gᵀ / N) H⁻¹ g_t``
    (Ghosh et al., Eq. 11) by its large-sample limit H (the Fisher identity, the
    paper's Eq. 13): ``u_t = −H⁻¹ g_t``, the term solutions themselves. The
    direction is then the constrained Newton step of the fairness surrogate —
    the first-order change of ``argmin L + μ F`` — and costs no pass over the
    training gradients and no solve.

    With the solutions ``H⁻¹ g_t``, the constraint matrix
    ``M_st = g_sᵀ H⁻¹ G a_t / N = (H⁻¹ g_s)ᵀ G a_t / N`` needs one streamed pass
    and no solve, and the direction one solve whatever the number of terms.

    Parameters
    ----------
    terms : StepTerms
    lambdas : ndarray or None
        A user grid, or None for the adaptive one.
    constrained : tuple of bool, default=(True,)
        One segment per entry: True zeroes the terms together, False follows the
        gap's own direction. They share the solves and the pass over the
        training gradients.

    Returns
    -------
    list of Segment
    """
    A = terms.term_influences
    if features is not None:  # SIM-JACK: a_t = C I_t
        A = _similar(problem, A, features, epsilon)
    values = np.asarray(terms.values, dtype=float)
    if update == "fisher":
        U = -terms.solutions  # (D, T): θ change per unit λ_t in the Fisher limit
        slopes = terms.gradients @ U

        def direction(mix):
            return U @ mix

    else:
        GA = problem.weighted_gradient_sum(A)  # (D, T): G a_t, one streamed pass
        # M[s, t] = g_sᵀ (θ change per unit λ_t) = (H⁻¹ g_s)ᵀ G a_t / N, H symmetric
        slopes = terms.solutions.T @ GA / problem.n_samples

        def direction(mix):
            return curvature.solve(GA @ mix) / problem.n_samples

    line = _Line(problem, A, values, slopes.double().cpu().numpy(), terms, direction)
    return [line.segment(lambdas, per_term=lambdas is None and c) for c in constrained]


def _similar(problem, A, features, epsilon):
    """``C a`` of every column a of A (the similarity of the training rows)."""
    columns = [similarity_product(features, a.cpu().numpy(), epsilon) for a in A.T]
    return torch.stack(
        [torch.as_tensor(c, dtype=problem.dtype, device=problem.device) for c in columns], dim=1
    )


class _Line(NamedTuple):
    problem: object
    A: object
    values: np.ndarray
    M_all: np.ndarray
    terms: StepTerms
    direction: object

    def mix(self, per_term):
        """The mix of the terms (a = A mix) and the scale of λ when the terms
        are zeroed together (None otherwise)."""
        problem, values, M_all = self.problem, self.values, self.M_all
        # by default the gap's own direction, the sum of the terms making it up
        mix = torch.zeros(self.A.shape[1], dtype=problem.dtype, device=problem.device)
        mix[torch.as_tensor(self.terms.gap_terms, device=mix.device)] = 1.0
        active = np.flatnonzero(values > 0)
        if not (per_term and len(values) > 1 and len(active) > 1):
            return mix, None
        M = M_all[np.ix_(active, active)]
        c = np.linalg.lstsq(M, -values[active], rcond=1e-8)[0]
        slope_of_sum = float(M_all[:, active].sum(0) @ c)
        if not (np.all(np.isfinite(c)) and np.abs(c).sum() > 0 and slope_of_sum < 0):
            return mix, None
        scale = float(np.abs(c).sum())
        mix = torch.zeros_like(mix)
        mix[torch.as_tensor(active, device=mix.device)] = torch.as_tensor(
            c / scale, dtype=mix.dtype, device=mix.device
        )
        return mix, scale

    def segment(self, lambdas, *, per_term):
        problem, A = self.problem, self.A
        mix, scale = self.mix(per_term)
        a = A @ mix if isinstance(A, torch.Tensor) else A @ mix.cpu().numpy()
        u = self.direction(mix)  # θ change per unit λ
        if scale is None:  # one term, or the gap's terms summed
            gradients = self.terms.gradients
            gap_mix = mix.to(gradients)
            value = float(self.values @ gap_mix.cpu().numpy())
            slope = float(gap_mix @ gradients @ u)
            if slope < 0 and value > 0:
                scale = value / -slope  # λ at which the linearised surrogate reaches 0
            else:  # the influence direction does not lower the surrogate: small steps
                scale = 0.1 * float(problem.theta.norm()) / max(float(u.norm()), 1e-30)
        if lambdas is None:
            lambdas = np.concatenate([[0.0], scale * np.geomspace(1e-2, 20.0, N_GRID)])
        lambdas = np.asarray(lambdas, dtype=float)
        lam = torch.as_tensor(lambdas, dtype=problem.dtype, device=problem.device)
        thetas = problem.theta[None, :] + lam[:, None] * u[None, :]
        return Segment(lambdas, thetas, {}, direction=problem.host(a))


def discrete_segment(problem, curvature, influences, lambdas, *, upweight):
    """The segment of Fair-IJ (``upweight`` False) or drop-K/up-weight-M.

    The rows change weight by thresholds of the ranking key rather than a
    sort, so that row blocks held elsewhere can be counted and summed
    independently: a row changes weight when its key exceeds 1/λ. The
    adaptive grid walks the number K of changed rows geometrically, never
    splitting tied influences. Columns: ``n_changed``.
    """
    key = discrete_key(influences, upweight)
    if not backend_of(key).distributed:  # sorted once for the order statistics below
        key = np.sort(key)
    if lambdas is None:
        counts, thresholds = _adaptive_cuts(key)
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
    return Segment(np.asarray(lambdas, dtype=float), thetas, {"n_changed": counts})


def _adaptive_cuts(key):
    """Counts K of changed rows on a geometric grid and their thresholds t
    (λ = 1/t, with t between the K-th key and the next one, or 0): every row
    above t, and none below, changes weight; λ grows with K."""
    n_candidates = int(count_above(key, [0.0])[0])
    counts, thresholds = np.array([0]), np.array([np.inf])
    if n_candidates == 0:
        return counts, thresholds
    first = np.unique(np.geomspace(1, n_candidates, N_GRID_DISCRETE).astype(int))
    values = kth_largest(key, first)
    # a cut never splits tied influences: K counts every point tied with the K-th
    cuts, where = np.unique(count_above(key, values, strict=False), return_index=True)
    values = values[where]
    lower = np.maximum(largest_below(key, values), 0.0)
    return np.concatenate([counts, cuts]), np.concatenate([thresholds, (values + lower) / 2])


def discrete_key(influences, upweight):
    """What the discrete rules rank rows by: I (drop-K) or |I| (drop/up-weight)."""
    if isinstance(influences, torch.Tensor):
        influences = influences.cpu().numpy()
    backend = backend_of(influences)
    if not backend.distributed:
        influences = np.asarray(influences, dtype=float)
    key = abs(influences) if upweight else influences
    return backend.persist(key)  # (held once for the passes of the threshold search)


def discrete_weights(influences, count, *, upweight):
    """Weights of a discrete rule that changes the ``count`` top-ranked rows.

    The same rows as the path's parameter change, ties included (the path's
    counts never split tied influences).
    """
    influences = np.asarray(influences, dtype=float)
    order = np.argsort(-discrete_key(influences, upweight), kind="stable")[: int(count)]
    w = np.ones(len(influences))
    w[order] = np.where(influences[order] > 0, 0.0, 2.0)
    return w


def utility_segment(problem, curvature, influences, utility, lambdas):
    """The segment of :class:`~skfair_ij.weighting.UtilityConstrained`.

    λ is the budget ``Σ (1 − w_n)``; the adaptive grid runs geometrically from
    1 to the number of rows whose removal lowers the gap. The parameters of
    every point come from one streamed pass and one solve with a right-hand
    side per point; the segment keeps every point's weights.
    """
    influences = np.asarray(influences, dtype=float)
    utility = np.asarray(utility, dtype=float)
    if lambdas is None:
        n_helpful = max(1, int(np.sum(influences > 0)))
        lambdas = np.concatenate([[0.0], np.geomspace(1, n_helpful, N_GRID_BUDGET)])
    lambdas = np.asarray(lambdas, dtype=float)
    weights = np.column_stack(
        [utility_constrained_weights(influences, utility, lam) for lam in lambdas]
    )
    # drop budgets that change nothing more (the utility constraint binds first)
    keep = np.ones(len(lambdas), dtype=bool)
    keep[1:] = np.any(np.abs(np.diff(weights, axis=1)) > 1e-12, axis=0)
    lambdas, weights = lambdas[keep], weights[:, keep]
    delta = torch.as_tensor(weights - 1.0, dtype=problem.dtype, device=problem.device)
    changes = -curvature.solve(problem.weighted_gradient_sum(delta)) / problem.n_samples
    thetas = problem.theta[None, :] + changes.T
    return Segment(lambdas, thetas, {}, weights=weights)
