"""Order statistics of per-row values without a global sort: counts above
thresholds, the k-th largest values and the largest value below a threshold —
a sort in memory, passes over the row blocks of a cluster backend otherwise."""

import operator

import numpy as np

from ..backends import backend_of

MAX_GATHER = 2**16  # values gathered to the client to finish an order statistic


def _over_blocks(block, key, op=operator.add):
    """``block(values)`` of an array in memory, or combined by ``op`` over the
    blocks of a (persisted) lazy array of a cluster backend."""
    return backend_of(key).over_blocks(block, key, op)


def _sorted(values):
    """``values`` in increasing order (no sort when they already are)."""
    values = np.asarray(values)
    return values if bool(np.all(values[:-1] <= values[1:])) else np.sort(values)


def count_above(key, thresholds, *, strict=True):
    """``#(key > t)`` (``>=`` when not strict) for every threshold, one pass."""
    t = np.asarray(thresholds, dtype=float)

    def block(values):
        values = _sorted(values)
        return len(values) - np.searchsorted(values, t, side="right" if strict else "left")

    return _over_blocks(block, key)


def kth_largest(key, ks, *, max_gather=MAX_GATHER, n_candidates=255):
    """The exact k-th largest values (k counted from 1) of a 1-d array.

    A sort in memory; on a cluster backend, a bracketing search that needs no global sort:
    each pass counts the values above ``n_candidates`` points of every
    target's bracket, until a bracket holds at most ``max_gather`` values,
    which are gathered and sorted on the client.
    """
    ks = np.asarray(ks, dtype=np.int64)
    backend = backend_of(key)
    if not backend.distributed:
        ranked = _sorted(key)[::-1]
        return ranked[ks - 1]
    low, high = backend.compute(key.min(), key.max())
    # v_k lies in (lo, hi]: #(key > hi) < k <= #(key > lo)
    lo = np.full(len(ks), np.nextafter(float(low), -np.inf))
    hi = np.full(len(ks), float(high))
    above_hi = np.zeros(len(ks), dtype=np.int64)
    above_lo = np.full(len(ks), int(key.shape[0]))
    while True:
        open_ = (above_lo - above_hi > max_gather) & (np.nextafter(lo, np.inf) < hi)
        if not open_.any():
            break
        grid = np.linspace(lo[open_], hi[open_], n_candidates + 2)[1:-1].T  # (targets, m)
        counts = count_above(key, grid.ravel()).reshape(grid.shape)
        for j, t in enumerate(np.flatnonzero(open_)):
            inside = counts[j] >= ks[t]  # candidates still at or below v_k
            i = int(np.flatnonzero(inside)[-1]) if inside.any() else -1
            if i >= 0:
                lo[t], above_lo[t] = grid[j, i], counts[j, i]
            if i + 1 < grid.shape[1]:
                hi[t], above_hi[t] = grid[j, i + 1], counts[j, i + 1]
    # a bracket of one representable value holds only ties of it
    exact = np.nextafter(lo, np.inf) >= hi
    out = hi.copy()
    if exact.all():
        return out
    mask = None
    for t in np.flatnonzero(~exact):
        m = (key > lo[t]) & (key <= hi[t])
        mask = m if mask is None else mask | m
    gathered = np.sort(backend.compute(key[mask])[0])[::-1]
    for t in np.flatnonzero(~exact):
        bracket = gathered[(gathered > lo[t]) & (gathered <= hi[t])]
        out[t] = bracket[ks[t] - above_hi[t] - 1]
    return out


def largest_below(key, values):
    """``max{key < v}`` for every v (−inf when none), one pass."""
    v = np.asarray(values, dtype=float)

    def block(block_values):
        block_values = _sorted(block_values)
        i = np.searchsorted(block_values, v, side="left")
        return np.where(i > 0, block_values[np.maximum(i - 1, 0)], -np.inf)

    return _over_blocks(block, key, np.maximum)
