"""Smooth fairness surrogates on validation data and their parameter gradient.

Every surrogate is a function of *cell means* of a soft quantity: the predicted
probability ``h`` (or the soft error ``y(1-h) + (1-y)h`` for error-rate parity)
averaged within cells defined by the group and, for the odds-based criteria, the
label. With G groups:

* ``demographic_parity``: cells = groups;            F = max_g m_g − min_g m_g
* ``equalized_odds``:     cells = (group, label);    F = Σ_y (max_g m_{g,y} − min_g m_{g,y})
* ``equal_opportunity``:  cells = (group, label=1);  F = max_g m_{g,1} − min_g m_{g,1}
* ``error_rate``:         cells = groups, on the soft error.

For two groups these are the absolute gaps; for more, the largest gap
between any two groups. Because F depends on the data only through cell means,
its gradient streams: one pass for the means, one for ``Σ_n c_n ∇θ h_n``.
"""

import numpy as np
import torch

from ..metrics._criteria import check_criterion

SINGLE_GROUP_VALIDATION = (
    "The validation data hold a single group; the fairness gap (and its gradient) "
    "needs at least two groups."
)


def gap_from_cell_means(means, shape):
    """Largest between-group gap of cell means; empty cells (NaN) are skipped.

    Parameters
    ----------
    means : Tensor of shape (n_cells,)
    shape : tuple
        ``(G,)`` or ``(G, 2)``; with two columns the two gaps are added.

    Returns
    -------
    Tensor (scalar)

    Examples
    --------
    >>> import torch
    >>> from skfair_ij.influence import gap_from_cell_means
    >>> means = torch.tensor([0.2, 0.6, 0.3, 0.9])  # cells (group, label), 2 groups
    >>> round(float(gap_from_cell_means(means, (2, 2))), 4)  # |0.2-0.3| + |0.6-0.9|
    0.4
    """
    return gap_terms_from_cell_means(means, shape).sum()


def gap_terms_from_cell_means(means, shape, reference=None):
    """The terms of the gap: one ``max − min`` per column of the cell grid.

    With ``reference`` (cell means of the same grid, measured on other data),
    each term is ``m_a − m_b`` for the groups a and b with the largest and the
    smallest reference mean among the cells present in both: the gap oriented
    by the reference, differentiable with respect to ``means``.

    Returns
    -------
    Tensor of shape (T,)
        ``T = 1`` (one column) or 2 (equalized odds: the y = 0 and y = 1 terms).
    """
    grid = means.reshape(shape)
    if grid.ndim == 1:
        grid = grid[:, None]
    ref = grid.detach() if reference is None else reference.reshape(grid.shape)
    terms = []
    for column, ref_column in zip(grid.T, ref.T, strict=True):
        present = torch.nonzero(~torch.isnan(column) & ~torch.isnan(ref_column)).reshape(-1)
        if len(present) < 2:
            terms.append(means.new_zeros(()))
            continue
        order = ref_column[present]
        high, low = present[torch.argmax(order)], present[torch.argmin(order)]
        terms.append(column[high] - column[low])
    return torch.stack(terms)


