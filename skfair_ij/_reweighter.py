"""FairReweighter: influence-based sample weights, then a refit of the estimator."""

from functools import partial

import numpy as np
from sklearn.base import BaseEstimator, ClassifierMixin, MetaEstimatorMixin
from sklearn.linear_model import LogisticRegression
from sklearn.utils.metaestimators import available_if

from . import _path
from ._base import FairInfluenceMixin, unwrap
from .adapters import fit_inputs, is_supported, kind

NO_SAMPLE_WEIGHT = (
    "{name}.fit does not accept sample_weight, which FairReweighter needs to refit "
    "with the influence-based weights. Use an estimator that accepts it (or "
    "FairIJClassifier, which edits the model without refitting)."
)

NO_RESAMPLE = (
    "fit_resample needs a discrete rule ('fair_ij' or 'drop_upweight'); weighting="
    "{rule!r} gives real-valued weights: use sample_weight_ or the refitted model."
)


def _estimator_has(attr):
    def check(self):
        target = getattr(self, "estimator_", None) or self.estimator
        return target is None or hasattr(target, attr)

    return check


class FairReweighter(FairInfluenceMixin, ClassifierMixin, MetaEstimatorMixin, BaseEstimator):
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
        and ``tolerance`` (k + 1 refits). Use it when the refitted model leaves
        the regime where the IJ is accurate (large drop-K edits of nets).
    fairness, weighting, hessian, curvature, damping, lambdas, n_steps, update, \
