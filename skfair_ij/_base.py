"""Validation, splitting and influence computation shared by the two estimators."""

import copy
import numbers
import time
import warnings
from typing import NamedTuple

import numpy as np
import torch
from sklearn.base import clone
from sklearn.linear_model import LogisticRegression
from sklearn.pipeline import Pipeline
from sklearn.preprocessing import FunctionTransformer, LabelEncoder
from sklearn.utils import _safe_indexing, check_random_state
from sklearn.utils.multiclass import type_of_target
from sklearn.utils.validation import (
    _check_sample_weight,
    check_consistent_length,
    check_is_fitted,
    column_or_1d,
    validate_data,
)

from . import _path
from ._split import (
    PREFIT_NEEDS_VALIDATION,
    SPLIT_TOO_SMALL,
    Split,
    codes_of,
    held_out_split,
)
from .adapters import fit_inputs, fit_weighted, get_adapter, is_supported, kind
from .influence import (
    CURVATURE_METHODS,
    CURVATURE_PRODUCTS,
    FAIRNESS_CRITERIA,
    Curvature,
    fairness_value_and_gradient,
)
from .metrics._validation import MISSING_SENSITIVE, check_sensitive_features
from .weighting import WEIGHTING_RULES

NOT_BINARY_TARGET = (
    "Only binary classification is supported: {name} needs two classes in y, which is "
    "{target_type} with {n_classes} classes."
)
ONE_CLASS = "{name} needs samples of 2 classes in y; got only class {cls!r}."
BAD_OPTION = "{param} must be one of {options}, got {value!r}."
OVERFIT_WARNING = (
    "gap_data='pooled' measures the gaps on the training rows too, but the model's "
    "training accuracy ({train:.3f}) exceeds its validation accuracy ({val:.3f}) by "
    "{diff:.3f}: its training gaps are likely biased. Use gap_data='validation'."
)
OVERFIT_MARGIN = 0.05
VALIDATION_INCOMPLETE = (
    "Validation data need X_val, y_val and sensitive_features_val together; got only {given}."
)
CONTINUOUS_GROUPS = (
    "sensitive_features looks continuous: {n_groups} distinct values among {n} rows. "
    "A fairness gap compares groups; bin the attribute first (e.g. pandas.cut)."
)
FEATURE_MISMATCH = (
    "The model does not accept X: {detail}. A pre-trained model must be trained on the "
    "same columns as X (without the sensitive column when drop_sensitive=True)."
)
NO_CUDA = "device={device!r} was requested but torch.cuda.is_available() is False."
NOT_MEASURABLE = "The model was left unedited: {reason}."
# damping="auto": nets are damped by this multiple of the mean eigenvalue tr(H)/D of
# their Gauss-Newton matrix, unpenalised convex models by a tiny one (conditioning only)
NET_DAMPING = 25.0
CONVEX_DAMPING = 1e-6


class FairnessWarning(UserWarning):
    """A fit that leaves the model unedited, or cannot reach the stated target.

    The reason is also recorded in the estimator's ``fit_status_``.
    """


class InfluencePath(NamedTuple):
    """What :meth:`FairInfluenceMixin._influence_path` computes."""

    adapter: object
    influences: np.ndarray  # at the fitted parameters
    path: dict
    thetas: torch.Tensor  # one parameter vector per path point
    weights_at: object  # index -> sample weights of that path point
    damping: float  # the damping used (resolved from "auto")
    update: str  # the update used (resolved from "auto")


