"""How λ is chosen along a path, as objects: :class:`OneSE`, :class:`WithinTolerance`,
:class:`MinGap`, :class:`MaxGap`.

Each reads a path (a :class:`~skfair_ij.LambdaPath` or any mapping with the
columns ``lambda``, ``val_accuracy``, the compared gap and its standard error,
``val_positive_rate``) and returns the index of the selected point, and says
why the selected point is what it is (``fit_status_``). A string is a
shorthand (``"one_se"`` for ``OneSE()``); a callable ``path -> index`` is a
custom rule.
"""

import warnings
from numbers import Integral, Real

import numpy as np
from sklearn.utils._param_validation import Interval

from .._options import Options, resolve

CONSTANT_WARNING = (
    "The selected model predicts a single class on {share:.0%} of the validation data; "
    "the edit may be degenerate. Lower the tolerance or restrict the λ grid."
)
_TOLERANCE = [Interval(Real, 0, None, closed="left")]
# the statuses of a path whose selected point is the unedited model
UNEDITED = ("gap_already_small", "accuracy_cost", "no_improvement")


class Selection(Options):
    """Base class of the selection rules.

    Parameters
    ----------
    tolerance : float, default=0.02
        Validation accuracy the selection may give up relative to the unedited
        model (λ = 0): only points within it are candidates.
    """

    name = None
    max_gap = None
    randomize = False
    #: Whether the selection reads the path's columns (a multi-step path then
    #: continues from the selected point, and the path is refined around it).
    reads_path = True
    _parameter_constraints = {"tolerance": _TOLERANCE}

    def __init__(self, tolerance=0.02):
        self.tolerance = tolerance

    def min_accuracy(self, reference):
        """Validation accuracy a candidate needs (None: every point is one)."""
        return reference - self.tolerance - 1e-12

    def select(self, path, *, gap="val_gap", warn=True):
        """Index of the selected point; ``gap`` names the gap compared
        (``"val_gap"`` or ``"pooled_gap"``). Ties go to the smaller λ."""
        gaps, lams = _gaps(path, gap), path["lambda"]
        candidates = self._candidates(path)
        order = np.lexsort((lams[candidates], gaps[candidates]))
        lowest = int(candidates[order[0]])
        chosen = self._choose(path, gaps, candidates, lowest, gap)
        share = path["val_positive_rate"][chosen]
        if warn and max(share, 1 - share) > 0.99:
            warnings.warn(
                CONSTANT_WARNING.format(share=max(share, 1 - share)), UserWarning, stacklevel=6
            )
        return chosen

    def _candidates(self, path):
        allowed = _within_tolerance(path, self.tolerance)
        allowed[np.argmin(path["lambda"])] = True  # the unedited model always is one
        return np.flatnonzero(allowed)

    def _choose(self, path, gaps, candidates, lowest, gap):
        return lowest

    def outcome(self, path, index, *, gap="val_gap"):
        """Why the selected point is what it is: ``(status, message)``.

        ``status`` is ``"edited"`` (message empty), ``"target_not_reached"`` or
        ``"accuracy_budget"``
        (a :class:`MaxGap` no candidate reaches), or, when the unedited model is
        selected, ``"gap_already_small"`` (its gap is within two standard errors
        of 0, or below the target), ``"accuracy_cost"`` (lower gaps exist but
        cost more accuracy than ``tolerance``) or ``"no_improvement"``.
        """
        return _outcome(path, index, self.tolerance, max_gap=self.max_gap, gap=gap)


class OneSE(Selection):
    """The least edited point whose gap is within one standard error of the lowest.

    Among the points within ``tolerance`` of the unedited model's validation
    accuracy, find the lowest gap; then, as in the one-standard-error rule,
    take the smallest λ whose gap is within one standard error of it — the
    least edited model that cannot be told apart from the best on this
    validation set. The estimators' default.

    Parameters
    ----------
    tolerance : float, default=0.02
        As in :class:`Selection`.

    Examples
    --------
    >>> import numpy as np
    >>> from skfair_ij import OneSE
    >>> path = {"lambda": np.array([0.0, 1.0, 2.0]),
    ...         "val_accuracy": np.array([0.85, 0.84, 0.80]),
    ...         "val_gap": np.array([0.20, 0.06, 0.05]),
    ...         "val_gap_se": np.array([0.02, 0.02, 0.02]),
    ...         "val_positive_rate": np.array([0.3, 0.3, 0.3])}
    >>> OneSE(tolerance=0.02).select(path)
    1
    """

    name = "one_se"

    def _choose(self, path, gaps, candidates, lowest, gap):
        if not np.isfinite(gaps[lowest]):
            return lowest
        bound = gaps[lowest] + path[gap + "_se"][lowest]
        close = candidates[gaps[candidates] <= bound + 1e-12]
        return int(close[np.argmin(path["lambda"][close])])