gap_data, selection, tolerance, max_gap, validation_fraction, prefit, sensitive_column, \
drop_sensitive, simjack_features, simjack_epsilon, cg_tol, cg_maxiter, memory_budget, device, \
adapter_kwargs, random_state, verbose
        As in :class:`FairIJClassifier`.

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
    train_indices_ : ndarray of shape (n_train,)
    lambda_ : float
        λ of the last round.
    path_ : dict of ndarray
        The IJ λ path of the last round.
    lambdas_ : list of float
        λ of every round.
    refit_path_ : dict of ndarray or None
        With ``refit_candidates > 1``: the λ of every candidate refit with its
        validation accuracy and gaps (the keys of ``path_``); None otherwise.
    fit_status_, damping_, update_, groups_, path_thetas_
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

    def __init__(
        self,
        estimator=None,
        *,
        influence_estimator=None,
        n_rounds=1,
        refit_candidates=1,
        fairness="demographic_parity",
        weighting="ijack",
        hessian="cg",
        curvature="gauss_newton",
        damping="auto",
        lambdas=None,
        n_steps=1,
        update="auto",
        gap_data="pooled",
        selection="one_se",
        tolerance=0.02,
        max_gap=None,
        validation_fraction=0.3,
        prefit=False,
        sensitive_column=None,
        drop_sensitive=False,
        simjack_features=None,
        simjack_epsilon=1.0,
        cg_tol=1e-3,
        cg_maxiter=100,
        memory_budget=None,
        device="cpu",
        adapter_kwargs=None,
        random_state=None,
        verbose=0,
    ):
        self.estimator = estimator
        self.influence_estimator = influence_estimator
        self.n_rounds = n_rounds
        self.refit_candidates = refit_candidates
        self.fairness = fairness
        self.weighting = weighting
        self.hessian = hessian
        self.curvature = curvature
        self.damping = damping
        self.lambdas = lambdas
        self.n_steps = n_steps
        self.update = update
        self.gap_data = gap_data
        self.selection = selection
        self.tolerance = tolerance
        self.max_gap = max_gap
        self.validation_fraction = validation_fraction
        self.prefit = prefit
        self.sensitive_column = sensitive_column
        self.drop_sensitive = drop_sensitive
        self.simjack_features = simjack_features
        self.simjack_epsilon = simjack_epsilon
        self.cg_tol = cg_tol
        self.cg_maxiter = cg_maxiter
        self.memory_budget = memory_budget
        self.device = device
        self.adapter_kwargs = adapter_kwargs
        self.random_state = random_state
        self.verbose = verbose

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
        """Compute influence-based weights and refit the estimator with them.

        Parameters
        ----------
        X, y, sensitive_features, X_val, y_val, sensitive_features_val
            As in :meth:`FairIJClassifier.fit`.
        sample_weight : array-like of shape (n_samples,), default=None
            Weights of the training rows (e.g. survey weights): used in every
            fit and in the training loss of the influences; the refit uses
            ``sample_weight * sample_weight_``.

        Returns
        -------
        self : FairReweighter
        """
        if int(self.n_rounds) < 1:
            raise ValueError(f"n_rounds must be >= 1, got {self.n_rounds}.")
        n_candidates = int(self.refit_candidates)
        if n_candidates < 1:
            raise ValueError(f"refit_candidates must be >= 1, got {self.refit_candidates}.")
        # the weights go to the final step of a Pipeline; a frozen model is refitted
        final = unwrap(LogisticRegression() if self.estimator is None else self.estimator)[2]
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
        influence_model, prefit, split, seed, lambdas = self._prepare_fit(
            X,
            y,
            sensitive_features,
            sample_weight,
            (X_val, y_val, sensitive_features_val),
            estimator=proxy,
        )
        self.influence_estimator_ = influence_model
        X_tr, y_tr, user_w = split.X_train, split.y_train, split.w_train

        def refit(estimator, weights):
            total = weights if user_w is None else user_w * weights
            return self._fit_base(estimator, False, X_tr, y_tr, sample_weight=total, seed=seed)

        model = self._fit_base(influence_model, prefit, X_tr, y_tr, user_w, seed=seed)
        self.initial_estimator_ = model
        self.train_indices_ = split.train_indices
        self.refit_path_ = None
        reason = self._unmeasurable_reason(split)
        if reason is not None:
            self._leave_unedited(refit(final, np.ones(len(X_tr))), split, reason)
            self.lambdas_ = [0.0]
            return self
        weights, self.lambdas_ = np.ones(len(X_tr)), []
        for round_ in range(int(self.n_rounds)):
            trained_with = weights if user_w is None else user_w * weights
            if round_ == 0 and user_w is None:
                trained_with = None
            result = self._influence_path(model, split, lambdas, sample_weight=trained_with)
            path, weights_at = result.path, result.weights_at
            index = self._select(path)
            if round_ + 1 < int(self.n_rounds):
                weights = _combined_weights(weights, weights_at, index)
                self.lambdas_.append(float(path["lambda"][index]))
                model = refit(influence_model, weights)
        outcome = (path, index)
        if n_candidates > 1 and path["lambda"][index] > 0 and not callable(self.selection):
            index, self.estimator_, weights = self._select_by_refits(
                refit, final, split, path, index, partial(_combined_weights, weights, weights_at)
            )
            refit_lambdas = self.refit_path_["lambda"]
            outcome = (
                self.refit_path_,
                int(np.flatnonzero(refit_lambdas == path["lambda"][index])[0]),
            )
        else:
            weights = _combined_weights(weights, weights_at, index)
            self.estimator_ = refit(final, weights)
        self.lambdas_.append(float(path["lambda"][index]))
        self.sample_weight_ = weights
        self.influences_ = result.influences
        self.lambda_ = self.lambdas_[-1]
        self.path_ = path
        self.best_index_ = index
        self.path_thetas_ = result.thetas.detach().cpu()
        self.damping_, self.update_ = result.damping, result.update
        self._wrap_pipelines()
        self._record_outcome(*outcome)
        return self

    def _select_by_refits(self, refit, final, split, path, index, weights_of):
        """Refit at several λ of the IJ path and select among the refits.

        ``weights_of(i)`` gives the sample weights of path point i. Returns the
        index (into ``path``) of the selected λ, its refit and its weights.
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
            candidate_weights.append(weights_of(i))
            models.append(refit(final, candidate_weights[-1]))
            if self.verbose:
                print(f"[{type(self).__name__}] refit at λ={lams[i]:.3g}")
        X_val = fit_inputs(models[0], split.X_val)[0]

        def positive(X, models):
            return np.stack([np.asarray(m.predict_proba(X))[:, 1] > 0.5 for m in models])

        refit_path = {"lambda": lams[candidates]}
        refit_path.update(
            _path.evaluate_path(positive, models, X_val, split.y_val, split.g_val, self.fairness)
        )
        self.refit_path_ = refit_path
        chosen = _path.select_lambda(
            refit_path, self.selection, self.tolerance, max_gap=self.max_gap
        )
        return candidates[chosen], models[chosen], candidate_weights[chosen]

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
        if self.weighting not in ("fair_ij", "drop_upweight"):
            raise ValueError(NO_RESAMPLE.format(rule=self.weighting))
        self.fit(X, y, sensitive_features=sensitive_features)
        X_arr = self._model_inputs(X)[self.train_indices_]
        y_arr = np.asarray(y).reshape(-1)[self.train_indices_]
        repeats = np.rint(self.sample_weight_).astype(int)
        return np.repeat(X_arr, repeats, axis=0), np.repeat(y_arr, repeats, axis=0)

    def _prepare(self, X):
        X = self._model_inputs(X)  # checks that the reweighter is fitted
        return fit_inputs(self.final_estimator_, X)[0]

    def predict(self, X):
        """Labels predicted by the refitted estimator."""
        X = self._prepare(X)
        predicted = np.asarray(self.final_estimator_.predict(X)).reshape(-1)
        if kind(self.final_estimator_).learns_codes:  # nets predict the codes 0/1
            return self.classes_[np.rint(predicted).astype(int)]
        return predicted

    @available_if(_estimator_has("predict_proba"))
    def predict_proba(self, X):
        """Class probabilities of the refitted estimator."""
        X = self._prepare(X)
        return np.asarray(self.final_estimator_.predict_proba(X), dtype=np.float64)

    @available_if(_estimator_has("decision_function"))
    def decision_function(self, X):
        """Decision function of the refitted estimator."""
        X = self._prepare(X)
        return self.final_estimator_.decision_function(X)

    def __sklearn_tags__(self):
        tags = super().__sklearn_tags__()
        tags.classifier_tags.multi_class = False
        tags.classifier_tags.poor_score = True
        return tags


def _combined_weights(weights, weights_at, index):
    """Weights of the earlier rounds times the rule's weights (clipped at 0) at
    path point ``index``."""
    return weights * np.clip(weights_at(index), 0, None)
