"""The computation of a fit: influences of the training rows and the λ path.

Estimators call :func:`influence_path` with validated data (a :class:`Split`)
and resolved settings (criterion, rule, solver, selection objects); it returns
the adapter of the trained model and a :class:`LambdaPath`. Model types are
the adapters' business.
"""

import os
import sys
import time
import warnings
from typing import NamedTuple

import numpy as np
import torch

from ..adapters import ModuleOutputError, fit_inputs, get_adapter
from ..backends import backend_of
from ..influence import fairness_value_and_gradient
from ..weighting._segments import StepTerms
from . import _lambda_path as _path
from ._evaluate import evaluate_path

OVERFIT_WARNING = (
    "gap_data='pooled' measures the gaps on the training rows too, but the model's "
    "training accuracy ({train:.3f}) exceeds its validation accuracy ({val:.3f}) by "
    "{diff:.3f}: its training gaps are likely biased. Use gap_data='validation'."
)
OVERFIT_MARGIN = 0.05
NOT_FINITE_MODEL = (
    "The trained model has {n} parameter(s) that are NaN or infinite, so it cannot be "
    "edited or measured. Retrain it (check its inputs and its training for divergence)."
)
FEATURE_MISMATCH = (
    "The model does not accept X: {detail}. A pre-trained model must be trained on the "
    "same columns as X (without the sensitive column when drop_sensitive=True)."
)


_INTERNAL = tuple(
    os.path.dirname(module.__file__)
    for module in (sys.modules[__name__.split(".")[0]], sys.modules["sklearn"])
)


class Settings(NamedTuple):
    """The resolved options of a fit."""

    criterion: object
    rule: object
    solver: object
    selection: object
    adapter_kwargs: dict
    log: object  # log(message, start)


class InfluenceResult(NamedTuple):
    adapter: object
    path: _path.LambdaPath
    damping: float  # the damping used (resolved from "auto")
    update: str  # the update used (resolved from "auto")
    n_passes: object  # passes over the training rows on a cluster (None in memory)


def influence_path(model, split, settings, *, sample_weight=None):
    """Influences of the training rows and the λ path of the weighting rule.

    For the linear rules with the adaptive grid, the path may continue in up
    to ``n_steps`` segments: when the selected point lies inside the current
    segment, the model is linearised again there (new fairness gradient,
    influences and direction) and a new segment starts from it. The gap of a
    criterion with several terms (equalized odds) has kinks where one term
    crosses zero; a new segment follows the gradient past them.

    With ``gap_data="pooled"``, the training rows join the validation rows in
    the gap terms' values and in the path's ``pooled_gap``; the fairness
    gradient and the accuracy stay on validation data.
    """
    start = time.perf_counter()
    walk = _Walk(model, split, settings, sample_weight)
    path, thetas, segments, ends = walk.run(start)
    rule = settings.rule
    if segments[-1].direction is not None and rule.lambdas is None and walk.adaptive:
        path, thetas = refine(path, thetas, walk.select(path), walk.evaluate)
    settings.log(f"λ path of {len(path['lambda'])} points in {len(segments)} step(s)", start)
    lambda_path = _path.LambdaPath(
        path,
        thetas.detach(),
        rule=rule,
        influences=walk.first_influences,
        segments=segments,
        ends=ends,
    )
    n_passes = sum(p.n_passes for p in walk.problems) if walk.backend.distributed else None
    return InfluenceResult(walk.adapter, lambda_path, walk.damping, walk.update, n_passes)