def gap_constraints(means, shape, reference=None):
    """The constraints whose common zero is the gap's zero, and the gap in terms of them.

    A column of the cell grid with two groups gives its ``max − min`` term (as
    :func:`gap_terms_from_cell_means`). A column with more groups gives one
    term per group, ``s_g (m_g − m̄)``: the deviation of the group's mean from
    the mean m̄ of the column's group means, oriented by the reference
    (``s_g`` is the sign of the group's reference deviation, so each term is
    at least 0 at the reference). The deviations add up to 0, so the group
    nearest the mean (neither extreme) is left out: it is at the mean when
    all the others are. The column's ``max − min`` is the sum of its highest
    group's term and its lowest group's.

    Returns
    -------
    terms : Tensor of shape (T,)
    gap_terms : ndarray of int
        The terms whose sum is the gap (:func:`gap_from_cell_means`) near the
        reference.

    Examples
    --------
    >>> import torch
    >>> from skfair_ij.influence import gap_constraints
    >>> terms, gap_terms = gap_constraints(torch.tensor([0.2, 0.5, 0.8]), (3,))
    >>> [round(float(t), 4) for t in terms], gap_terms.tolist()
    ([0.3, 0.3], [1, 0])
    """
    grid = means.reshape(shape)
    if grid.ndim == 1:
        grid = grid[:, None]
    ref = grid.detach() if reference is None else reference.reshape(grid.shape)
    terms, gap_terms = [], []
    for column, ref_column in zip(grid.T, ref.T, strict=True):
        present = torch.nonzero(~torch.isnan(column) & ~torch.isnan(ref_column)).reshape(-1)
        if len(present) <= 2:
            pair = gap_terms_from_cell_means(column, (len(column),), ref_column)
            gap_terms.append(len(terms))
            terms.append(pair[0])
            continue
        deviation = column[present] - column[present].mean()
        ref_deviation = ref_column[present] - ref_column[present].mean()
        high, low = int(torch.argmax(ref_deviation)), int(torch.argmin(ref_deviation))
        # the deviations add up to 0: the group nearest the mean (neither extreme) is
        # at the mean when all the others are, and its constraint is left out
        inner = [g for g in range(len(present)) if g not in (high, low)]
        dropped = inner[int(torch.argmin(ref_deviation[inner].abs()))]
        kept = [g for g in range(len(present)) if g != dropped]
        gap_terms += [len(terms) + kept.index(high), len(terms) + kept.index(low)]
        terms.extend(torch.sign(ref_deviation[kept]) * deviation[kept])
    return torch.stack(terms), np.asarray(gap_terms, dtype=np.int64)


def fairness_surrogate(proba, y, groups, criterion, n_groups=None, weight=None):
    """Smooth fairness gap of predicted probabilities.

    Parameters
    ----------
    proba : Tensor of shape (n,)
        Predicted probability of the positive class.
    y : Tensor of shape (n,)
        Labels in {0, 1}.
    groups : LongTensor of shape (n,)
        Group code of each sample, in ``0 .. n_groups - 1``.
    criterion : str or FairnessCriterion
        A criterion of :mod:`skfair_ij.metrics` or its name.
    n_groups : int, default=None
        Number of groups (``groups.max() + 1`` when None).
    weight : Tensor of shape (n,), default=None
        Sample weights.

    Returns
    -------
    Tensor (scalar), differentiable with respect to ``proba``.

    Examples
    --------
    >>> import torch
    >>> from skfair_ij.influence import fairness_surrogate
    >>> proba = torch.tensor([0.9, 0.7, 0.2, 0.4])
    >>> groups = torch.tensor([0, 0, 1, 1])
    >>> y = torch.tensor([1.0, 0.0, 1.0, 0.0])
    >>> round(float(fairness_surrogate(proba, y, groups, "demographic_parity")), 4)
    0.5
    """
    criterion = check_criterion(criterion)
    n_groups = int(groups.max()) + 1 if n_groups is None else n_groups
    cells, shape = criterion.cells(groups, y, n_groups)
    n_cells = int(torch.tensor(shape).prod())
    w = torch.ones_like(proba) if weight is None else weight.to(proba)
    w = torch.where(cells >= 0, w, torch.zeros_like(w))
    index = cells.clamp(min=0)
    values = criterion.soft_values(proba, y)
    totals = torch.zeros(n_cells, dtype=proba.dtype, device=proba.device).index_add(0, index, w)
    sums = torch.zeros_like(totals).index_add(0, index, w * values)
    means = torch.where(totals > 0, sums / totals.clamp(min=1e-300), torch.nan)
    return gap_from_cell_means(means, shape)


def _cell_sums(logit_fn, theta, X, y, index, w, criterion, n_cells, chunk_size, logits=None):
    """Weight totals and weighted sums of the soft values per cell (no gradient);
    ``logits`` of X at theta when already known."""
    device, dtype = theta.device, theta.dtype
    totals = torch.zeros(n_cells, dtype=dtype, device=device).index_add(0, index, w)
    sums = torch.zeros_like(totals)
    with torch.no_grad():
        for start in range(0, len(y), chunk_size):
            rows = slice(start, min(start + chunk_size, len(y)))
            f = logit_fn(theta, X[rows].to(device, dtype)) if logits is None else logits[rows]
            proba = torch.sigmoid(f.reshape(-1).to(device, dtype))
            values = criterion.soft_values(proba, y[rows])
            sums.index_add_(0, index[rows], w[rows] * values)
    return totals, sums


