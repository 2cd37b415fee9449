"""The computation of a fit: influences of the training rows and the λ path.

Estimators call :func:`influence_path` with validated data (a :class:`Split`)
and resolved settings (criterion, rule, solver, selection objects); it returns
the adapter of the trained model and a :class:`LambdaPath`. Model types are
the adapters' business.
"""

import time
import warnings
from typing import NamedTuple

import numpy as np
import torch
from sklearn.base import clone

from . import _path
from ._evaluate import evaluate_path
from ._weights_path import utility_path
from .adapters import ModuleOutputError, fit_inputs, get_adapter
from .influence import fairness_value_and_gradient, validation_loss_gradient
from .influence._dask import NOT_ON_DASK, is_dask_collection
from .influence._pooled import PooledRows

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
    n_passes: object  # passes over the training rows on Dask (None in memory)


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
    criterion, rule, solver, selection = settings[:4]
    start = time.perf_counter()
    X_train, y_train, X_val, y_val, g_val = (
        split.X_train,
        split.y_train,
        split.X_val,
        split.y_val,
        split.g_val,
    )
    on_dask = is_dask_collection(X_train)
    if on_dask:
        check_dask_rule(rule)
    adapter = get_adapter(model, device=solver.device, **settings.adapter_kwargs)
    X_fit = fit_inputs(model, X_train)[0]
    check_accepts(model, adapter, X_fit)
    X_val_t = adapter.to_tensor(fit_inputs(model, X_val)[0])
    update = rule.resolve_update(adapter.convex)
    budget = {} if solver.memory_budget is None else {"memory_budget": solver.memory_budget}
    lambdas = _path.check_lambdas(rule.lambdas)
    features = _simjack_features(rule, adapter, X_train) if rule.name == "simjack" else None
    n_steps = rule.n_segments

    # the fitted model's logits, computed once: for its curvature, its training
    # and validation accuracy and the values of the gap terms
    X_train_t = adapter.to_tensor(X_fit)
    fitted_logits = [
        None if on_dask and X_t is X_train_t else torch.as_tensor(adapter.decision_function(X_t))
        for X_t in (X_train_t, X_val_t)
    ]
    for X_t, logits in zip((X_train_t, X_val_t), fitted_logits, strict=True):
        if logits is not None:  # the path's evaluation starts from them
            adapter.remember_logits(X_t, adapter.theta, logits)
    value_data, extra, min_accuracy = None, None, None
    if criterion.gap_data == "pooled" and on_dask:  # the training rows by block sums
        extra = value_data = PooledRows(adapter, X_train_t, y_train, split.g_train)
        train_accuracy = extra.accuracy(adapter.theta)
        accuracy = _check_overfit(train_accuracy, _accuracy(fitted_logits[1], y_val))
    elif criterion.gap_data == "pooled":
        value_data = (X_train_t, torch.as_tensor(y_train), torch.as_tensor(split.g_train))
        extra = (X_train_t, y_train, split.g_train)
        accuracy = _check_overfit(
            _accuracy(fitted_logits[0], y_train), _accuracy(fitted_logits[1], y_val)
        )
    if criterion.gap_data == "pooled":
        min_accuracy = selection.min_accuracy(accuracy)  # pooled gaps of candidates only

    def evaluate(thetas):
        return evaluate_path(
            adapter.positive,
            thetas,
            X_val_t,
            y_val,
            g_val,
            criterion,
            pooled=extra,
            min_accuracy=min_accuracy,
        )

    def select(columns):
        gap = "pooled_gap" if "pooled_gap" in columns else "val_gap"
        return selection.select(columns, gap=gap, warn=False)

    custom = selection.name == "custom"
    theta = adapter.theta.to(adapter.device)
    path, thetas, directions, ends, weight_columns = None, None, [], [], None
    problems = []
    for step in range(n_steps):
        known = step == 0  # at the fitted parameters, the logits are known
        problem = adapter.make_problem(
            X_train_t,
            y_train,
            sample_weight=sample_weight,
            theta=theta,
            logits=fitted_logits[0] if known else None,
            **budget,
        )
        if on_dask:  # their passes over the rows are counted
            problems.append(problem)
        term_values, term_gradients, gap_terms = fairness_value_and_gradient(
            adapter.logit_fn,
            theta,
            X_val_t,
            torch.as_tensor(y_val),
            torch.as_tensor(g_val),
            criterion,
            per_term=True,
            by_group=True,
            value_data=value_data,
            logits=(fitted_logits[1], fitted_logits[0]) if known else None,
        )
        if step == 0:
            damping = solver.resolve_damping(
                problem, convex=adapter.convex, penalised=adapter.penalised
            )
        curvature = solver.curvature(problem, damping)
        right_hand_sides = term_gradients
        if rule.needs_utility:  # the validation loss's gradient, solved with the terms
            loss_gradient = validation_loss_gradient(
                adapter.logit_fn, theta, X_val_t, torch.as_tensor(y_val)
            )
            right_hand_sides = torch.cat([term_gradients, loss_gradient[None, :]])
        # one solve per constraint term; I_n on the gap is the sum over its terms
        solutions = curvature.solve(right_hand_sides.T)  # (D, T): H⁻¹ g_t
        term_solutions = solutions[:, : len(term_gradients)]
        term_influences = problem.keep(-problem.gradient_products(term_solutions))
        influences = problem.keep(term_influences[:, gap_terms].sum(1))
        if step == 0:
            first_influences = problem.host(influences)
            settings.log(f"influences of {problem.n_samples} points, D={problem.n_params}", start)
        if rule.linear:
            constrained = (True,)
            if step == 0 and lambdas is None and not custom and len(gap_terms) < len(term_values):
                # several groups: the gap's own direction competes with the constraints'
                constrained = (True, False)
            lines = _path.linear_path(
                problem,
                curvature,
                term_influences,
                term_values,
                term_gradients,
                term_solutions,
                rule.name,
                lambdas,
                features=features,
                epsilon=getattr(rule, "epsilon", 1.0),
                per_term=lambdas is None,
                update=update,
                gap_terms=gap_terms,
                constrained=constrained,
            )
            segments = [
                ({"lambda_step": lams, "lambda": lams, **evaluate(seg_thetas)}, a, lams, seg_thetas)
                for lams, seg_thetas, a in lines
            ]
            segment, a, lams, seg_thetas = segments[_preferred(segments, select)]
            directions.append(a)
        elif rule.needs_utility:
            utility = -problem.gradient_products(solutions[:, -1]).cpu().numpy()
            lams, seg_thetas, weight_columns = utility_path(
                problem, curvature, first_influences, utility, lambdas
            )
            segment = {"lambda_step": lams, **evaluate(seg_thetas)}
        else:
            lams, n_changed, seg_thetas = _path.discrete_path(
                problem, curvature, influences, rule.name, lambdas
            )
            segment = {"lambda_step": lams, "n_changed": n_changed, **evaluate(seg_thetas)}
        _path.check_finite(lams, seg_thetas, directions[-1] if rule.linear else None)
        segment["step"] = np.full(len(lams), step)
        offset = 0.0 if path is None else float(path["lambda"][-1])
        segment["lambda"] = lams + offset
        if path is None:
            path, thetas = segment, seg_thetas
        else:  # the segment starts at the last point of the path
            path = {k: np.concatenate([path[k], segment[k][1:]]) for k in path}
            thetas = torch.cat([thetas, seg_thetas[1:]])
        if step + 1 == n_steps:
            break
        index = len(path["lambda"]) - 1 if custom else select(path)
        if path["step"][index] != step or path["lambda_step"][index] == 0:
            break
        # continue from the selected point: cut the path there
        path = {k: v[: index + 1] for k, v in path.items()}
        thetas = thetas[: index + 1]
        ends.append(float(path["lambda_step"][index]))
        theta = thetas[index]

    if rule.linear and lambdas is None and not custom:
        path, thetas = refine(path, thetas, select(path), evaluate)
    settings.log(f"λ path of {len(path['lambda'])} points in {len(directions) or 1} step(s)", start)
    lambda_path = _path.LambdaPath(
        path,
        thetas.detach(),
        rule=rule.name,
        influences=first_influences,
        directions=directions,
        ends=ends,
        weight_columns=weight_columns,
    )
    n_passes = sum(p.n_passes for p in problems) if on_dask else None
    return InfluenceResult(adapter, lambda_path, damping, update, n_passes)


