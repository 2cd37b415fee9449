"""FairIJClassifier: edit a trained classifier with the infinitesimal jackknife."""

import numpy as np
from scipy.special import expit
from sklearn.base import BaseEstimator, ClassifierMixin, MetaEstimatorMixin

from ._base import FairInfluenceMixin
from .adapters import fit_inputs, get_adapter, kind


class FairIJClassifier(FairInfluenceMixin, ClassifierMixin, MetaEstimatorMixin, BaseEstimator):
    """Fairer classifier by an influence-based edit of a trained model.

    ``fit`` trains the base estimator (or takes a trained one), computes the
    influence ``I_n = −g_Fᵀ H⁻¹ g_n`` of every training point on a smooth
    fairness gap F measured on validation data, turns the influences into
    weights with a rule of Ghosh et al. (Fair-IJ, drop/up-weight, I-JACK,
    SIM-JACK) and moves the parameters to ``θ̂ − (1/N) H⁻¹ G (w − 1)`` — the
    infinitesimal-jackknife estimate of the model retrained with those weights,
    without retraining. λ is chosen on the validation data. Predictions need X
    only, never the sensitive attribute.

    Parameters
    ----------
    estimator : estimator or torch.nn.Module, default=None
        ``LogisticRegression`` (binary), ``SGDClassifier(loss="log_loss")``, a
        skorch ``NeuralNetBinaryClassifier``/two-class ``NeuralNetClassifier``, a
        ``FrozenEstimator`` of one of these, or (with ``prefit=True``) a trained
        ``torch.nn.Module`` returning the positive-class logit. None means
        ``LogisticRegression()``.
    fairness : {"demographic_parity", "equalized_odds", "equal_opportunity", \
"error_rate"}, default="demographic_parity"
        The gap to reduce (equalized odds: sum of the TPR and FPR gaps).
    weighting : {"ijack", "simjack", "fair_ij", "drop_upweight"}, default="ijack"
        The re-weighting rule (see :mod:`skfair_ij.weighting`).
    hessian : {"cg", "exact", "diagonal", "identity"}, default="cg"
        How ``H⁻¹`` is applied (see :class:`~skfair_ij.influence.Curvature`).
    curvature : {"gauss_newton", "hessian"}, default="gauss_newton"
        Matrix used by ``"cg"`` and ``"exact"``; identical for linear models.
    damping : "auto" or float, default="auto"
        Added to the diagonal of H (a proximal term). ``"auto"``: 0 for a
        linear model with its own L2 penalty (the IJ is then exact to first
        order), ``1e-6 · tr(H)/D`` for an unpenalised one, ``25 · tr(H)/D`` (the
        mean eigenvalue of the Gauss-Newton matrix, estimated) for a net. The
        value used is ``damping_``.
    lambdas : array-like or None, default=None
        λ values of the rule; None builds a grid adapted to the scale of the
        influences (then refined around the selected λ); a single value fixes λ.
    n_steps : int, default=1
        Segments of the adaptive path of the linear rules. 1 is the seed paper's
        single IJ step. With more, when the selected point lies inside a segment
        the model is linearised again there and the path continues (past the
        kinks of equalized odds); each segment costs two more solves. On Adult
        (MLP) 3 segments gave the same test gaps as 1 in twice the time.
        Ignored by the discrete rules.
    update : {"auto", "jackknife", "fisher"}, default="auto"
        How I-JACK moves the parameters. ``"jackknife"``: Ghosh et al.'s
        Eq. 11, ``θ̂ − H⁻¹ (λ Σ g_n g_nᵀ) H⁻¹ g`` — the IJ estimate of the refit
        with ``sample_weight_``. ``"fisher"``: the same update with the
        covariance of the per-sample gradients, ``Σ g_n g_nᵀ / N``, replaced by
        its large-sample limit H (the Fisher identity; their Eq. 13):
        ``θ̂ − λ H⁻¹ g``, the first-order change of the model retrained with the
        fairness surrogate added to its loss; it needs no pass over the
        training gradients and no extra solve (``weighting="ijack"`` only;
        ``sample_weight_`` stays I-JACK's weights). ``"auto"``: ``"fisher"``
        for I-JACK on a net, ``"jackknife"`` otherwise. The value used is
        ``update_``.
    gap_data : {"validation", "pooled"}, default="pooled"
        Rows the gap is measured on. ``"validation"``: the validation rows.
        ``"pooled"``: the training rows with the validation rows, for the values
        of the gap terms (the targets of the edit) and the gaps of the λ path
        that the selection compares (``path_["pooled_gap"]``); the fairness
        gradient and the accuracy tolerance stay on validation data. More rows
        cut the noise of small cells (a minority's true-positive rate, in
        equalized odds) when the model does not overfit its training data; a
        warning says when its training accuracy exceeds its validation accuracy
        by more than 0.05.
    selection : {"one_se", "tolerance", "min_gap"} or callable, default="one_se"
        How λ is chosen on the validation data. ``"tolerance"``: the lowest
        validation gap among the λ whose validation accuracy is within
        ``tolerance`` of the unedited model's. ``"one_se"``: then the smallest λ
        whose gap is within one standard error of that lowest gap (the least
        edited model that is as fair as the best, up to validation noise).
        ``"min_gap"``: the lowest validation gap (the seed paper's rule, which
        may pick a near-constant model). A callable gets ``path_`` and returns
        an index into it.
    tolerance : float, default=0.02
        Validation accuracy the selection may give up relative to the unedited
        model (the largest accuracy cost accepted; with ``max_gap`` too).
    max_gap : float or None, default=None
        The target: λ is the most accurate path point whose gap (the one the
        selection compares) is at most ``max_gap``, within ``tolerance``;
        ``selection`` is then not used. When no point reaches it, the point of
        lowest gap is kept with a :class:`FairnessWarning`.
    validation_fraction : float, default=0.3
        Share of the training data held out (stratified by group and label,
        with at least one row of every group × label cell) when no validation
        data are passed to ``fit``.
    prefit : bool, default=False
        Whether ``estimator`` is already trained on the X, y given to ``fit``
        (then its influences use all of them, and ``fit`` needs validation
        data).
    sensitive_column : str, int, callable or None, default=None
        Column of X (name for a DataFrame, position for an array) holding the
        sensitive attribute, or a callable ``X -> groups``; used when
        ``sensitive_features`` is not passed to ``fit``.
    drop_sensitive : bool, default=False
        Whether that column is removed from the model's inputs (in ``fit`` and
        ``predict``).
    simjack_features : transformer, callable or None, default=None
        Φ for SIM-JACK; None uses the model's own features (penultimate layer of a
        net, inputs of a linear model).
    simjack_epsilon : float, default=1.0
        Ridge ε of SIM-JACK's similarity (relative, see
        :func:`~skfair_ij.weighting.similarity_product`).
    cg_tol, cg_maxiter : float, int, default=1e-3, 100
        Conjugate-gradient stopping rule (relative residual); lower ``cg_tol``
        for influences accurate to more digits (float32 nets do not get much
        below 1e-4).
    memory_budget : int or None, default=None
        Bytes for the streamed gradient blocks (None: 512 MiB). Peak memory
        above the data and the model stays within the budget plus about 200
        bytes per training row (the N-length vectors).
    device : str, default="cpu"
        Torch device of the influence computation ("cuda" for a GPU).
    adapter_kwargs : dict or None, default=None
        Passed to the model adapter (for a plain module: ``output``,
        ``weight_decay``).
    random_state : int, RandomState instance or None, default=None
        Seed of everything random in ``fit``: the validation split and, for a
        net trained here, torch's initialisation and shuffling (torch's global
        state is restored afterwards).
    verbose : int, default=0
        Print the stages and their times.

    Attributes
    ----------
    estimator_ : estimator
        The fair model, of the same type as ``estimator``.
    initial_estimator_ : estimator
        The unedited trained model.
    influences_ : ndarray of shape (n_train,)
        ``I_n`` of every training row (positive: removing it lowers the gap).
    sample_weight_ : ndarray of shape (n_train,)
        The weights of the rule at ``lambda_``; the edit estimates a refit with them.
    train_indices_ : ndarray of shape (n_train,)
        Rows of X the base model was trained on (all of them when validation data
        are given).
    lambda_ : float
        Selected λ (summed over the steps of a multi-step path); λ grows with
        the size of the edit, and 0 is the unedited model.
    path_thetas_ : Tensor of shape (n_points, D)
        The parameters of every path point (what
        :class:`FairnessPathDisplay` scores on test data).
    fit_status_ : str
        ``"edited"``, or why not as asked: ``"gap_already_small"``,
        ``"accuracy_cost"``, ``"no_improvement"``, ``"gap_not_measurable"``
        (then ``influences_`` is NaN and ``path_`` None),
        ``"target_not_reached"`` (``max_gap``), ``"fixed_lambda"`` (a single λ
        given). Every status but ``"edited"`` and ``"fixed_lambda"`` comes with
        a :class:`FairnessWarning`.
    damping_ : float
        The damping used (``damping="auto"`` resolved).
    update_ : str
        The I-JACK update used (``update="auto"`` resolved).
    path_ : dict of ndarray
        Every point of the path: ``lambda`` (cumulative), ``step`` and
        ``lambda_step`` (λ within its step), ``val_accuracy``, ``val_gap`` (the
        ``fairness`` gap) with its standard error ``val_gap_se``, the validation
        demographic-parity and equalized-odds gaps, ``val_positive_rate``,
        ``n_changed`` (points dropped or up-weighted) for the discrete rules, and
        ``pooled_gap`` with ``pooled_gap_se`` (training and validation rows)
        when ``gap_data="pooled"``.
    classes_ : ndarray of shape (2,)
    groups_ : ndarray of object
        The groups of ``sensitive_features``, in the order of their codes.
    n_features_in_ : int
    feature_names_in_ : ndarray of str
        Defined when X is a DataFrame with string column names.

    See Also
    --------
    FairReweighter : the same weights, used to refit the estimator.

    References
    ----------
    .. [1] Ghosh, Sattigeri, Nagireddy, Padhi, Chen. "Influence Based Approaches to
       Algorithmic Fairness: A Closer Look".

    Examples
    --------
    >>> from skfair_ij import FairIJClassifier
    >>> from skfair_ij.datasets import make_biased_classification
    >>> from skfair_ij.metrics import demographic_parity_difference
    >>> X, y, s = make_biased_classification(2000, 5, bias=2.0, random_state=0)
    >>> clf = FairIJClassifier(random_state=0).fit(X, y, sensitive_features=s)
    >>> before = demographic_parity_difference(
    ...     y, clf.initial_estimator_.predict(X), sensitive_features=s)
    >>> after = demographic_parity_difference(y, clf.predict(X), sensitive_features=s)
    >>> bool(after < before)
    True
    """

    def __init__(
        self,
        estimator=None,
        *,
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
        """Train (or take) the base model, compute influences and edit it.

        Parameters
        ----------
        X : array-like of shape (n_samples, n_features)
            Training inputs (numeric; use a Pipeline for encoding).
        y : array-like of shape (n_samples,)
            Binary labels.
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
        self : FairIJClassifier
        """
        estimator, prefit, split, seed, lambdas = self._prepare_fit(
            X, y, sensitive_features, sample_weight, (X_val, y_val, sensitive_features_val)
        )
        model = self._fit_base(
            estimator, prefit, split.X_train, split.y_train, split.w_train, seed=seed
        )
        self.initial_estimator_ = model
        self.train_indices_ = split.train_indices
        reason = self._unmeasurable_reason(split)
        if reason is not None:
            self._leave_unedited(model, split, reason)
            return self
        result = self._influence_path(model, split, lambdas, sample_weight=split.w_train)
        index = self._select(result.path)
        self.estimator_ = result.adapter.with_parameters(result.thetas[index])
        self.influences_ = result.influences
        self.sample_weight_ = result.weights_at(index)
        self.lambda_ = float(result.path["lambda"][index])
        self.path_ = result.path
        self.best_index_ = index
        self.path_thetas_ = result.thetas.detach().cpu()
        self.damping_, self.update_ = result.damping, result.update
        self._wrap_pipelines()
        self._record_outcome(result.path, index)
        return self

    def _positive_proba(self, X):
        X = self._model_inputs(X)
        model = self.final_estimator_
        if not kind(model).native_predict:
            adapter = get_adapter(model, **(self.adapter_kwargs or {}))
            return expit(adapter.decision_function(X))
        Xf, _ = fit_inputs(model, X)
        return np.asarray(model.predict_proba(Xf))[:, 1].astype(np.float64)

    def predict_proba(self, X):
        """Class probabilities of the edited model, shape (n_samples, 2)."""
        p = self._positive_proba(X)
        return np.column_stack([1 - p, p])

    def predict_log_proba(self, X):
        """Logarithm of :meth:`predict_proba`."""
        with np.errstate(divide="ignore"):
            return np.log(self.predict_proba(X))

    def decision_function(self, X):
        """Logit of the positive class under the edited model."""
        p = np.clip(self._positive_proba(X), 1e-300, 1 - 1e-16)
        return np.log(p) - np.log1p(-p)

    def predict(self, X):
        """Predicted labels (from X alone)."""
        positive = self._positive_proba(X) > 0.5
        return self.classes_[positive.astype(int)]

    def __sklearn_tags__(self):
        tags = super().__sklearn_tags__()
        tags.classifier_tags.multi_class = False
        tags.classifier_tags.poor_score = True
        tags.non_deterministic = False
        return tags