def fairness_value_and_gradient(
    logit_fn,
    theta,
    X,
    y,
    groups,
    criterion,
    *,
    weight=None,
    chunk_size=2**14,
    per_term=False,
    value_data=None,
    logits=None,
    by_group=False,
):
    """Surrogate F(θ) on validation data and its gradient ``g_F = ∇θ F``.

    Streams over chunks of rows: a pass for the cell means, one for
    ``Σ_n c_n ∇θ v_n`` with ``c_n = (∂F/∂m_cell(n)) w_n / W_cell(n)``.

    With ``value_data``, more rows measure the value: the cell means are pooled
    over X and those rows, each term is oriented (which group is above) and
    valued on the pooled means, and the gradient is that of the same oriented
    term on X alone.

    Parameters
    ----------
    logit_fn : callable
        ``logit_fn(theta (D,), X (n, p)) -> (n,)``, at ``theta`` (D,).
    X, y, groups : Tensors of shapes (n, p), (n,) and (n,) (groups: long)
    criterion : str or FairnessCriterion
    weight : Tensor of shape (n,), default=None
        Weights of the rows (``chunk_size`` rows stream at a time).
    per_term : bool, default=False
        Return the gap's terms (equalized odds: the y = 0 and y = 1 gaps), not their sum.
    value_data : tuple (X, y, groups) of Tensors, or PooledRows, default=None
        Further rows (unit weights) pooled with X for the value only (a
        cluster backend's rows give their cell sums with ``cell_sums``).
    logits : tuple (Tensor, Tensor or None), default=None
        Known logits at ``theta`` of X and of ``value_data`` (two passes less).
    by_group : bool, default=False
        With ``per_term``: the terms are :func:`gap_constraints` (one per
        group beyond two), and the terms summing to the gap are returned too.

    Returns
    -------
    value : float, or ndarray of shape (T,) when ``per_term``
    gradient : Tensor of shape (D,), or (T, D) when ``per_term``
    gap_terms : ndarray of int, only with ``by_group``: the terms summing to the gap.

    Examples
    --------
    >>> import torch
    >>> from skfair_ij.influence import fairness_value_and_gradient
    >>> X = torch.tensor([[1.0, 0.0], [1.0, 1.0], [1.0, 2.0], [1.0, 3.0]])
    >>> groups, y = torch.tensor([0, 0, 1, 1]), torch.tensor([0.0, 1.0, 0.0, 1.0])
    >>> value, grad = fairness_value_and_gradient(
    ...     lambda th, X: X @ th, torch.zeros(2), X, y, groups, "demographic_parity")
    >>> value, grad.shape
    (0.0, torch.Size([2]))
    """
    cells = _Cells(theta, y, groups, check_criterion(criterion), weight, value_data)
    known, known_extra = (None, None) if logits is None else logits
    totals, sums = cells.sums(logit_fn, theta, X, chunk_size, known)
    means = torch.where(totals > 0, sums / totals.clamp(min=1e-300), torch.nan)
    reference = cells.pooled_means(
        logit_fn, theta, value_data, totals, sums, chunk_size, known_extra
    )
    means.requires_grad_(True)
    by_group = by_group and per_term
    terms, gap_terms = cells.terms(means, reference, by_group)
    gradient = cells.gradient(logit_fn, theta, X, terms, means, totals, chunk_size)
    if reference is not None:  # the values on the pooled rows
        terms = cells.terms(reference, reference, by_group)[0]
    values = terms.detach().cpu().numpy()
    if by_group:
        return values, gradient, gap_terms
    if per_term:
        return values, gradient
    return float(values.sum()), gradient.sum(0)


