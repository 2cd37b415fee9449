"""The λ path of a fit as a value: its columns, parameters and, through its
rule, the weights of any point.

Each rule builds its own segments (:meth:`WeightingRule.segments
<skfair_ij.weighting.WeightingRule.segments>`); :class:`LambdaPath` holds the
joined result, which the selection, the estimators and
:class:`FairnessPathDisplay` read.
"""

from collections.abc import Mapping

import numpy as np
import torch

from ..backends import is_distributed

MIN_VALIDATION_CELL = 5  # validation rows a cell of the gap needs to be measured
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
    thetas : Tensor of shape (n_points, D) or None
        The model's parameters at every point (None for a path of refits,
        whose models are fitted).
    influences : ndarray of shape (n_train,)
        The influences at the fitted parameters (the first step).
    rule : WeightingRule
        The weighting rule that built the path; :meth:`weights` asks it.
    segments : list of Segment
        The segment of every step, as the rule built it.
    ends : list of float
        Where each step but the last ended (its ``lambda_step``).
    gap : str
        The column the selection compares: ``"pooled_gap"`` or ``"val_gap"``.
    """

    def __init__(
        self, columns, thetas, *, rule, influences, segments=(), ends=(), point_weights=None
    ):
        self._columns = {k: np.asarray(v) for k, v in columns.items()}
        self.thetas = thetas
        self.rule = rule
        self.influences = influences
        self.segments, self.ends = list(segments), list(ends)
        self._point_weights = point_weights  # the weights of each point, when given

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
        if self._point_weights is not None:
            return self._point_weights[index]
        return self.rule.path_weights(self, index)

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
    if direction is not None and not is_distributed(direction):
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