class FairInfluenceMixin:
    """Shared machinery: input checks, the validation split and the influences."""

    __metadata_request__fit = {"sensitive_features": True}

    # ------------------------------------------------------------------ checks
    def _check_options(self):
        for param, options in (
            ("fairness", FAIRNESS_CRITERIA),
            ("weighting", WEIGHTING_RULES),
            ("hessian", CURVATURE_METHODS),
            ("curvature", CURVATURE_PRODUCTS),
            ("update", _path.UPDATES),
            ("gap_data", _path.GAP_DATA),
        ):
            value = getattr(self, param)
            if value not in options:
                raise ValueError(BAD_OPTION.format(param=param, options=options, value=value))
        if not (callable(self.selection) or self.selection in _path.SELECTION_RULES):
            raise ValueError(
                BAD_OPTION.format(
                    param="selection", options=_path.SELECTION_RULES, value=self.selection
                )
            )
        if self.update == "fisher" and self.weighting != "ijack":
            raise ValueError(
                f"update='fisher' applies to weighting='ijack' only, got "
                f"weighting={self.weighting!r}; use update='jackknife'."
            )
        if not 0 < self.validation_fraction < 1:
            raise ValueError(
                f"validation_fraction must lie in (0, 1), got {self.validation_fraction}."
            )
        if not (isinstance(self.tolerance, numbers.Real) and self.tolerance >= 0):
            raise ValueError(f"tolerance must be a number >= 0, got {self.tolerance!r}.")
        if self.max_gap is not None and not (
            isinstance(self.max_gap, numbers.Real) and self.max_gap >= 0
        ):
            raise ValueError(f"max_gap must be None or a number >= 0, got {self.max_gap!r}.")
        if not (
            self.damping == "auto" or (isinstance(self.damping, numbers.Real) and self.damping >= 0)
        ):
            raise ValueError(f"damping must be 'auto' or a number >= 0, got {self.damping!r}.")
        if self.memory_budget is not None and not (
            isinstance(self.memory_budget, numbers.Real) and self.memory_budget > 0
        ):
            raise ValueError(
                f"memory_budget must be None or a positive number of bytes, got "
                f"{self.memory_budget!r}."
            )
        device = torch.device(self.device)
        if device.type == "cuda" and not torch.cuda.is_available():
            raise ValueError(NO_CUDA.format(device=self.device))
        return _path.check_lambdas(self.lambdas)

    def _seeds(self):
        """Seeds of the validation split and of torch (a net's initialisation and
        shuffling), both from ``random_state``; None leaves them random."""
        state = self.random_state
        if state is None:
            return None, None
        if isinstance(state, numbers.Integral):
            return int(state), int(state)
        rng = check_random_state(state)
        return int(rng.randint(2**31 - 1)), int(rng.randint(2**31 - 1))

    def _base_estimator(self, estimator=None):
        estimator = self.estimator if estimator is None else estimator
        _, _, estimator, frozen = unwrap(LogisticRegression() if estimator is None else estimator)
        prefit = self.prefit or frozen
        if not is_supported(estimator):
            get_adapter(estimator)  # raises the TypeError naming the supported types
        if not kind(estimator).trainable and not prefit:
            raise ValueError(
                "A plain torch.nn.Module cannot be trained by this estimator; train it "
                "first and pass prefit=True, or wrap it in a skorch net."
            )
        return estimator, prefit

    def _split_sensitive(self, X, sensitive_features, *, reset):
        """Validate X and take out the sensitive features.

        A column *name* (DataFrame X) is read, and dropped if asked, before the
        numeric validation; a column *position* or a callable acts on the
        validated array. Returns ``(X_model, X_checked, s)``: the model's inputs,
        the validated X, and the groups (None when neither source gives them).
        """
        column = self.sensitive_column
        s = sensitive_features
        by_name = isinstance(column, str)
        if by_name:
            if not hasattr(X, "columns") or column not in X.columns:
                raise ValueError(
                    f"sensitive_column={column!r} names no column of X; X must be a "
                    "DataFrame with that column."
                )
            if s is None:
                s = X[column]
            if self.drop_sensitive:
                X = X.drop(columns=[column])
        if self._pipeline_parts()[0] is not None:  # raw columns: the pipeline encodes them
            X = validate_data(self, X, skip_check_array=True, reset=reset)
        else:
            X = validate_data(self, X, dtype=np.float64, reset=reset, ensure_min_samples=2)
        X_model = X
        if column is not None and not by_name:
            if callable(column):
                s = column(X) if s is None else s
            else:
                s = _safe_indexing(X, column, axis=1) if s is None else s
                if self.drop_sensitive:
                    if not isinstance(X, np.ndarray):
                        raise ValueError(
                            "drop_sensitive with a column position needs array X; name the "
                            "column of a DataFrame instead."
                        )
                    X_model = np.delete(X, column, axis=1)
        return X_model, X, s

    def _pipeline_parts(self):
        """``(preprocessing, name of the final step)`` when the estimator is a
        Pipeline (the influences are those of its final step), else ``(None, None)``."""
        return unwrap(self.estimator)[:2]

    def _encode_labels(self, y, name):
        """Codes 0/1 of labels seen in fit (``classes_``); unseen ones are an error."""
        y = np.asarray(y).reshape(-1)
        unknown = set(np.unique(y)) - set(self.classes_)
        if unknown:
            raise ValueError(f"{name} holds labels {sorted(unknown)} not seen in y.")
        return np.searchsorted(self.classes_, y)

    def _transform_split(self, split, prefit):
        """Fit the pipeline's preprocessing on the training rows (or take it as
        fitted) and give the final step its features; sets ``preprocessor_``."""
        prep, self._final_name = self._pipeline_parts()
        self.preprocessor_ = None
        if prep is None:
            return split
        if not prefit:
            prep = clone(prep).fit(split.X_train, split.y_train)
        self.preprocessor_ = prep
        return split._replace(
            X_train=_dense(prep.transform(split.X_train)), X_val=_dense(prep.transform(split.X_val))
        )

    def _wrap_pipelines(self):
        """``final_estimator_``, and ``estimator_``/``initial_estimator_`` as
        Pipelines of the user's steps when the estimator is one."""
        self.final_estimator_ = self.estimator_
        if getattr(self, "preprocessor_", None) is None:
            return
        self.estimator_ = self._as_pipeline(self.estimator_)
        self.initial_estimator_ = self._as_pipeline(self.initial_estimator_)

    def _as_pipeline(self, model):
        # the final step was fitted on dense float features (float32 for nets)
        cast = _as_float32 if kind(model).learns_codes else _dense
        steps = [*self.preprocessor_.steps, ("as_fitted", FunctionTransformer(cast))]
        return Pipeline([*steps, (self._final_name, model)])

    def _model_inputs(self, X):
        """X as the model sees it at predict time (validated, sensitive column dropped)."""
        check_is_fitted(self)
        column = self.sensitive_column
        if (
            isinstance(column, str)
            and self.drop_sensitive
            and hasattr(X, "columns")
            and column in X.columns
        ):  # X with or without the dropped column
            X = X.drop(columns=[column])
        if getattr(self, "preprocessor_", None) is not None:
            X = validate_data(self, X, skip_check_array=True, reset=False)
            return _dense(self.preprocessor_.transform(X))
        X = validate_data(self, X, dtype=np.float64, reset=False)
        if (
            column is not None
            and not isinstance(column, str)
            and not callable(column)
            and (self.drop_sensitive)
        ):
            X = np.delete(X, column, axis=1)
        return X

    def _validate_fit_data(self, X, y, sensitive_features, sample_weight=None):
        """Validated model inputs, encoded labels, group codes and sample weights.

        Returns ``(X_model, y, groups, sample_weight)``; sets ``classes_`` and
        ``groups_`` (the group labels, in code order).
        """
        name = type(self).__name__
        if y is None:
            raise ValueError(f"{name} requires y to be passed, but the target y is None.")
        X_model, X, s = self._split_sensitive(X, sensitive_features, reset=True)
        y = column_or_1d(y, warn=True)
        check_consistent_length(X, y)
        classes = np.unique(y)
        if len(classes) == 1:
            only = classes[0].item() if isinstance(classes[0], np.generic) else classes[0]
            raise ValueError(ONE_CLASS.format(name=name, cls=only))
        target_type = type_of_target(y, input_name="y", raise_unknown=True)
        if target_type != "binary":
            raise ValueError(
                NOT_BINARY_TARGET.format(name=name, target_type=target_type, n_classes=len(classes))
            )
        if s is None:
            raise ValueError(MISSING_SENSITIVE[:-1] + ", or set sensitive_column.")
        encoder = LabelEncoder().fit(y)
        self.classes_ = encoder.classes_
        groups, names = check_sensitive_features(s, len(X))
        if len(names) > max(2, len(X) // 2):
            raise ValueError(CONTINUOUS_GROUPS.format(n_groups=len(names), n=len(X)))
        self.groups_ = np.asarray(names, dtype=object)
        if sample_weight is not None:
            sample_weight = _check_sample_weight(
                sample_weight, X, dtype=np.float64, ensure_non_negative=True
            )
            if not sample_weight.any():
                raise ValueError("sample_weight is zero for every row.")
        return X_model, encoder.transform(y), groups, sample_weight

    def _validation_split(
        self, X, y, groups, X_val, y_val, sensitive_features_val, *, prefit, sample_weight, seed
    ):
        """The :class:`Split` of a fit: the given validation data, or a held-out share.

        A held-out share is stratified by group and label and holds at least
        one row of every group × label cell that has two rows or more (and
        leaves one for training); a pre-trained model needs validation data.
        """
        given = [
            n
            for n, v in (
                ("X_val", X_val),
                ("y_val", y_val),
                ("sensitive_features_val", sensitive_features_val),
            )
            if v is not None
        ]
        if given and len(given) < 3:
            raise ValueError(VALIDATION_INCOMPLETE.format(given=", ".join(given)))
        if given:
            X_val, _, s_val = self._split_sensitive(X_val, sensitive_features_val, reset=False)
            y_val = self._encode_labels(y_val, "y_val")
            if len(y_val) != len(X_val):
                raise ValueError(f"X_val has {len(X_val)} rows but y_val has {len(y_val)}.")
            g_val = codes_of(s_val, len(X_val), self.groups_)
            return Split(np.arange(len(X)), X, y, groups, sample_weight, X_val, y_val, g_val)
        if prefit:
            raise ValueError(PREFIT_NEEDS_VALIDATION)
        sizes = np.bincount(groups, minlength=len(self.groups_))
        if sizes.min() < 2:
            problem = f"group {self.groups_[int(np.argmin(sizes))]!r} has a single row"
            raise ValueError(SPLIT_TOO_SMALL.format(problem=problem))
        train_idx, val_idx = held_out_split(groups, y, self.validation_fraction, seed)
        if len(np.unique(y[train_idx])) < 2:
            raise ValueError(SPLIT_TOO_SMALL.format(problem="a class has a single row"))
        return Split(
            train_idx,
            _safe_indexing(X, train_idx),
            y[train_idx],
            groups[train_idx],
            None if sample_weight is None else sample_weight[train_idx],
            _safe_indexing(X, val_idx),
            y[val_idx],
            groups[val_idx],
        )

    # ------------------------------------------------------------------ influence
    def _prepare_fit(self, X, y, sensitive_features, sample_weight, validation, estimator=None):
        """Everything ``fit`` checks before computing: returns ``(model_spec,
        prefit, split, seeds, lambdas)``."""
        lambdas = self._check_options()
        estimator, prefit = self._base_estimator(estimator)
        X, y, groups, sample_weight = self._validate_fit_data(
            X, y, sensitive_features, sample_weight
        )
        split_seed, torch_seed = self._seeds()
        split = self._validation_split(
            X, y, groups, *validation, prefit=prefit, sample_weight=sample_weight, seed=split_seed
        )
        split = self._transform_split(split, prefit)
        return estimator, prefit, split, torch_seed, lambdas

    def _leave_unedited(self, estimator, split, reason):
        """Fitted attributes of a fit that cannot measure the gap: the model as
        trained, unit weights, no path; warns and sets ``fit_status_``."""
        n = len(split.train_indices)
        self.estimator_ = estimator
        self.influences_ = np.full(n, np.nan)
        self.sample_weight_ = np.ones(n)
        self.lambda_ = 0.0
        self.path_ = None
        self.best_index_ = None
        self.path_thetas_ = None
        self.damping_ = self.update_ = None
        self._wrap_pipelines()
        self._record_outcome(None, None, reason)

    def _log(self, message, start):
        if self.verbose:
            print(f"[{type(self).__name__}] {message} ({time.perf_counter() - start:.1f}s)")

    def _fit_base(self, estimator, prefit, X_train, y_train, sample_weight=None, seed=None):
        """The trained model: a copy of a pre-trained one, or a clone fitted on the
        training rows (with torch seeded by ``seed`` for nets, its global state
        left as it was)."""
        if prefit:
            return copy.deepcopy(estimator)
        model = clone(estimator)
        # scikit-learn models learn the user's labels (their classes_ sort the same
        # way, so the positive class stays classes_[1]); nets learn the codes 0/1
        labels = y_train if kind(model).learns_codes else self.classes_[y_train]
        Xf, yf = fit_inputs(model, X_train, labels)
        with torch.random.fork_rng(devices=_cuda_devices()):
            if seed is not None:
                torch.manual_seed(seed)
            if sample_weight is None:
                return model.fit(Xf, yf)
            return fit_weighted(model, Xf, yf, sample_weight)

    def _gap_key(self, path):
        """The gap the selection compares: pooled when ``gap_data="pooled"``."""
        return "pooled_gap" if "pooled_gap" in path else "val_gap"

    def _select(self, path, *, warn=True):
        return _path.select_lambda(
            path,
            self.selection,
            self.tolerance,
            max_gap=self.max_gap,
            warn=warn,
            gap=self._gap_key(path),
        )

    def _record_outcome(self, path, index, reason=None):
        """Set ``fit_status_`` and warn unless the model was edited as asked."""
        if reason is not None:
            status, message = "gap_not_measurable", NOT_MEASURABLE.format(reason=reason)
        elif len(path["lambda"]) == 1:  # the user fixed λ: nothing was selected
            status, message = "fixed_lambda", ""
        else:
            status, message = _path.selection_outcome(
                path, index, self.tolerance, max_gap=self.max_gap, gap=self._gap_key(path)
            )
        self.fit_status_ = status
        if message:
            warnings.warn(message, FairnessWarning, stacklevel=3)

    def _unmeasurable_reason(self, split):
        """Why the validation data cannot measure the gap, or None."""
        return _path.measurable(
            self.fairness,
            split.y_val,
            split.g_val,
            self.groups_,
            self.classes_,
            _path.MIN_VALIDATION_CELL,
        )

    def _resolve_update(self, adapter):
        if self.update != "auto":
            return self.update
        return "jackknife" if adapter.convex or self.weighting != "ijack" else "fisher"

    def _resolve_damping(self, adapter, problem):
        """``damping="auto"``: none for a penalised convex model (its H is positive
        definite and the IJ is then exact to first order); a multiple of the mean
        curvature ``tr(H)/D`` otherwise (a trust region for nets, conditioning for
        unpenalised linear models)."""
        if self.damping != "auto":
            return float(self.damping)
        if adapter.convex:
            return 0.0 if adapter.penalised else CONVEX_DAMPING * problem.mean_curvature()
        return NET_DAMPING * problem.mean_curvature()

    def _influence_path(self, model, split, lambdas, sample_weight=None):
        """Influences of the training rows and the λ path of the weighting rule.

        For the linear rules with the adaptive grid, the path may continue in up
        to ``n_steps`` segments: when the selected point lies inside the current
        segment, the model is linearised again there (new fairness gradient,
        influences and direction) and a new segment starts from it. The gap of a
        criterion with several terms (equalized odds) has kinks where one term
        crosses zero; a new segment follows the gradient past them.

        With ``gap_data="pooled"``, the training rows join the validation rows in the gap
        terms' values and in the path's ``pooled_gap``; the fairness gradient
        and the accuracy stay on validation data.

        Returns
        -------
        InfluencePath
        """
        start = time.perf_counter()
        X_train, y_train, X_val, y_val, g_val = (
            split.X_train,
            split.y_train,
            split.X_val,
            split.y_val,
            split.g_val,
        )
        adapter = get_adapter(model, device=self.device, **(self.adapter_kwargs or {}))
        X_fit = fit_inputs(model, X_train)[0]
        _check_accepts(model, adapter, X_fit)
        X_val_t = adapter.to_tensor(fit_inputs(model, X_val)[0])
        update = self._resolve_update(adapter)
        budget = {} if self.memory_budget is None else {"memory_budget": self.memory_budget}
        linear = self.weighting in ("ijack", "simjack")
        features = self._simjack_features(adapter, X_train) if self.weighting == "simjack" else None
        n_steps = int(self.n_steps) if linear and lambdas is None else 1
        if n_steps < 1:
            raise ValueError(f"n_steps must be >= 1, got {self.n_steps}.")

        value_data, extra, min_accuracy = None, None, None
        if self.gap_data == "pooled":
            X_train_t = adapter.to_tensor(X_fit)
            value_data = (X_train_t, torch.as_tensor(y_train), torch.as_tensor(split.g_train))
            extra = (X_train_t, y_train, split.g_train)
            accuracy = self._check_overfit(
                adapter.positive, adapter.theta, X_train_t, y_train, X_val_t, y_val
            )
            if self.selection in ("one_se", "tolerance") or self.max_gap is not None:
                # pooled gaps of the candidates only
                min_accuracy = accuracy - self.tolerance - 1e-12

        def evaluate(lams, thetas):
            return _path.evaluate_path(
                adapter.positive,
                thetas,
                X_val_t,
                y_val,
                g_val,
                self.fairness,
                pooled=extra,
                min_accuracy=min_accuracy,
            )

        theta = adapter.theta.to(adapter.device)
        path, thetas, directions, ends = None, None, [], []
        for step in range(n_steps):
            problem = adapter.make_problem(
                X_fit, y_train, sample_weight=sample_weight, theta=theta, **budget
            )
            term_values, term_gradients = fairness_value_and_gradient(
                adapter.logit_fn,
                theta,
                X_val_t,
                torch.as_tensor(y_val),
                torch.as_tensor(g_val),
                self.fairness,
                per_term=True,
                value_data=value_data,
            )
            if step == 0:
                damping = self._resolve_damping(adapter, problem)
            curvature = Curvature(
                problem,
                self.hessian,
                product=self.curvature,
                damping=damping,
                tol=self.cg_tol,
                maxiter=self.cg_maxiter,
            )
            # one solve per gap term; I_n on the whole gap is the sum over terms
            term_solutions = curvature.solve(term_gradients.T)  # (D, T): H⁻¹ g_t
            term_influences = -problem.gradient_products(term_solutions)
            influences = term_influences.sum(1)
            if step == 0:
                first_influences = influences.cpu().numpy()
                first_value = float(term_values.sum())
                self._log(f"influences of {problem.n_samples} points, D={problem.n_params}", start)
            if linear:
                lams, seg_thetas, a = _path.linear_path(
                    problem,
                    curvature,
                    term_influences,
                    term_values,
                    term_gradients,
                    term_solutions,
                    self.weighting,
                    lambdas,
                    features=features,
                    epsilon=self.simjack_epsilon,
                    per_term=lambdas is None,
                    update=update,
                )
                directions.append(a)
                segment = {"lambda_step": lams}
            else:
                lams, n_changed, seg_thetas = _path.discrete_path(
                    problem, curvature, influences, self.weighting, lambdas
                )
                segment = {"lambda_step": lams, "n_changed": n_changed}
            segment.update(evaluate(lams, seg_thetas))
            segment["step"] = np.full(len(lams), step)
            offset = 0.0 if path is None else float(path["lambda"][-1])
            segment["lambda"] = lams + offset
            if path is None:
                path, thetas = segment, seg_thetas
            else:  # the segment starts at the last point of the path
                path = {k: np.concatenate([path[k], segment[k][1:]]) for k in path}
                thetas = torch.cat([thetas, seg_thetas[1:]])
            index = (
                self._select(path, warn=False)
                if not callable(self.selection)
                else len(path["lambda"]) - 1
            )
            if (
                step + 1 == n_steps
                or path["step"][index] != step
                or (path["lambda_step"][index] == 0)
            ):
                break
            # continue from the selected point: cut the path there
            path = {k: v[: index + 1] for k, v in path.items()}
            thetas = thetas[: index + 1]
            ends.append(float(path["lambda_step"][index]))
            theta = thetas[index]

        if linear and lambdas is None and not callable(self.selection):
            index = self._select(path, warn=False)
            path, thetas = self._refine(path, thetas, index, evaluate)
        path["val_surrogate_at_fit"] = first_value
        self._log(
            f"λ path of {len(path['lambda'])} points in {len(directions) or 1} step(s)", start
        )

        def weights_at(index):
            step, local = int(path["step"][index]), float(path["lambda_step"][index])
            if not linear:
                return _path.discrete_weights(
                    first_influences, self.weighting, path["n_changed"][index]
                )
            w = 1.0 - local * directions[step]
            for k in range(step):
                w = w - ends[k] * directions[k]
            return w

        return InfluencePath(adapter, first_influences, path, thetas, weights_at, damping, update)

    @staticmethod
    def _check_overfit(predict_positive, theta, X_train, y_train, X_val, y_val):
        """Warn when training gaps are likely biased by overfitting.

        Returns the validation accuracy of the unedited model (the reference of
        the accuracy tolerance).
        """
        accuracies = [
            float(np.mean(predict_positive(X, theta[None])[0] == (np.asarray(y) == 1)))
            for X, y in ((X_train, y_train), (X_val, y_val))
        ]
        if accuracies[0] - accuracies[1] > OVERFIT_MARGIN:
            warnings.warn(
                OVERFIT_WARNING.format(
                    train=accuracies[0], val=accuracies[1], diff=accuracies[0] - accuracies[1]
                ),
                UserWarning,
                stacklevel=4,
            )
        return accuracies[1]

    @staticmethod
    def _refine(path, thetas, index, evaluate):
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
            piece = evaluate(None, theta_ab)
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

    def _simjack_features(self, adapter, X_train):
        transformer = self.simjack_features
        if transformer is None:
            features = adapter.features(fit_inputs(adapter.model, X_train)[0])
            return features.double().cpu().numpy()
        if callable(transformer) and not hasattr(transformer, "transform"):
            return np.asarray(transformer(X_train), dtype=float)
        try:
            return np.asarray(transformer.transform(X_train), dtype=float)
        except Exception:  # unfitted transformer: fit a clone on the training rows
            return np.asarray(clone(transformer).fit_transform(X_train), dtype=float)


def _check_accepts(model, adapter, X):
    """A clear error when the model cannot take X (e.g. a pre-trained model
    trained on other columns)."""
    expected = getattr(model, "n_features_in_", None)
    if expected is not None and expected != X.shape[1]:
        raise ValueError(
            FEATURE_MISMATCH.format(detail=f"it expects {expected} features, X has {X.shape[1]}")
        )
    try:
        adapter.decision_function(X[:2])
    except (RuntimeError, ValueError) as exc:
        detail = f"X has {X.shape[1]} features and a forward pass fails ({exc})"
        raise ValueError(FEATURE_MISMATCH.format(detail=detail)) from exc


def unwrap(estimator):
    """``(preprocessing, final step name, final step, frozen)`` of an estimator: a
    ``FrozenEstimator`` is pre-trained, a Pipeline's influences are its final step's
    (``preprocessing`` and the name are None for a single model)."""
    from sklearn.frozen import FrozenEstimator

    frozen = isinstance(estimator, FrozenEstimator)
    if frozen:
        estimator = estimator.estimator
    if isinstance(estimator, Pipeline):
        name, final = estimator.steps[-1]
        prep = estimator[:-1] if len(estimator.steps) > 1 else None
        return prep, name if prep is not None else None, final, frozen
    return None, None, estimator, frozen


def _dense(X):
    """Features as a float64 array (sparse ones densified)."""
    if hasattr(X, "toarray"):
        X = X.toarray()
    return np.asarray(X, dtype=np.float64)


def _as_float32(X):
    return np.asarray(X.toarray() if hasattr(X, "toarray") else X, dtype=np.float32)


def _cuda_devices():
    return list(range(torch.cuda.device_count())) if torch.cuda.is_available() else []
