"""The default backend: the rows of a fit are arrays in this process."""

import numpy as np


class InMemory:
    """Rows in memory (numpy, scipy.sparse, torch): the passes over them are
    the kernels of :mod:`skfair_ij.influence`, run here.

    The interface every backend has: ``distributed`` (whether the rows are
    held elsewhere, as lazy collections), ``owns(value)``, ``persist``,
    ``compute``, ``over_blocks``, ``validate_fit``, ``check_rule`` and, for a
    cluster, ``problem``, ``pooled_rows``, ``fit_model`` and ``blockwise``.
    """

    name = "memory"
    label = "in-memory"  # in messages
    distributed = False

    def owns(self, value):
        return True

    def persist(self, value):
        """``value`` computed once for several later reads (here: as it is)."""
        return value

    def compute(self, *values):
        """The values themselves, as a tuple (a cluster gathers them)."""
        return values

    def over_blocks(self, block, values, op=None):
        """``block(values)`` (a cluster combines it by ``op`` over its row blocks)."""
        return block(np.asarray(values))

    def validate_fit(self, spec, X, y, sensitive_features, sample_weight, validation):
        from .._fit_data import validate_in_memory

        return validate_in_memory(spec, X, y, sensitive_features, sample_weight, validation)

    def check_rule(self, rule):
        """Every rule runs in memory."""


IN_MEMORY = InMemory()
