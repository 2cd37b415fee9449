"""The base class of the two estimators: ``fit`` validates (one value,
:class:`~skfair_ij._fit_data.FitData`), trains the base model, lets the
subclass compute (``_fit``: an edit or a refit, returning an
:class:`~skfair_ij._outcome.Outcome`) and sets every fitted attribute in one
place (:meth:`BaseFairInfluence._set_fitted`)."""

import time
import warnings
from functools import partial
from numbers import Integral, Real

import numpy as np
from sklearn.base import BaseEstimator, ClassifierMixin, MetaEstimatorMixin, _fit_context
from sklearn.linear_model import LogisticRegression
from sklearn.utils import check_random_state
from sklearn.utils._param_validation import Interval, StrOptions
from sklearn.utils.validation import check_is_fitted

from ._fit_data import InputSpec, SensitiveColumn, encode_labels, unwrap, validate_fit
from ._outcome import PredictInputs, predict_adapter, train_model
from .adapters import get_adapter, is_supported, kind
from .backends import backend_of
from .influence._solvers import SOLVERS, Solver, check_solver
from .metrics._criteria import CRITERIA, FAIRNESS_CRITERIA, FairnessCriterion, check_criterion
from .metrics._validation import check_sensitive_features
from .path import (
    SELECTION_RULES,
    SELECTIONS,
    Selection,
    Settings,
    check_lambdas,
    check_selection,
    score_points,
)
from .weighting import WEIGHTING_RULES, WeightingRule, check_rule
from .weighting._rules import RULES

PLAIN_MODULE = (
    "A plain torch.nn.Module cannot be trained by this estimator; train it first and "
    "pass prefit=True (or a FrozenEstimator), or wrap it in a skorch net."
)


class FairnessWarning(UserWarning):
    """A fit that leaves the model unedited, or cannot reach the stated target.

    The reason is also recorded in the estimator's ``fit_status_``.
    """