def _preferred(segments, select):
    """Which of the candidate segments ``(columns, a, ...)`` of a first step the
    selection prefers.

    Each is selected on its own; then the selection compares the selected
    points with the unedited model, each point's λ replaced by the size of its
    weight change ``‖λ a‖`` (the candidates' own λ are not on one scale).
    """
    if len(segments) == 1:
        return 0
    chosen = [(columns, a, select(columns)) for columns, a, *_ in segments]
    first = segments[0][0]
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
            stacklevel=6,
        )
    return val_accuracy


def _simjack_features(rule, adapter, X_train):
    transformer = rule.features
    if transformer is None:
        features = adapter.features(fit_inputs(adapter.model, X_train)[0])
        return features.double().cpu().numpy()
    if callable(transformer) and not hasattr(transformer, "transform"):
        return np.asarray(transformer(X_train), dtype=float)
    try:
        return np.asarray(transformer.transform(X_train), dtype=float)
    except Exception:  # unfitted transformer: fit a clone on the training rows
        return np.asarray(clone(transformer).fit_transform(X_train), dtype=float)


def check_dask_rule(rule):
    """A clear error for a rule that does not run on Dask inputs."""
    if rule.name in ("simjack", "utility_constrained"):
        raise ValueError(NOT_ON_DASK.format(what=f"weighting={rule.name!r}"))


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
    if is_dask_collection(head):
        head = head.compute()
    try:
        adapter.decision_function(head)
    except ModuleOutputError:
        raise
    except (RuntimeError, ValueError) as exc:
        detail = f"X has {X.shape[1]} features and a forward pass fails ({exc})"
        raise ValueError(FEATURE_MISMATCH.format(detail=detail)) from exc
