"""The base class of the two estimators: ``fit`` validates, routes and splits;
``_fit`` computes (an edit or a refit, in each estimator)."""

import contextlib
import copy
import threading
import time
import warnings
from numbers import Integral, Real

import numpy as np
import torch
from scipy.special import expit
from sklearn.base import BaseEstimator, ClassifierMixin, MetaEstimatorMixin, _fit_context, clone
from sklearn.linear_model import LogisticRegression
from sklearn.utils import check_random_state
from sklearn.utils._param_validation import Interval, StrOptions

from . import _engine
from ._dask_inputs import DaskInputsMixin, is_dask_input
from ._evaluate import score_points
from ._inputs import InputsMixin, unwrap
from ._path import MIN_VALIDATION_CELL, check_lambdas
from ._selection import SELECTION_RULES, SELECTIONS, UNEDITED, Selection, check_selection
from .adapters import (
    fit_inputs,
    fit_on_dask,
    fit_weighted,
    get_adapter,
    interrupts_reach_caller,
    is_supported,
    kind,
)
from .influence._dask import is_dask_collection
from .influence._solvers import SOLVERS, Solver, check_solver
from .metrics._criteria import CRITERIA, FAIRNESS_CRITERIA, FairnessCriterion, check_criterion
from .metrics._validation import check_sensitive_features
from .weighting import WEIGHTING_RULES, WeightingRule, check_rule
from .weighting._rules import RULES

_TORCH_TRAINING = threading.RLock()
NOT_MEASURABLE = "The model was left unedited: {reason}."
PLAIN_MODULE = (
    "A plain torch.nn.Module cannot be trained by this estimator; train it first and "
    "pass prefit=True (or a FrozenEstimator), or wrap it in a skorch net."
)


class FairnessWarning(UserWarning):
    """A fit that leaves the model unedited, or cannot reach the stated target.

    The reason is also recorded in the estimator's ``fit_status_``.
    """


