"""A randomised point between two points of a path: the stated gap exactly.

A target ``MaxGap(ε, randomize=True)`` may fall between two points of the
path: a point i whose gap is at most ε and a more accurate point j whose gap
exceeds it. Predicting with j with probability q and with i otherwise (a
mixture, as Hardt et al. and fairlearn's reductions do) has expected cell
counts ``q C_j + (1 − q) C_i`` on any rows, hence an expected gap that moves
continuously from i's to j's and an accuracy linear in q. The largest q whose
expected gap is at most ε is the mixture's weight.
"""

import numpy as np


def mixture_partner(path, index, max_gap, tolerance, gap="val_gap"):
    """The point to mix with the selected one, or None.

    Among the points more accurate than ``index`` whose gap exceeds
    ``max_gap`` (and within ``tolerance`` of the unedited model's accuracy),
    the one whose mixture with ``index`` would be most accurate at the target,
    the gaps interpolated linearly (the exact weight is :func:`mixture_weight`'s).
    """
    gaps = np.asarray(path[gap], dtype=float)
    gaps = np.where(np.isnan(gaps), np.asarray(path["val_gap"], dtype=float), gaps)
    accuracy = np.asarray(path["val_accuracy"], dtype=float)
    reference = accuracy[int(np.argmin(path["lambda"]))]
    g_i, a_i = gaps[index], accuracy[index]
    if not g_i <= max_gap + 1e-12:
        return None
    partners = np.flatnonzero(
        (accuracy > a_i) & (gaps > max_gap) & (accuracy >= reference - tolerance - 1e-12)
    )
    if not len(partners):
        return None
    q = (max_gap - g_i) / (gaps[partners] - g_i)
    return int(partners[np.argmax(a_i + q * (accuracy[partners] - a_i))])


def mixture_weight(counts_i, counts_j, criterion, max_gap, *, n_steps=60):
    """The largest weight q of point j whose expected gap, ``criterion``'s
    hard gap of ``q C_j + (1 − q) C_i``, is at most ``max_gap`` (bisection on
    the first crossing; ``counts_*``: cell counts (G, 2, 2) of the same rows).

    Examples
    --------
    >>> import numpy as np
    >>> from skfair_ij.metrics import DemographicParity
    >>> from skfair_ij.path._mixture import mixture_weight
    >>> def counts(rate_0, rate_1):  # 100 rows of label 1 per group, rates predicted 1
    ...     return np.array([[[0, 0], [100 - 100 * r, 100 * r]] for r in (rate_0, rate_1)])
    >>> round(mixture_weight(counts(0.5, 0.5), counts(0.3, 0.7), DemographicParity(), 0.1), 6)
    0.25
    """
    counts_i, counts_j = (np.asarray(c, dtype=float) for c in (counts_i, counts_j))

    def gap(q):
        return float(np.ravel(criterion.hard_gap((q * counts_j + (1 - q) * counts_i)[None])[0])[0])

    if gap(1.0) <= max_gap:
        return 1.0
    low, high = 0.0, 1.0
    for _ in range(n_steps):
        middle = (low + high) / 2
        low, high = (middle, high) if gap(middle) <= max_gap else (low, middle)
    return low