class _Walk:
    """The data of a path's steps: the model's adapter, its inputs as tensors,
    the fitted logits, the rows that measure the gap and the steps' problems."""

    def __init__(self, model, split, settings, sample_weight):
        criterion, rule, solver, selection = settings[:4]
        self.settings, self.split, self.sample_weight = settings, split, sample_weight
        self.backend = backend_of(split.X_train)
        self.backend.check_rule(rule)
        adapter = get_adapter(model, device=solver.device, **settings.adapter_kwargs)
        X_fit = fit_inputs(model, split.X_train)[0]
        check_accepts(model, adapter, X_fit)
        self.adapter, self.update = adapter, rule.resolve_update(adapter.convex)
        self.X_val = adapter.to_tensor(fit_inputs(model, split.X_val)[0])
        self.X_train = adapter.to_tensor(X_fit)
        self.context = rule.prepare(adapter, split.X_train)
        self.adaptive = selection.reads_path
        self.budget = (
            {} if solver.memory_budget is None else {"memory_budget": solver.memory_budget}
        )
        self.problems, self.first_influences, self.damping = [], None, None
        self._fitted_logits()
        self._gap_rows()

    def _fitted_logits(self):
        """The fitted model's logits, computed once: for its curvature, its
        training and validation accuracy and the values of the gap terms."""
        adapter, distributed = self.adapter, self.backend.distributed
        self.logits = [
            None
            if distributed and X_t is self.X_train
            else torch.as_tensor(adapter.decision_function(X_t))
            for X_t in (self.X_train, self.X_val)
        ]
        for X_t, logits in zip((self.X_train, self.X_val), self.logits, strict=True):
            if logits is not None:  # the path's evaluation starts from them
                adapter.remember_logits(X_t, adapter.theta, logits)

    def _gap_rows(self):
        """The rows of the gap terms' values and of the pooled gaps."""
        criterion, split, selection = self.settings.criterion, self.split, self.settings.selection
        self.value_data = self.extra = self.min_accuracy = None
        if criterion.gap_data != "pooled":
            return
        val_accuracy = _accuracy(self.logits[1], split.y_val)
        if self.backend.distributed:  # the training rows by block sums
            self.extra = self.value_data = self.backend.pooled_rows(
                self.adapter, self.X_train, split.y_train, split.g_train
            )
            accuracy = _check_overfit(self.extra.accuracy(self.adapter.theta), val_accuracy)
        else:
            y, g = split.y_train, split.g_train
            self.value_data = (self.X_train, torch.as_tensor(y), torch.as_tensor(g))
            self.extra = (self.X_train, y, g)
            accuracy = _check_overfit(_accuracy(self.logits[0], y), val_accuracy)
        self.min_accuracy = selection.min_accuracy(accuracy)  # pooled gaps of candidates only

    def evaluate(self, thetas):
        split = self.split
        return evaluate_path(
            self.adapter.positive,
            thetas,
            self.X_val,
            split.y_val,
            split.g_val,
            self.settings.criterion,
            pooled=self.extra,
            min_accuracy=self.min_accuracy,
        )

    def select(self, columns):
        gap = "pooled_gap" if "pooled_gap" in columns else "val_gap"
        return self.settings.selection.select(columns, gap=gap, warn=False)

    def run(self, start):
        """The joined columns and parameters of the steps, their segments and
        where each step but the last ended."""
        rule = self.settings.rule
        theta = self.adapter.theta.to(self.adapter.device)
        path, thetas, segments, ends = None, None, [], []
        lambdas = _path.check_lambdas(rule.lambdas)
        n_steps = rule.n_segments
        for step in range(n_steps):
            segment, columns = self.step(step, theta, lambdas, start)
            segments.append(segment)
            columns["step"] = np.full(len(segment.lambdas), step)
            offset = 0.0 if path is None else float(path["lambda"][-1])
            columns["lambda"] = segment.lambdas + offset
            if path is None:
                path, thetas = columns, segment.thetas
            else:  # the segment starts at the last point of the path
                path = {k: np.concatenate([path[k], columns[k][1:]]) for k in path}
                thetas = torch.cat([thetas, segment.thetas[1:]])
            if step + 1 == n_steps:
                break
            index = len(path["lambda"]) - 1 if not self.adaptive else self.select(path)
            if path["step"][index] != step or path["lambda_step"][index] == 0:
                break
            # continue from the selected point: cut the path there
            path = {k: v[: index + 1] for k, v in path.items()}
            thetas = thetas[: index + 1]
            ends.append(float(path["lambda_step"][index]))
            theta = thetas[index]
        return path, thetas, segments, ends

    def step(self, step, theta, lambdas, start):
        """The segment of one linearisation at ``theta`` and its columns."""
        settings = self.settings
        first = step == 0  # at the fitted parameters, the logits are known
        problem = self.adapter.make_problem(
            self.X_train,
            self.split.y_train,
            sample_weight=self.sample_weight,
            theta=theta,
            logits=self.logits[0] if first else None,
            **self.budget,
        )
        if self.backend.distributed:  # their passes over the rows are counted
            self.problems.append(problem)
        if first:
            self.damping = settings.solver.resolve_damping(
                problem, convex=self.adapter.convex, penalised=self.adapter.penalised
            )
        curvature = settings.solver.curvature(problem, self.damping)
        terms = self.terms(problem, curvature, theta, first)
        if first:
            self.first_influences = problem.host(terms.influences)
            settings.log(f"influences of {problem.n_samples} points, D={problem.n_params}", start)
        candidates = settings.rule.segments(
            problem,
            curvature,
            terms,
            lambdas,
            context=self.context,
            update=self.update,
            first=first,
            adaptive=self.adaptive,
        )
        tables = [
            {"lambda_step": c.lambdas, "lambda": c.lambdas, **c.columns, **self.evaluate(c.thetas)}
            for c in candidates
        ]
        chosen = _preferred(list(zip(tables, candidates, strict=True)), self.select)
        segment, columns = candidates[chosen], tables[chosen]
        _path.check_finite(segment.lambdas, segment.thetas, segment.direction)
        return segment, columns

    def terms(self, problem, curvature, theta, first):
        """The gap terms at ``theta``: values, gradients, solutions, influences."""
        settings, split = self.settings, self.split
        values, gradients, gap_terms = fairness_value_and_gradient(
            self.adapter.logit_fn,
            theta,
            self.X_val,
            torch.as_tensor(split.y_val),
            torch.as_tensor(split.g_val),
            settings.criterion,
            per_term=True,
            by_group=True,
            value_data=self.value_data,
            logits=(self.logits[1], self.logits[0]) if first else None,
        )
        extra = settings.rule.extra_gradients(self.adapter, theta, self.X_val, split.y_val)
        right_hand_sides = gradients if extra is None else torch.cat([gradients, extra])
        # one solve per constraint term; I_n on the gap is the sum over its terms
        solutions = curvature.solve(right_hand_sides.T)  # (D, T [+ E]): H⁻¹ g_t
        term_solutions = solutions[:, : len(gradients)]
        term_influences = problem.keep(-problem.gradient_products(term_solutions))
        influences = problem.keep(term_influences[:, gap_terms].sum(1))
        extra_solutions = None if extra is None else solutions[:, len(gradients) :]
        return StepTerms(
            influences,
            term_influences,
            values,
            gradients,
            term_solutions,
            gap_terms,
            extra_solutions,
        )