class BaseFairInfluence(ClassifierMixin, MetaEstimatorMixin, BaseEstimator):
    """Base class of :class:`FairIJClassifier` and :class:`FairReweighter`.

    The public :meth:`fit` validates the parameters and the data, routes the
    sensitive features, splits off validation data and trains the base model;
    subclasses implement ``_fit(model, model_spec, data, settings, train)``
    (what differs: an edit or a refit; it returns an ``Outcome`` and sets no
    attribute) and ``_positive_proba(X)``.
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
        validation = (X_val, y_val, sensitive_features_val)
        spec = self._input_spec(prefit, split_seed)
        data = validate_fit(spec, X, y, sensitive_features, sample_weight, validation)
        split = data.split
        train = partial(train_model, classes=data.classes, seed=torch_seed)
        model = train(model_spec, prefit, split.X_train, split.y_train, split.w_train)
        outcome = self._fit(model, model_spec, data, settings, train)
        self._set_fitted(spec, data, settings, model, outcome, seed=torch_seed)
        return self

    # ------------------------------------------------------------------ hooks
    def _influence_model(self):
        """The (unfitted or pre-trained) model whose influences are computed."""
        return self.estimator

    def _fit(self, model, model_spec, data, settings, train):  # pragma: no cover - abstract
        raise NotImplementedError

    def _positive_proba(self, X):  # pragma: no cover - abstract
        raise NotImplementedError

    def _other_models(self):
        """Models besides the estimator's final step that see the features."""
        return []

    # ------------------------------------------------------------------ options
    def _settings(self):
        """The options as validated objects (strings resolved)."""
        rule = check_rule(self.weighting)
        if rule.lambdas is not None:
            check_lambdas(rule.lambdas)  # a user grid: fail before training
        return Settings(
            check_criterion(self.fairness),
            rule,
            check_solver(self.solver),
            check_selection(self.selection),
            dict(getattr(self, "adapter_kwargs", None) or {}),
            self._log,
        )

    def _input_spec(self, prefit, seed):
        preprocessing, final_name = unwrap(self.estimator)[:2]
        return InputSpec(
            self,
            SensitiveColumn(self.sensitive_column, bool(self.drop_sensitive)),
            preprocessing,
            final_name,
            self._sparse_format(),
            self.validation_fraction,
            prefit,
            seed,
        )

    def _sparse_format(self):
        """``"csr"`` when the models take sparse inputs as they are (linear
        models), else False (sparse inputs are then made dense)."""
        estimator = LogisticRegression() if self.estimator is None else self.estimator
        models = [unwrap(estimator)[2], *self._other_models()]
        return "csr" if all(kind(m).accepts_sparse for m in models) else False

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

    # ------------------------------------------------------------------ fitted
    def _set_fitted(self, spec, data, settings, initial, outcome, *, seed):
        """Every fitted attribute of a fit, from its values (``seed``: of the
        randomised predictions, as of torch, from ``random_state``)."""
        self.criterion_, self.weighting_rule_ = settings.criterion, settings.rule
        self.solver_, self.selection_ = settings.solver, settings.selection
        self.classes_, self.groups_ = data.classes, data.groups
        for name, value in (
            ("n_features_in_", data.n_features_in),  # (None: X has no columns, e.g. text)
            ("feature_names_in_", data.feature_names_in),
        ):
            if value is not None:
                setattr(self, name, value)
            elif hasattr(self, name):
                delattr(self, name)
        self.preprocessor_ = data.preprocessor
        self.train_indices_ = data.split.train_indices
        self._inputs = PredictInputs(
            spec.column, data.preprocessor, spec.final_name, spec.sparse_format
        )
        self.final_estimator_ = outcome.model
        self.estimator_ = self._inputs.facing_user(outcome.model, data.classes)
        self.initial_estimator_ = self._inputs.facing_user(initial, data.classes)
        self.sample_weight_ = outcome.weights
        self.lambda_ = outcome.lambda_
        result, y = outcome.result, data.split.y_train
        path = None if result is None else result.path
        self.path_, self.best_index_ = path, outcome.index
        self.influences_ = np.full(y.shape, np.nan, like=y) if path is None else path.influences
        self.path_thetas_ = None if path is None else path.thetas.cpu()
        self.damping_ = None if result is None else result.damping
        self.update_ = None if result is None else result.update
        self.n_passes_ = None if result is None else result.n_passes
        self.fit_status_ = outcome.status
        self._predict_adapter = predict_adapter(outcome.model, settings.adapter_kwargs)
        self._set_mixture(outcome.mixture, data, settings, seed)
        if outcome.message:
            warnings.warn(outcome.message, FairnessWarning, stacklevel=4)

    def _log(self, message, start):
        if self.verbose:
            print(f"[{type(self).__name__}] {message} ({time.perf_counter() - start:.1f}s)")

    def _set_mixture(self, mixture, data, settings, seed):
        """The randomised part of the predictions (``MaxGap(randomize=True)``)."""
        model, weight = (None, 0.0) if mixture is None else mixture
        self.mixture_weight_ = float(weight)
        self._mixture_model, self._predict_seed = model, seed
        self.mixture_estimator_ = None
        self._mixture_adapter = None
        if model is not None:
            self.mixture_estimator_ = self._inputs.facing_user(model, data.classes)
            self._mixture_adapter = predict_adapter(model, settings.adapter_kwargs)

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
        true_pos = encode_labels(y, self.classes_, "y") == 1
        codes, _ = check_sensitive_features(sensitive_features, len(true_pos))
        model, thetas = self.initial_estimator_, self.path_thetas_
        inputs = (self._model_inputs(X), true_pos, codes, self.criterion_)
        return score_points(model, thetas, *inputs, getattr(self, "adapter_kwargs", None) or {})

    def _model_inputs(self, X):
        """X as the model sees it at predict time (validated, sensitive column
        dropped, preprocessed)."""
        check_is_fitted(self)
        return self._inputs.transform(self, X)

    def predict_proba(self, X):
        """Class probabilities, shape (n_samples, 2), from X alone (a lazy array
        of the same backend for X held by a cluster backend)."""
        backend = backend_of(X)
        if backend.distributed:
            return backend.blockwise(X, self.predict_proba, width=2)
        p = self._positive_proba(X)
        return np.column_stack([1 - p, p])

    def predict_log_proba(self, X):
        """Logarithm of :meth:`predict_proba`."""
        with np.errstate(divide="ignore"):
            return np.log(self.predict_proba(X))

    def decision_function(self, X):
        """Logit of the positive class."""
        backend = backend_of(X)
        if backend.distributed:
            return backend.blockwise(X, self.decision_function)
        p = np.clip(self._positive_proba(X), 1e-300, 1 - 1e-16)
        return np.log(p) - np.log1p(-p)

    def predict(self, X):
        """Predicted labels (from X alone)."""
        backend = backend_of(X)
        if backend.distributed:
            return backend.blockwise(X, self.predict, dtype=self.classes_.dtype)
        positive = self._positive_proba(X) > 0.5
        return self.classes_[positive.astype(int)]

    def __sklearn_tags__(self):
        tags = super().__sklearn_tags__()
        tags.classifier_tags.multi_class = False
        tags.classifier_tags.poor_score = True
        tags.non_deterministic = False
        tags.input_tags.sparse = bool(self._sparse_format())
        return tags
