"""FairReweighter: influence-based sample weights, then a refit of the estimator."""

from numbers import Integral

import numpy as np
from sklearn.linear_model import LogisticRegression
from sklearn.utils._param_validation import Interval
from sklearn.utils.metaestimators import available_if

from ._base import BaseFairInfluence
from ._fit_data import unwrap
from ._outcome import Outcome, fit_status, unedited, unmeasurable_reason
from .adapters import fit_inputs, is_supported, kind
from .backends import backend_of
from .path import LambdaPath, evaluate_path, influence_path
from .weighting import check_rule

REFIT_FAILED = (
    "Refitting {name} with the fairness weights of the rule failed: {exc} (the weights "
    "are the rule's, not yours). Try a smaller edit: a selection with a tolerance, or a "
    "rule with smaller λ."
)
NO_SAMPLE_WEIGHT = (
    "{name}.fit does not accept sample_weight, which FairReweighter needs to refit "
    "with the influence-based weights. Use an estimator that accepts it (or "
    "FairIJClassifier, which edits the model without refitting)."
)


def _estimator_has(attr):
    def check(self):
        target = getattr(self, "estimator_", None) or self.estimator
        return target is None or hasattr(target, attr)

    return check


class FairReweighter(BaseFairInfluence):
    """Influence-based re-weighting of the training data, then a weighted refit.

    The pre-processing route (Richardson et al.; IFFair): train the estimator,
    compute each training point's influence on a validation fairness gap, turn
    the influences into ``sample_weight_`` with a rule of Ghosh et al. (λ chosen
    on validation data through the cheap IJ path), and refit a clone of the
    estimator with those weights (negative weights clipped at 0). With
    ``n_rounds > 1`` the loop train → influence → re-weight → train repeats,
    multiplying the weights, in the spirit of IFFair's dynamic re-weighting.

    The weights are used inside ``fit`` (a Pipeline cannot pass weights from one
    step to the next), exposed as ``sample_weight_`` to reuse with any other
    estimator, and, for the discrete rules, applied by :meth:`fit_resample`
    (drop the rows of weight 0, duplicate those of weight 2) so the reweighter
    can stand in an imbalanced-learn style resampling pipeline.

    Parameters
    ----------
    estimator : estimator, default=None
        The model to refit with the weights: any classifier whose ``fit``
        accepts ``sample_weight`` (skorch nets are refitted with a weighted
        sampler). None means ``LogisticRegression()``.
    influence_estimator : estimator, default=None
        The model whose influences define the weights, a type supported by
        :class:`FairIJClassifier`. None uses ``estimator`` itself when it has
        gradients, and a ``LogisticRegression`` on the same inputs otherwise
        (trees, boosting, kNN, SVC: said with ``verbose``, recorded in
        ``influence_estimator_``).
    n_rounds : int, default=1
        Rounds of re-weighting.
    refit_candidates : int, default=1
        How the λ of the (last) refit is chosen. 1: the λ selected on the IJ
        path, one refit. k > 1: refit at the IJ-selected λ times ``2**j`` for
        ``j = 1, 0, -1, ..., -(k-2)`` (k candidates) and at λ = 0, score each
        refit on the validation data, and select among them with ``selection``
        (k + 1 refits). Use it when the refitted model leaves
        the regime where the IJ is accurate (large drop-K edits of nets).
    fairness, weighting, solver, selection, validation_fraction, sensitive_column, \
drop_sensitive, random_state, verbose
        As in :class:`FairIJClassifier`. A pre-trained influence model is
        given as a ``FrozenEstimator`` (then ``fit`` needs validation data).

    Attributes
    ----------
    estimator_ : estimator
        The estimator refitted with ``sample_weight_``.
    initial_estimator_ : estimator
        The model trained without weights (the influence model).
    influence_estimator_ : estimator
        The (unfitted) model whose influences gave the weights: the proxy when
        ``estimator`` has no gradients.
    sample_weight_ : ndarray of shape (n_train,)
        Final weights of the rule for the training rows (``train_indices_``);
        the refit uses them times the ``sample_weight`` given to ``fit``.
    influences_ : ndarray of shape (n_train,)
        Influences of the last round.
    train_indices_ : ndarray of shape (n_train,) or None
        On inputs held by a cluster, a lazy array when a share was held
        out, None when validation data are given.
    n_passes_ : int or None
        Passes over the training rows of the last influence step on inputs
        held by a cluster (None in memory). The refits of a logistic
        regression there run as a weighted L-BFGS, one pass per evaluation.
    lambda_ : float
        λ of the last round.
    path_ : LambdaPath
        The IJ λ path of the last round.
    lambdas_ : list of float
        λ of every round.
    refit_path_ : LambdaPath or None
        With ``refit_candidates > 1``: the λ of every candidate refit with its
        validation accuracy and gaps (the keys of ``path_``) and, through
        ``refit_path_.weights(i)``, its weights; None otherwise.
    fit_status_, damping_, update_, groups_, path_thetas_, mixture_weight_
    mixture_estimator_
        As in :class:`FairIJClassifier` (``fit_status_`` of the IJ selection;
        with ``refit_candidates > 1``, of the refits).
    classes_, n_features_in_, feature_names_in_
        As in scikit-learn.

    See Also
    --------
    FairIJClassifier : the same weights applied by an IJ edit, without refitting.

    Examples
    --------
    >>> from sklearn.linear_model import LogisticRegression
    >>> from skfair_ij import FairReweighter
    >>> from skfair_ij.datasets import make_biased_classification
    >>> X, y, s = make_biased_classification(2000, 5, bias=2.0, random_state=0)
    >>> rw = FairReweighter(LogisticRegression(), random_state=0)
    >>> rw = rw.fit(X, y, sensitive_features=s)
    >>> rw.sample_weight_.shape
    (1400,)
    >>> bool(rw.sample_weight_.min() >= 0)
    True
    """

    _parameter_constraints = {
        **BaseFairInfluence._parameter_constraints,
        "influence_estimator": "no_validation",
        "n_rounds": [Interval(Integral, 1, None, closed="left")],
        "refit_candidates": [Interval(Integral, 1, None, closed="left")],
    }

    def __init__(
        self,
        estimator=None,
        *,
        influence_estimator=None,
        fairness="demographic_parity",
        weighting="ijack",
        solver="cg",
        selection="one_se",
        n_rounds=1,
        refit_candidates=1,
        validation_fraction=0.3,
        sensitive_column=None,
        drop_sensitive=False,
        random_state=None,
        verbose=0,
    ):
        self.estimator = estimator
        self.influence_estimator = influence_estimator
        self.fairness = fairness
        self.weighting = weighting
        self.solver = solver
        self.selection = selection
        self.n_rounds = n_rounds
        self.refit_candidates = refit_candidates
        self.validation_fraction = validation_fraction
        self.sensitive_column = sensitive_column
        self.drop_sensitive = drop_sensitive
        self.random_state = random_state
        self.verbose = verbose

    def _final(self):
        """The model refitted with the weights: the final step of a Pipeline; a
        frozen model is refitted."""
        return unwrap(LogisticRegression() if self.estimator is None else self.estimator)[2]

    def _other_models(self):
        # the influence model sees the same features as the refitted one
        if self.influence_estimator is None:
            return []
        return [unwrap(self.influence_estimator)[2]]

    def _influence_model(self):
        final = self._final()
        if not kind(final).accepts_weights(final):
            raise TypeError(NO_SAMPLE_WEIGHT.format(name=type(final).__name__))
        proxy = self.influence_estimator
        if proxy is None and not is_supported(final):
            # no gradients: a differentiable proxy on the same inputs gives the weights
            proxy = LogisticRegression()
            if self.verbose:
                print(
                    f"[{type(self).__name__}] {type(final).__name__} has no gradients: "
                    "influences from a LogisticRegression proxy"
                )
        return self.estimator if proxy is None else proxy

    def _fit(self, model, model_spec, data, settings, train):
        """Weights from the influences of the trained model, then refits."""
        if settings.selection.randomize:
            raise ValueError(
                "MaxGap(randomize=True) is available in FairIJClassifier (a mixture of two "
                "edits); FairReweighter predicts with one refit."
            )
        self.influence_estimator_ = model_spec
        refit = _Refit(train, data.split, self._final())
        reason = unmeasurable_reason(data, settings.criterion)
        if reason is not None:
            self.lambdas_, self.refit_path_ = [0.0], None
            y = data.split.y_train
            return unedited(refit(np.ones(y.shape, like=y)), data, reason)
        result, index, weights, lambdas = self._rounds(
            model, model_spec, data.split, settings, refit
        )
        path = result.path
        earlier_edits = any(lam > 0 for lam in lambdas)
        self.refit_path_ = None
        if self._refits_select(path, index, settings):
            refits = self._select_by_refits(refit, data.split, path, index, weights, settings)
            self.refit_path_, chosen, index, final, new_weights = refits
            status, message = fit_status(
                settings.selection, self.refit_path_, chosen, earlier_edits=earlier_edits
            )
        else:
            new_weights = _combined_weights(weights, path.weights, index)
            final = refit(new_weights)
            status, message = fit_status(
                settings.selection, path, index, earlier_edits=earlier_edits
            )
        self.lambdas_ = [*lambdas, float(path["lambda"][index])]
        return Outcome(final, new_weights, result, index, self.lambdas_[-1], status, message)

    def _rounds(self, model, model_spec, split, settings, refit):
        """The rounds before the last: each selects on its IJ path and refits
        the influence model with the combined weights. Returns the last
        round's result and selected index, the earlier rounds' weights and λ."""
        user_w = split.w_train
        weights, lambdas = np.ones(split.y_train.shape, like=split.y_train), []
        for round_ in range(int(self.n_rounds)):
            trained_with = weights if user_w is None else user_w * weights
            if round_ == 0 and user_w is None:
                trained_with = None
            result = influence_path(model, split, settings, sample_weight=trained_with)
            path = result.path
            index = settings.selection.select(path, gap=path.gap)
            if round_ + 1 < int(self.n_rounds):
                weights = _combined_weights(weights, path.weights, index)
                lambdas.append(float(path["lambda"][index]))
                model = refit(weights, model_spec)
        return result, index, weights, lambdas

    def _refits_select(self, path, index, settings):
        """Whether λ is chosen among refits (``refit_candidates > 1``)."""
        return (
            int(self.refit_candidates) > 1
            and path["lambda"][index] > 0
            and settings.selection.reads_path
        )

    def _select_by_refits(self, refit, split, path, index, weights, settings):
        """Refit at several λ of the IJ path and select among the refits.

        Returns the path of the refits (a :class:`LambdaPath` whose columns are
        the refits' validation scores), the selected refit's index in it and in
        ``path``, the refit and its weights.
        """
        lams = path["lambda"]
        k = int(self.refit_candidates)
        targets = lams[index] * 2.0 ** np.arange(1, -(k - 1), -1)
        candidates = [int(np.argmin(lams))]  # λ = 0: the reference accuracy
        for target in targets:
            nearest = int(np.argmin(np.abs(lams - target)))
            if nearest not in candidates:
                candidates.append(nearest)
        candidates.sort(key=lambda i: lams[i])
        models, candidate_weights = [], []
        for i in candidates:
            candidate_weights.append(_combined_weights(weights, path.weights, i))
            models.append(refit(candidate_weights[-1]))
            if self.verbose:
                print(f"[{type(self).__name__}] refit at λ={lams[i]:.3g}")
        X_val = fit_inputs(models[0], split.X_val)[0]

        def positive(X, models):
            return np.stack([np.asarray(m.predict_proba(X))[:, 1] > 0.5 for m in models])

        columns = {"lambda": lams[candidates]}
        columns.update(
            evaluate_path(positive, models, X_val, split.y_val, split.g_val, settings.criterion)
        )
        refit_path = LambdaPath(
            columns,
            None,
            rule=settings.rule,
            influences=path.influences,
            point_weights=candidate_weights,
        )
        chosen = settings.selection.select(refit_path)
        return refit_path, chosen, candidates[chosen], models[chosen], candidate_weights[chosen]

    def fit_resample(self, X, y, *, sensitive_features=None):
        """Fit, then return the training rows resampled by the discrete weights.

        Rows of weight 0 are dropped and rows of weight 2 repeated, so that an
        unweighted estimator trained on the result sees the re-weighted data.
        Only the rows used for training (``train_indices_``) are returned.

        Returns
        -------
        X_resampled : ndarray
        y_resampled : ndarray
        """
        rule = check_rule(self.weighting)
        rule.resample_counts(None)  # the rule can resample: fail before fitting
        self.fit(X, y, sensitive_features=sensitive_features)
        X_arr = self._model_inputs(X)[self.train_indices_]
        y_arr = np.asarray(y).reshape(-1)[self.train_indices_]
        repeats = rule.resample_counts(self.sample_weight_)
        rows = np.repeat(np.arange(len(repeats)), repeats)  # works for sparse X too
        return X_arr[rows], y_arr[rows]

    def _prepare(self, X):
        X = self._model_inputs(X)  # checks that the reweighter is fitted
        return fit_inputs(self.final_estimator_, X)[0]

    def predict(self, X):
        """Labels predicted by the refitted estimator."""
        backend = backend_of(X)
        if backend.distributed:
            return backend.blockwise(X, self.predict, dtype=self.classes_.dtype)
        X = self._prepare(X)
        predicted = np.asarray(self.final_estimator_.predict(X)).reshape(-1)
        if kind(self.final_estimator_).learns_codes:  # nets predict the codes 0/1
            return self.classes_[np.rint(predicted).astype(int)]
        return predicted

    @available_if(_estimator_has("predict_proba"))
    def predict_proba(self, X):
        """Class probabilities of the refitted estimator."""
        backend = backend_of(X)
        if backend.distributed:
            return backend.blockwise(X, self.predict_proba, width=2)
        X = self._prepare(X)
        return np.asarray(self.final_estimator_.predict_proba(X), dtype=np.float64)

    @available_if(_estimator_has("decision_function"))
    def decision_function(self, X):
        """Decision function of the refitted estimator."""
        backend = backend_of(X)
        if backend.distributed:
            return backend.blockwise(X, self.decision_function)
        X = self._prepare(X)
        return self.final_estimator_.decision_function(X)


class _Refit:
    """A refit of the estimator on the training rows with weights (times the
    user's); a failure names the rule's weights, not the user's."""

    def __init__(self, train, split, final):
        self.train, self.split, self.final = train, split, final

    def __call__(self, weights, estimator=None):
        estimator = self.final if estimator is None else estimator
        split, user_w = self.split, self.split.w_train
        total = weights if user_w is None else user_w * weights
        try:
            return self.train(estimator, False, split.X_train, split.y_train, total)
        except ValueError as exc:
            if user_w is not None:
                raise
            name = type(estimator).__name__
            raise ValueError(REFIT_FAILED.format(name=name, exc=exc)) from exc


def _combined_weights(weights, weights_at, index):
    """Weights of the earlier rounds times the rule's weights (clipped at 0) at
    path point ``index``."""
    return weights * np.clip(weights_at(index), 0, None)