def _preferred(candidates, select):
    """Which of the candidate segments ``(columns, segment)`` of a first step
    the selection prefers.

    Each is selected on its own; then the selection compares the selected
    points with the unedited model, each point's λ replaced by the size of its
    weight change ``‖λ a‖`` (the candidates' own λ are not on one scale).
    """
    if len(candidates) == 1:
        return 0
    chosen = [(columns, segment.direction, select(columns)) for columns, segment in candidates]
    first = candidates[0][0]
    table = {key: np.array([first[key][0]] + [c[key][i] for c, _, i in chosen]) for key in first}
    sizes = [float((a**2).sum()) ** 0.5 * float(c["lambda"][i]) for c, a, i in chosen]
    table["lambda"] = np.array([0.0, *sizes])
    return max(select(table) - 1, 0)


def refine(path, thetas, index, evaluate):
    """Zoom in on both sides of the selected point of a piecewise-linear path.

    Between consecutive points a and b the parameters move on the line of b's
    step, so interpolated points belong to that step, with a local λ running
    from a's (0 when a ends the previous step) to b's.
    """
    last = len(path["lambda"]) - 1
    t = np.linspace(0, 1, _path.N_REFINE // 2 + 2)[1:-1]
    pieces, fine_thetas = [], []
    for a, b in ((max(index - 1, 0), index), (index, min(index + 1, last))):
        if a == b:
            continue
        theta_ab = (
            thetas[a][None, :]
            + torch.as_tensor(t, dtype=thetas.dtype, device=thetas.device)[:, None]
            * (thetas[b] - thetas[a])[None, :]
        )
        piece = evaluate(theta_ab)
        piece["lambda"] = path["lambda"][a] + t * (path["lambda"][b] - path["lambda"][a])
        start = path["lambda_step"][a] if path["step"][a] == path["step"][b] else 0.0
        piece["lambda_step"] = start + t * (path["lambda_step"][b] - start)
        piece["step"] = np.full(len(t), path["step"][b])
        pieces.append(piece)
        fine_thetas.append(theta_ab)
    if not pieces:
        return path, thetas
    order = np.argsort(
        np.concatenate([path["lambda"]] + [p["lambda"] for p in pieces]), kind="stable"
    )
    path = {k: np.concatenate([path[k]] + [p[k] for p in pieces])[order] for k in path}
    thetas = torch.cat([thetas, *fine_thetas])[torch.as_tensor(order)]
    return path, thetas


def _caller_level():
    """The stack level of the first frame outside this package and
    scikit-learn's (the user's call of ``fit``), for a warning raised here."""
    frame, level = sys._getframe(1), 1
    while frame is not None and frame.f_code.co_filename.startswith(_INTERNAL):
        frame, level = frame.f_back, level + 1
    return level


def _accuracy(logits, y):
    return float(np.mean((np.asarray(logits) > 0) == (np.asarray(y) == 1)))


def _check_overfit(train_accuracy, val_accuracy):
    """Warn when training gaps are likely biased by overfitting.

    Returns the validation accuracy of the unedited model (the reference of
    the accuracy tolerance).
    """
    if train_accuracy - val_accuracy > OVERFIT_MARGIN:
        warnings.warn(
            OVERFIT_WARNING.format(
                train=train_accuracy, val=val_accuracy, diff=train_accuracy - val_accuracy
            ),
            UserWarning,
            stacklevel=_caller_level(),
        )
    return val_accuracy


def check_accepts(model, adapter, X):
    """A clear error when the model cannot take X (e.g. a pre-trained model
    trained on other columns)."""
    n_not_finite = int((~torch.isfinite(adapter.theta)).sum())
    if n_not_finite:
        raise ValueError(NOT_FINITE_MODEL.format(n=n_not_finite))
    expected = getattr(model, "n_features_in_", None)
    if expected is not None and expected != X.shape[1]:
        raise ValueError(
            FEATURE_MISMATCH.format(detail=f"it expects {expected} features, X has {X.shape[1]}")
        )
    head = X[:2]
    backend = backend_of(head)
    if backend.distributed:
        (head,) = backend.compute(head)
    try:
        adapter.decision_function(head)
    except ModuleOutputError:
        raise
    except (RuntimeError, ValueError) as exc:
        detail = f"X has {X.shape[1]} features and a forward pass fails ({exc})"
        raise ValueError(FEATURE_MISMATCH.format(detail=detail)) from exc
