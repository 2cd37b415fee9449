"""Down-weighting at no utility cost (Li & Liu, ICML 2022), as a linear programme."""

import numpy as np


def utility_constrained_weights(influences, utility_influences, budget):
    """Weights that lower the fairness gap most without raising the validation loss.

    With ``w = 1 − δ``, ``0 ≤ δ ≤ 1``, the first-order changes of the gap and of
    the validation loss are ``−Σ δ_n I_n / N`` and ``−Σ δ_n U_n / N`` (I and U
    the influences on the gap and on the loss: positive when removing the row
    lowers it). The weights solve

        max Σ δ_n I_n   subject to   Σ δ_n U_n ≥ 0,   Σ δ_n ≤ budget,   0 ≤ δ ≤ 1:

    the largest first-order drop of the gap whose first-order change of the
    validation loss is not positive (Li & Liu, "Achieving Fairness at No
    Utility Cost via Data Reweighing", ICML 2022), within a budget of
    ``budget`` rows' worth of down-weighting.

    Parameters
    ----------
    influences : array-like of shape (n_samples,)
        Influences on the fairness gap.
    utility_influences : array-like of shape (n_samples,)
        Influences on the validation loss.
    budget : float
        Largest total down-weighting ``Σ (1 − w_n)``.

    Returns
    -------
    ndarray of shape (n_samples,), values in [0, 1]

    Examples
    --------
    >>> from skfair_ij.weighting import utility_constrained_weights
    >>> # row 0 helps fairness but hurts utility, row 1 helps both, row 2 only utility
    >>> utility_constrained_weights([2.0, 1.0, -0.5], [-1.0, 0.5, 1.0], budget=3).round(3)
    array([0. , 0. , 0.5])
    """
    from scipy.optimize import linprog

    I = np.asarray(influences, dtype=float)  # noqa: E741
    U = np.asarray(utility_influences, dtype=float)
    if I.shape != U.shape or I.ndim != 1:
        raise ValueError(
            f"influences and utility_influences must be 1-D of one length, got {I.shape} "
            f"and {U.shape}."
        )
    if not np.isfinite(budget) or budget < 0:
        raise ValueError(f"budget must be a finite non-negative number, got {budget}.")
    n = len(I)
    if budget == 0 or n == 0:
        return np.ones(n)
    # scaled to unit size: HiGHS's tolerances are absolute
    scale_i = max(np.abs(I).max(), 1e-300)
    scale_u = max(np.abs(U).max(), 1e-300)
    result = linprog(
        -I / scale_i,
        A_ub=np.vstack([-U / scale_u, np.ones(n)]),
        b_ub=np.array([0.0, float(budget)]),
        bounds=(0.0, 1.0),
        method="highs",
    )
    if result.status != 0:  # pragma: no cover - the LP is always feasible (δ = 0)
        raise RuntimeError(f"The linear programme failed: {result.message}")
    delta = np.clip(result.x, 0.0, 1.0)
    delta[delta < 1e-9] = 0.0
    return 1.0 - delta