class _Cells:
    """The cells (group × conditioning label) of the validation rows of a gap,
    their weights, and what the pooled rows add."""

    def __init__(self, theta, y, groups, criterion, weight, value_data):
        device, dtype = theta.device, theta.dtype
        self.criterion, self.device, self.dtype = criterion, device, dtype
        self.y = y.to(device, dtype)
        groups = groups.to(device)
        if len(torch.unique(groups)) < 2:
            raise ValueError(SINGLE_GROUP_VALIDATION)
        n_groups = int(groups.max()) + 1
        self.pooled_sums = hasattr(value_data, "cell_sums")  # rows summed block by block
        if value_data is not None:
            extra = value_data.n_groups if self.pooled_sums else int(value_data[2].max()) + 1
            n_groups = max(n_groups, extra)
        self.n_groups = n_groups
        cells, self.shape = criterion.cells(groups, self.y, n_groups)
        self.n_cells = int(torch.tensor(self.shape).prod())
        w = torch.ones(len(self.y), dtype=dtype, device=device)
        w = w if weight is None else weight.to(device, dtype)
        self.w = torch.where(cells >= 0, w, torch.zeros_like(w))
        self.index = cells.clamp(min=0)

    def sums(self, logit_fn, theta, X, chunk_size, known):
        """Weight totals and soft-value sums of the validation rows per cell."""
        args = (logit_fn, theta, X, self.y, self.index, self.w, self.criterion, self.n_cells)
        return _cell_sums(*args, chunk_size, known)

    def terms(self, cell_means, reference, by_group):
        """The gap's terms (constraints, or max − min), oriented by
        ``reference``, and which of them make up the gap (``by_group``)."""
        if by_group:
            return gap_constraints(cell_means, self.shape, reference)
        return gap_terms_from_cell_means(cell_means, self.shape, reference), None

    def pooled_means(self, logit_fn, theta, value_data, totals, sums, chunk_size, known):
        """The cell means over the validation and the pooled rows (None without
        pooled rows)."""
        if value_data is None:
            return None
        if self.pooled_sums:
            totals2, sums2 = value_data.cell_sums(theta, self.criterion, self.n_groups)
        else:
            X2, y2, g2 = value_data
            y2 = y2.to(self.device, self.dtype)
            cells2, _ = self.criterion.cells(g2.to(self.device), y2, self.n_groups)
            w2 = (cells2 >= 0).to(self.dtype)
            args = (logit_fn, theta, X2, y2, cells2.clamp(min=0), w2, self.criterion, self.n_cells)
            totals2, sums2 = _cell_sums(*args, chunk_size, known)
        totals2, sums2 = totals2 + totals, sums2 + sums
        return torch.where(totals2 > 0, sums2 / totals2.clamp(min=1e-300), torch.nan)

    def gradient(self, logit_fn, theta, X, terms, means, totals, chunk_size):
        """``Σ_n c_n ∇θ v_n`` of every term, streamed over chunks of rows:
        (T, D)."""
        index, w, y = self.index, self.w, self.y
        n_terms = len(terms)
        coef = torch.zeros((len(y), n_terms), dtype=self.dtype, device=self.device)
        for t in range(n_terms):
            if terms[t].requires_grad:
                (dF_dm,) = torch.autograd.grad(terms[t], means, retain_graph=True)
                coef[:, t] = torch.nan_to_num(dF_dm)[index] * w / totals[index].clamp(min=1e-300)
        gradient = torch.zeros((n_terms, theta.numel()), dtype=self.dtype, device=self.device)
        for start in range(0, len(y), chunk_size):
            rows = slice(start, min(start + chunk_size, len(y)))
            theta_ = theta.detach().requires_grad_(True)
            X_rows = X[rows].to(self.device, self.dtype)
            proba = torch.sigmoid(logit_fn(theta_, X_rows).reshape(-1))
            values = self.criterion.soft_values(proba, y[rows])
            for t in range(n_terms):
                (g,) = torch.autograd.grad(
                    (coef[rows, t] * values).sum(), theta_, retain_graph=t + 1 < n_terms
                )
                gradient[t] += g
        return gradient