class WithinTolerance(Selection):
    """The lowest gap among the points within ``tolerance`` of the unedited
    model's validation accuracy.

    Parameters
    ----------
    tolerance : float, default=0.02
        As in :class:`Selection`.
    """

    name = "tolerance"


class MinGap(Selection):
    """The lowest validation gap whatever the accuracy (Ghosh et al.'s rule,
    which may pick a near-constant model)."""

    name = "min_gap"
    _parameter_constraints = {}

    def __init__(self):
        pass

    @property
    def tolerance(self):
        return np.inf

    def min_accuracy(self, reference):
        return None

    def _candidates(self, path):
        return np.arange(len(path["lambda"]))


class MaxGap(Selection):
    """A target is a constraint: the most accurate point whose gap is at most
    ``max_gap``, whatever the accuracy it costs.

    An accuracy budget is separate and optional: with ``max_cost``, only the
    points within ``max_cost`` of the unedited model's validation accuracy are
    candidates. When no candidate reaches the target, the point of lowest gap
    is kept and the fit warns, saying which bound it:
    ``fit_status_ = "target_not_reached"`` (no point of the path reaches it)
    or ``"accuracy_budget"`` (points reach it, at more than ``max_cost``).

    Parameters
    ----------
    max_gap : float
        The largest gap accepted.
    max_cost : float or None, default=None
        Validation accuracy the edit may give up (None: no budget).
    randomize : bool, default=False
        Whether predictions may be randomised to meet ``max_gap`` exactly:
        :class:`FairIJClassifier` then predicts, row by row, with a more
        accurate point of the path with probability ``mixture_weight_`` and
        with the selected point otherwise (a mixture, as Hardt et al. and
        fairlearn's reductions do), the weight chosen so that the expected
        validation gap is ``max_gap``. Predictions are drawn from
        ``random_state`` (the same X, the same predictions). The default
        predicts deterministically.

    Examples
    --------
    >>> from skfair_ij import FairIJClassifier, MaxGap
    >>> FairIJClassifier(selection=MaxGap(0.05))
    FairIJClassifier(selection=MaxGap(max_gap=0.05))
    """

    name = "max_gap"
    _parameter_constraints = {
        "max_gap": [Interval(Real, 0, None, closed="left")],
        "max_cost": [Interval(Real, 0, None, closed="left"), None],
        "randomize": ["boolean"],
    }

    def __init__(self, max_gap, max_cost=None, randomize=False):
        self.max_gap = max_gap
        self.max_cost = max_cost
        self.randomize = randomize

    @property
    def tolerance(self):
        """The accuracy budget (infinite without ``max_cost``: every point is a
        candidate)."""
        return np.inf if self.max_cost is None else self.max_cost

    def _choose(self, path, gaps, candidates, lowest, gap):
        if not np.isfinite(gaps[lowest]):
            return lowest
        reached = candidates[gaps[candidates] <= self.max_gap + 1e-12]
        if not len(reached):
            return lowest
        order = np.lexsort((path["lambda"][reached], -path["val_accuracy"][reached]))
        return int(reached[order[0]])


class CustomSelection(Selection):
    """A callable ``path -> index`` as a selection rule.

    Parameters
    ----------
    function : callable
        Receives the path and returns the index of the selected point.
    tolerance : float, default=0.02
        Used only to explain the outcome (``fit_status_``).
    """

    name = "custom"
    reads_path = False
    _parameter_constraints = {"function": [callable], "tolerance": _TOLERANCE}

    def __init__(self, function, tolerance=0.02):
        self.function = function
        self.tolerance = tolerance

    def min_accuracy(self, reference):
        return None

    def select(self, path, *, gap="val_gap", warn=True):
        index = self.function(path)
        n_points = len(path["lambda"])
        if isinstance(index, bool | np.bool_) or not isinstance(index, Integral | np.integer):
            raise TypeError(
                f"The selection callable must return the integer index of a path point; "
                f"it returned {index!r}."
            )
        if not 0 <= index < n_points:
            raise ValueError(
                f"The selection callable returned index {int(index)}, but the path has "
                f"{n_points} points (indices 0 to {n_points - 1})."
            )
        return int(index)


