"""FairIJClassifier: edit a trained classifier with the infinitesimal jackknife."""

import numpy as np

from ._base import BaseFairInfluence
from ._outcome import (
    Outcome,
    fit_status,
    model_positive_proba,
    unedited,
    unmeasurable_reason,
)
from .adapters import fit_inputs
from .metrics._fairness import cell_counts
from .path import influence_path
from .path._mixture import mixture_partner, mixture_weight


class FairIJClassifier(BaseFairInfluence):
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
    estimator : estimator, Pipeline or torch.nn.Module, default=None
        ``LogisticRegression`` (binary), ``SGDClassifier(loss="log_loss")``, a
        skorch ``NeuralNetBinaryClassifier``/two-class ``NeuralNetClassifier``,
        a kind added with :func:`~skfair_ij.adapters.register_adapter`, a
        ``Pipeline`` ending in one of these (the influences are the final
        step's, on the transformed features), a ``FrozenEstimator`` of any of
        these (pre-trained), or (with ``prefit=True``) a trained
        ``torch.nn.Module`` returning the positive-class logit. None means
        ``LogisticRegression()``.
    fairness : str or FairnessCriterion, default="demographic_parity"
        The gap to reduce: :class:`~skfair_ij.metrics.DemographicParity`,
        :class:`~skfair_ij.metrics.EqualizedOdds` (the TPR plus the FPR gap),
        :class:`~skfair_ij.metrics.EqualOpportunity`,
        :class:`~skfair_ij.metrics.ErrorRateParity`, or their names
        ``"demographic_parity"``, ``"equalized_odds"``, ``"equal_opportunity"``,
        ``"error_rate"``. The object also says which rows measure the gap
        (``gap_data``).
    weighting : str or WeightingRule, default="ijack"
        The re-weighting rule: :class:`~skfair_ij.weighting.IJack`,
        :class:`~skfair_ij.weighting.SimJack`,
        :class:`~skfair_ij.weighting.FairIJ`,
        :class:`~skfair_ij.weighting.DropUpweight` (with their λ grid and own
        settings), or their names ``"ijack"``, ``"simjack"``, ``"fair_ij"``,
        ``"drop_upweight"``.
    solver : str or Solver, default="cg"
        How ``H⁻¹`` is applied, with its damping, and where the computation
        runs: :class:`~skfair_ij.influence.CG`,
        :class:`~skfair_ij.influence.Exact`,
        :class:`~skfair_ij.influence.DiagonalFisher`,
        :class:`~skfair_ij.influence.Identity`, or ``"cg"``, ``"exact"``,
        ``"diagonal"``, ``"identity"``.
    selection : str, Selection or callable, default="one_se"
        How λ is chosen on the validation data:
        :class:`~skfair_ij.OneSE` (the least edited point as fair as the best
        up to validation noise, within an accuracy tolerance),
        :class:`~skfair_ij.WithinTolerance`, :class:`~skfair_ij.MinGap`,
        :class:`~skfair_ij.MaxGap` (a target gap), their names ``"one_se"``,
        ``"tolerance"``, ``"min_gap"``, or a callable ``path -> index``.
    validation_fraction : float, default=0.3
        Share of the training data held out (stratified by group and label,
        with at least one row of every group × label cell) when no validation
        data are passed to ``fit``.
    prefit : bool, default=False
        Whether ``estimator`` is already trained on the X, y given to ``fit``
        (as with a ``FrozenEstimator``: its influences use all of them, and
        ``fit`` needs validation data).
    sensitive_column : str, int, callable or None, default=None
        Column of X (name for a DataFrame, position for an array) holding the
        sensitive attribute, or a callable ``X -> groups``; used when
        ``sensitive_features`` is not passed to ``fit``.
    drop_sensitive : bool, default=False
        Whether that column is removed from the model's inputs (in ``fit``;
        ``predict`` accepts X with or without it).
    adapter_kwargs : dict or None, default=None
        Passed to the model adapter (for a plain module: ``output``,
        ``weight_decay``; see :class:`~skfair_ij.adapters.TorchModuleAdapter`).
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
    train_indices_ : ndarray of shape (n_train,) or None
        Rows of X the base model was trained on (all of them when validation data
        are given). On inputs held by a cluster backend, a lazy array when a
        share was held out,
        None when validation data are given.
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
        ``"target_not_reached"`` or ``"accuracy_budget"`` (:class:`MaxGap`, which
        of the two bound it), ``"fixed_lambda"`` (a single λ
        given). Every status but ``"edited"`` and ``"fixed_lambda"`` comes with
        a :class:`FairnessWarning`.
    mixture_weight_ : float
        0, or with ``MaxGap(ε, randomize=True)`` the probability with which a
        row is predicted by ``mixture_estimator_`` instead of ``estimator_``
        (the expected gap of the mixture is ε on the rows of the path's gaps).
    mixture_estimator_ : estimator or None
        The more accurate path point of the mixture (None without one).
    damping_ : float
        The damping used (``damping="auto"`` resolved).
    update_ : str
        The I-JACK update used (``update="auto"`` resolved).
    n_passes_ : int or None
        Passes over the training rows of the influence step on inputs held by a cluster
        (None in memory); ``influences_`` and ``sample_weight_`` are then lazy
        arrays of that backend (see :doc:`/scaling_out`).
    path_ : LambdaPath
        Every point of the path (a mapping of columns: ``lambda``,
        ``val_accuracy``, ``val_gap``, ...), with its parameters and weights.
    best_index_ : int
        The selected point of ``path_``.
    criterion_, weighting_rule_, solver_, selection_ : object
        The option objects used (strings resolved).
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

    _parameter_constraints = {
        **BaseFairInfluence._parameter_constraints,
        "prefit": ["boolean"],
        "adapter_kwargs": [dict, None],
    }

    def __init__(
        self,
        estimator=None,
        *,
        fairness="demographic_parity",
        weighting="ijack",
        solver="cg",
        selection="one_se",
        validation_fraction=0.3,
        prefit=False,
        sensitive_column=None,
        drop_sensitive=False,
        adapter_kwargs=None,
        random_state=None,
        verbose=0,
    ):
        self.estimator = estimator
        self.fairness = fairness
        self.weighting = weighting
        self.solver = solver
        self.selection = selection
        self.validation_fraction = validation_fraction
        self.prefit = prefit
        self.sensitive_column = sensitive_column
        self.drop_sensitive = drop_sensitive
        self.adapter_kwargs = adapter_kwargs
        self.random_state = random_state
        self.verbose = verbose

    def _fit(self, model, model_spec, data, settings, train):
        """Edit the trained model to the selected point of its λ path."""
        reason = unmeasurable_reason(data, settings.criterion)
        if reason is not None:
            return unedited(model, data, reason)
        split = data.split
        result = influence_path(model, split, settings, sample_weight=split.w_train)
        path = result.path
        index = settings.selection.select(path, gap=path.gap)
        edited = result.adapter.with_parameters(path.parameters(index))
        status, message = fit_status(settings.selection, path, index)
        lam = float(path["lambda"][index])
        mixture = _mixture(result, data, settings, index) if settings.selection.randomize else None
        return Outcome(edited, path.weights(index), result, index, lam, status, message, mixture)

    def _point_probas(self, X):
        """P(positive) of the selected point, and of the mixture's other point
        (None without a mixture)."""
        X = self._model_inputs(X)  # checks that the classifier is fitted
        proba = model_positive_proba(self.final_estimator_, X, self._predict_adapter)
        if not self.mixture_weight_:
            return proba, None
        return proba, model_positive_proba(self._mixture_model, X, self._mixture_adapter)

    def _positive_proba(self, X):
        proba, other = self._point_probas(X)
        if other is None:
            return proba
        return (1 - self.mixture_weight_) * proba + self.mixture_weight_ * other

    def predict(self, X):
        """Predicted labels (from X alone); with a randomised mixture
        (``mixture_weight_ > 0``), each row's label is drawn from
        ``random_state``: the same X gets the same labels."""
        if not getattr(self, "mixture_weight_", 0):
            return super().predict(X)
        selected, other = (proba > 0.5 for proba in self._point_probas(X))
        draws = np.random.default_rng(self._predict_seed).random(len(selected))
        positive = np.where(draws < self.mixture_weight_, other, selected)
        return self.classes_[positive.astype(int)]


def _mixture(result, data, settings, index):
    """``(model, weight)`` of the path point mixed with the selected one, so
    that the expected gap is the target (None when no point is worth mixing)."""
    selection, path, split = settings.selection, result.path, data.split
    if data.backend.distributed:
        raise ValueError("MaxGap(randomize=True) is not available on rows held by a cluster.")
    partner = mixture_partner(path, index, selection.max_gap, selection.tolerance, path.gap)
    if partner is None:
        return None
    adapter, thetas = result.adapter, path.thetas[[index, partner]]
    parts = [(split.X_val, split.y_val, split.g_val)]
    if path.gap == "pooled_gap":  # the path's gaps pool the training rows
        parts.append((split.X_train, split.y_train, split.g_train))
    counts = 0
    for X, y, groups in parts:
        X_t = adapter.to_tensor(fit_inputs(adapter.model, X)[0])
        positive = adapter.positive(X_t, thetas)
        counts = counts + cell_counts(y == 1, positive, groups, len(data.groups))
    weight = mixture_weight(counts[0], counts[1], settings.criterion, selection.max_gap)
    if weight <= 0:
        return None
    return adapter.with_parameters(path.parameters(partner)), weight