class BaseFairInfluence(
    InputsMixin, DaskInputsMixin, ClassifierMixin, MetaEstimatorMixin, BaseEstimator
):
    """Base class of :class:`FairIJClassifier` and :class:`FairReweighter`.

    The public :meth:`fit` validates the parameters and the data, routes the
    sensitive features, splits off validation data and trains the base model;
    subclasses implement ``_fit(model, split, settings)`` (what differs: an
    edit or a refit) and ``_positive_proba(X)``.
    """

    __metadata_request__fit = {"sensitive_features": True}
    _parameter_constraints = {
        "estimator": "no_validation",
        "fairness": [StrOptions(set(FAIRNESS_CRITERIA)), FairnessCriterion],
        "weighting": [StrOptions(set(WEIGHTING_RULES)), WeightingRule],
        "solver": [StrOptions(set(SOLVERS)), Solver],
        "selection": [StrOptions(set(SELECTION_RULES)), Selection, callable],
        "validation_fraction": [Interval(Real, 0, 1, closed="neither")],
        "sensitive_column": [str, Integral, callable, None],
        "drop_sensitive": ["boolean"],
        "random_state": ["random_state"],
        "verbose": ["verbose"],
    }

    # the option parameters a name may stand for, with the registry of the names
    _OPTION_REGISTRIES = {
        "fairness": CRITERIA,
        "weighting": RULES,
        "solver": SOLVERS,
        "selection": SELECTIONS,
    }

    def set_params(self, **params):
        """Set the parameters of this estimator.

        A nested parameter of an option given by name, such as
        ``solver__damping`` while ``solver="cg"``, first turns the name into
        its object with default settings (``CG()``), so that searches over the
        options' settings work from the defaults.
        """
        for option, registry in self._OPTION_REGISTRIES.items():
            if not any(key.startswith(f"{option}__") for key in params):
                continue
            value = params.get(option, getattr(self, option, None))
            if isinstance(value, str) and value in registry:
                params[option] = registry[value]()
        return super().set_params(**params)

    @_fit_context(prefer_skip_nested_validation=False)
    def fit(
        self,
        X,
        y,
        *,
        sensitive_features=None,
        sample_weight=None,
        X_val=None,
        y_val=None,
        sensitive_features_val=None,
    ):
        """Train (or take) the base model, compute the influences and act on them.

        Parameters
        ----------
        X : array-like or DataFrame of shape (n_samples, n_features)
            Training inputs (numeric, or raw columns when the estimator is a
            Pipeline that encodes them).
        y : array-like of shape (n_samples,)
            Labels of two classes (any type: numbers, strings, bools).
        sensitive_features : array-like of shape (n_samples,) or (n_samples, k)
            Group of each sample (routed by metadata routing in pipelines and
            searches). Optional when ``sensitive_column`` is set.
        sample_weight : array-like of shape (n_samples,), default=None
            Weights of the training rows (e.g. survey weights): used to train
            the base model and in the training loss of the influences. A
            pre-trained model must have been trained with them. Requested
            through metadata routing (``set_fit_request(sample_weight=True)``).
        X_val, y_val, sensitive_features_val : array-like, default=None
            Validation data for the fairness gap and the choice of λ; when absent
            a stratified share ``validation_fraction`` of X is held out. Required
            with a pre-trained model, which has seen every row of X.

        Returns
        -------
        self : object
        """
        settings = self._settings()
        model_spec, prefit = self._base_estimator(self._influence_model())
        split_seed, torch_seed = self._seeds()
        if is_dask_input(X, y, sensitive_features, sample_weight):
            validation = (X_val, y_val, sensitive_features_val)
            split = self._dask_split(
                X, y, sensitive_features, sample_weight, validation, prefit, split_seed
            )
            self.preprocessor_ = None
        else:
            X, y, groups, sample_weight = self._validate_fit_data(
                X, y, sensitive_features, sample_weight
            )
            split = self._validation_split(
                X,
                y,
                groups,
                X_val,
                y_val,
                sensitive_features_val,
                prefit=prefit,
                sample_weight=sample_weight,
                seed=split_seed,
            )
            split = self._transform_split(split, prefit)
        self._torch_seed = torch_seed
        model = self._fit_base(model_spec, prefit, split.X_train, split.y_train, split.w_train)
        self.initial_estimator_ = model
        self.train_indices_ = split.train_indices
        self._fit(model, model_spec, split, settings)
        final = self.final_estimator_
        # a model without predict_proba predicts through its adapter, made once
        self._predict_adapter = (
            None if kind(final).native_predict else get_adapter(final, **settings.adapter_kwargs)
        )
        del self._torch_seed
        return self

    # ------------------------------------------------------------------ hooks
    def _influence_model(self):
        """The (unfitted or pre-trained) model whose influences are computed."""
        return self.estimator

    def _fit(self, model, model_spec, split, settings):  # pragma: no cover - abstract
        raise NotImplementedError

    def _positive_proba(self, X):  # pragma: no cover - abstract
        raise NotImplementedError

    # ------------------------------------------------------------------ options
    def _settings(self):
        """The options as validated objects (strings resolved)."""
        self.criterion_ = check_criterion(self.fairness)
        self.weighting_rule_ = check_rule(self.weighting)
        self.solver_ = check_solver(self.solver)
        self.selection_ = check_selection(self.selection)
        if self.weighting_rule_.lambdas is not None:
            check_lambdas(self.weighting_rule_.lambdas)  # a user grid: fail before training
        return _engine.Settings(
            self.criterion_,
            self.weighting_rule_,
            self.solver_,
            self.selection_,
            dict(getattr(self, "adapter_kwargs", None) or {}),
            self._log,
        )

    def _seeds(self):
        """Seeds of the validation split and of torch (a net's initialisation and
        shuffling), both from ``random_state``; None leaves them random."""
        state = self.random_state
        if state is None:
            return None, None
        if isinstance(state, Integral):
            return int(state), int(state)
        rng = check_random_state(state)
        return int(rng.randint(2**31 - 1)), int(rng.randint(2**31 - 1))

    def _base_estimator(self, estimator):
        _, _, estimator, frozen = unwrap(LogisticRegression() if estimator is None else estimator)
        prefit = bool(getattr(self, "prefit", False)) or frozen
        if not is_supported(estimator):
            get_adapter(estimator)  # raises the TypeError naming the supported types
        if not kind(estimator).trainable and not prefit:
            raise ValueError(PLAIN_MODULE)
        return estimator, prefit

    # ------------------------------------------------------------------ training
    def _fit_base(self, estimator, prefit, X_train, y_train, sample_weight=None):
        """The trained model: a copy of a pre-trained one, or a clone fitted on the
        training rows (with torch seeded from ``random_state`` for nets, its
        global state left as it was)."""
        if prefit:
            return copy.deepcopy(estimator)
        model = clone(estimator)
        if is_dask_collection(X_train):
            return fit_on_dask(model, X_train, y_train, sample_weight, self.classes_)
        # scikit-learn models learn the user's labels (their classes_ sort the same
        # way, so the positive class stays classes_[1]); nets learn the codes 0/1
        labels = y_train if kind(model).learns_codes else self.classes_[y_train]
        Xf, yf = fit_inputs(model, X_train, labels)
        seed = self._torch_seed
        # torch's random state is global: nets train one at a time in a process, so
        # that a seeded fit is the same in any thread and the state is restored
        lock = _TORCH_TRAINING if kind(model).learns_codes else contextlib.nullcontext()
        with lock, interrupts_reach_caller(), torch.random.fork_rng(devices=_cuda_devices()):
            if seed is not None:
                torch.manual_seed(seed)
            if sample_weight is None:
                return model.fit(Xf, yf)
            return fit_weighted(model, Xf, yf, sample_weight)

    # ------------------------------------------------------------------ outcome
    def _unmeasurable_reason(self, split):
        """Why the validation data cannot measure the gap, or None."""
        extra = None  # with pooled gaps, the training rows count too (in memory)
        if self.criterion_.gap_data == "pooled" and not is_dask_collection(split.y_train):
            extra = (split.y_train, split.g_train)
        return self.criterion_.unmeasurable(
            split.y_val, split.g_val, self.groups_, self.classes_, MIN_VALIDATION_CELL, extra=extra
        )

    def _select(self, path, *, warn=True):
        return self.selection_.select(path, gap=path.gap, warn=warn)

    def _set_path(self, result, index):
        """Fitted attributes of the selected path point."""
        path = result.path
        self.influences_ = path.influences
        self.lambda_ = float(path["lambda"][index])
        self.path_ = path
        self.best_index_ = index
        self.path_thetas_ = path.thetas.cpu()
        self.damping_, self.update_ = result.damping, result.update
        self.n_passes_ = result.n_passes

    def _leave_unedited(self, estimator, split, reason):
        """Fitted attributes of a fit that cannot measure the gap: the model as
        trained, unit weights, no path; warns and sets ``fit_status_``."""
        self.estimator_ = estimator
        self.influences_ = np.full(split.y_train.shape, np.nan, like=split.y_train)
        self.sample_weight_ = np.ones(split.y_train.shape, like=split.y_train)
        self.lambda_ = 0.0
        self.path_ = None
        self.best_index_ = None
        self.path_thetas_ = None
        self.damping_ = self.update_ = self.n_passes_ = None
        self._wrap_pipelines()
        self._record_outcome(None, None, reason)

    def _record_outcome(self, path, index, reason=None, *, earlier_edits=False):
        """Set ``fit_status_`` and warn unless the model was edited as asked.

        ``earlier_edits``: earlier rounds of a multi-round fit edited the
        model, so a last round that leaves it as it is still ends an edit (the
        status describes the whole fit)."""
        if reason is not None:
            status, message = "gap_not_measurable", NOT_MEASURABLE.format(reason=reason)
        elif len(path["lambda"]) == 1:  # the user fixed λ: nothing was selected
            status, message = "fixed_lambda", ""
        else:
            gap = "pooled_gap" if "pooled_gap" in path else "val_gap"
            status, message = self.selection_.outcome(path, index, gap=gap)
            if earlier_edits and status in UNEDITED:
                status, message = "edited", ""
        self.fit_status_ = status
        if message:
            warnings.warn(message, FairnessWarning, stacklevel=5)

    def _log(self, message, start):
        if self.verbose:
            print(f"[{type(self).__name__}] {message} ({time.perf_counter() - start:.1f}s)")

    # ------------------------------------------------------------------ predict
    def score_path(self, X, y, *, sensitive_features):
        """The fairness gap and the accuracy of every point of ``path_`` on
        held-out rows (for :class:`FairReweighter`, the IJ estimates of its
        refits).

        Parameters
        ----------
        X, y : array-like
            Held-out rows, as given to ``predict``, and their labels.
        sensitive_features : array-like of shape (n_samples,)

        Returns
        -------
        gap, accuracy : ndarray of shape (n_points,)
        """
        if getattr(self, "path_thetas_", None) is None:
            raise ValueError(
                f"{type(self).__name__} has no λ path (fit_status_ "
                f"{getattr(self, 'fit_status_', None)!r})."
            )
        if getattr(self, "n_rounds", 1) > 1:
            raise ValueError("Test curves need n_rounds=1 (the later rounds' models are not kept).")
        true_pos = self._encode_labels(y, "y") == 1
        codes, _ = check_sensitive_features(sensitive_features, len(true_pos))
        model, thetas = self.initial_estimator_, self.path_thetas_
        inputs = (self._model_inputs(X), true_pos, codes, self.criterion_)
        return score_points(model, thetas, *inputs, getattr(self, "adapter_kwargs", None) or {})

    def predict_proba(self, X):
        """Class probabilities, shape (n_samples, 2), from X alone (a dask array
        for Dask X)."""
        if is_dask_input(X):
            return self._dask_blockwise(X, self.predict_proba, width=2)
        p = self._positive_proba(X)
        return np.column_stack([1 - p, p])

    def predict_log_proba(self, X):
        """Logarithm of :meth:`predict_proba`."""
        with np.errstate(divide="ignore"):
            return np.log(self.predict_proba(X))

    def decision_function(self, X):
        """Logit of the positive class."""
        if is_dask_input(X):
            return self._dask_blockwise(X, self.decision_function)
        p = np.clip(self._positive_proba(X), 1e-300, 1 - 1e-16)
        return np.log(p) - np.log1p(-p)

    def predict(self, X):
        """Predicted labels (from X alone)."""
        if is_dask_input(X):
            return self._dask_blockwise(X, self.predict, dtype=self.classes_.dtype)
        positive = self._positive_proba(X) > 0.5
        return self.classes_[positive.astype(int)]

    def __sklearn_tags__(self):
        tags = super().__sklearn_tags__()
        tags.classifier_tags.multi_class = False
        tags.classifier_tags.poor_score = True
        tags.non_deterministic = False
        tags.input_tags.sparse = bool(self._sparse_format())
        return tags


def model_positive_proba(model, X, adapter=None):
    """P(positive) of a trained model on its final-step features (through its
    ``adapter`` when the model has no ``predict_proba``)."""
    if not kind(model).native_predict:
        return expit(adapter.decision_function(X))
    Xf, _ = fit_inputs(model, X)
    return np.asarray(model.predict_proba(Xf))[:, 1].astype(np.float64)


def _cuda_devices():
    return list(range(torch.cuda.device_count())) if torch.cuda.is_available() else []