SELECTIONS = {s.name: s for s in (OneSE, WithinTolerance, MinGap)}
SELECTION_RULES = tuple(SELECTIONS)


def check_selection(selection):
    """A :class:`Selection` from an object, its name or a callable (validated)."""
    if callable(selection) and not isinstance(selection, Selection):
        return CustomSelection(selection)
    return resolve(selection, Selection, SELECTIONS, "selection", also=" or a callable")


def _gaps(path, gap):
    gaps = np.asarray(path[gap], dtype=float)
    return np.where(np.isnan(gaps), np.inf, gaps)  # gaps left unevaluated


def _within_tolerance(path, tolerance):
    reference = path["val_accuracy"][np.argmin(path["lambda"])]
    return path["val_accuracy"] >= reference - tolerance - 1e-12


def _outcome(path, index, tolerance, *, max_gap=None, gap="val_gap"):
    lams, gaps = path["lambda"], path[gap]
    ref = int(np.argmin(lams))
    g0, se0, g = gaps[ref], path[gap + "_se"][ref], gaps[index]
    if max_gap is not None and not g <= max_gap + 1e-12:
        return _target_missed(path, gaps, g, g0, ref, max_gap, tolerance)
    if lams[index] > 0:
        return "edited", ""
    if g0 <= 2 * se0 or (max_gap is not None and g0 <= max_gap + 1e-12):
        return "gap_already_small", (
            f"The model was left unedited: its validation gap {g0:.4f} is already "
            + (
                f"below max_gap={max_gap}."
                if max_gap is not None
                else f"within two standard errors ({se0:.4f}) of 0."
            )
        )
    val_gaps = path["val_gap"]
    significant = np.flatnonzero(val_gaps < val_gaps[ref] - path["val_gap_se"][ref])
    if len(significant):
        best = significant[np.argmin(val_gaps[significant])]
        cost = path["val_accuracy"][ref] - path["val_accuracy"][best]
        if cost > tolerance:
            return "accuracy_cost", (
                f"The model was left unedited: lowering the validation gap (to "
                f"{val_gaps[best]:.4f} from {val_gaps[ref]:.4f}) costs "
                f"{cost:.4f} of validation accuracy, more than tolerance={tolerance}."
            )
    return "no_improvement", (
        f"The model was left unedited: no point of the path lowers the validation gap "
        f"({g0:.4f} ± {se0:.4f}) beyond its standard error within tolerance={tolerance}."
    )


def _target_missed(path, gaps, g, g0, ref, max_gap, budget):
    """``(status, message)`` of a target no candidate reaches: the accuracy
    budget bound the fit (points beyond it reach the target) or the path did."""
    gaps = np.asarray(gaps, dtype=float)  # pooled gaps beyond the budget are not computed:
    gaps = np.where(np.isnan(gaps), path["val_gap"], gaps)  # their validation gaps tell
    beyond = np.flatnonzero(gaps <= max_gap + 1e-12)
    if np.isfinite(budget) and len(beyond):
        cost = path["val_accuracy"][ref] - np.max(path["val_accuracy"][beyond])
        return "accuracy_budget", (
            f"max_gap={max_gap} is reached on the path only at a validation accuracy cost "
            f"of {cost:.4f}, more than max_cost={budget}: the closest point within the "
            f"budget has a validation gap of {g:.4f} (unedited: {g0:.4f}). Raise "
            "max_cost (or drop it) to reach the target."
        )
    return "target_not_reached", (
        f"No point of the path reaches max_gap={max_gap}: the closest has a validation "
        f"gap of {g:.4f} (unedited: {g0:.4f}). Follow the path further with refits: "
        "FairReweighter(..., n_rounds=k) linearises again at each of k weighted refits."
    )
