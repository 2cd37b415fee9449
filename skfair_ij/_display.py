"""The accuracy–fairness trade-off along a fitted λ path, drawn."""

import numpy as np

from ._labels import LabelledClassifier
from .adapters import fit_inputs, get_adapter
from .metrics._fairness import cell_counts
from .metrics._validation import check_sensitive_features


class FairnessPathDisplay:
    """Accuracy against the fairness gap along the λ path of a fitted estimator.

    Follows scikit-learn's Display convention: build it with
    :meth:`from_estimator`, which computes the curves and calls :meth:`plot`.
    The validation curve is the path the selection walked along (``path_``);
    with test data, the same path points are scored on it too. The unedited
    model (λ = 0), the selected point and ``max_gap`` (when set) are marked.

    Parameters
    ----------
    gap, accuracy : ndarray of shape (k,)
        Validation gap (the one the selection compared) and accuracy of every
        path point.
    selected_index, reference_index : int
        The selected point and the unedited model (λ = 0).
    gap_name : str
        Axis label of the gap.
    max_gap : float, default=None
    test_gap, test_accuracy : ndarray of shape (k,), default=None
    estimator_name : str, default=None

    Attributes
    ----------
    ax_ : matplotlib Axes
    figure_ : matplotlib Figure
    line_ : matplotlib Line2D
        The validation curve.

    Examples
    --------
    >>> import matplotlib
    >>> matplotlib.use("Agg")
    >>> from skfair_ij import FairIJClassifier, FairnessPathDisplay
    >>> from skfair_ij.datasets import make_biased_classification
    >>> X, y, s = make_biased_classification(3000, 5, bias=3.0, proxy_strength=3.0,
    ...                                      random_state=0)
    >>> clf = FairIJClassifier(random_state=0).fit(X[:2000], y[:2000],
    ...                                            sensitive_features=s[:2000])
    >>> display = FairnessPathDisplay.from_estimator(clf, X[2000:], y[2000:], s[2000:])
    >>> display.test_gap.shape == display.gap.shape
    True
    """

    def __init__(
        self,
        *,
        gap,
        accuracy,
        selected_index,
        reference_index,
        gap_name,
        max_gap=None,
        test_gap=None,
        test_accuracy=None,
        estimator_name=None,
    ):
        self.gap = np.asarray(gap)
        self.accuracy = np.asarray(accuracy)
        self.selected_index = selected_index
        self.reference_index = reference_index
        self.gap_name = gap_name
        self.max_gap = max_gap
        self.test_gap = test_gap
        self.test_accuracy = test_accuracy
        self.estimator_name = estimator_name

    @classmethod
    def from_estimator(
        cls, estimator, X_test=None, y_test=None, sensitive_features_test=None, *, ax=None
    ):
        """Draw the path of a fitted :class:`FairIJClassifier` or :class:`FairReweighter`.

        Parameters
        ----------
        estimator : fitted FairIJClassifier or FairReweighter
        X_test, y_test, sensitive_features_test : array-like, default=None
            Held-out data to score every path point on (for a
            :class:`FairReweighter`, the IJ estimates of its refits).
        ax : matplotlib Axes, default=None

        Returns
        -------
        FairnessPathDisplay
        """
        path = getattr(estimator, "path_", None)
        if path is None:
            raise ValueError(
                f"{type(estimator).__name__} has no λ path to draw (fit_status_="
                f"{getattr(estimator, 'fit_status_', None)!r}); fit it with data that can "
                "measure the gap."
            )
        key = "pooled_gap" if "pooled_gap" in path else "val_gap"
        gap = np.where(np.isnan(path[key]), path["val_gap"], path[key])
        test_gap = test_accuracy = None
        if X_test is not None:
            test_gap, test_accuracy = _score_path(
                estimator, X_test, y_test, sensitive_features_test
            )
        label = estimator.criterion_.name.replace("_", " ")
        where = "pooled" if key == "pooled_gap" else "validation"
        display = cls(
            gap=gap,
            accuracy=path["val_accuracy"],
            selected_index=estimator.best_index_,
            reference_index=int(np.argmin(path["lambda"])),
            gap_name=f"{label} gap ({where} / test)" if X_test is not None else f"{label} gap",
            max_gap=estimator.selection_.max_gap,
            test_gap=test_gap,
            test_accuracy=test_accuracy,
            estimator_name=type(estimator).__name__,
        )
        return display.plot(ax=ax)

    def plot(self, ax=None, *, name=None):
        """Draw on ``ax`` (a new figure when None); returns ``self``."""
        import matplotlib.pyplot as plt

        if ax is None:
            _, ax = plt.subplots(figsize=(6, 4))
        name = name or self.estimator_name or "path"
        # in the path's order (growing λ), from the unedited model on
        (self.line_,) = ax.plot(self.gap, self.accuracy, ".-", label=f"{name}: validation")
        if self.test_gap is not None:
            ax.plot(self.test_gap, self.test_accuracy, ".--", label="test")
        for gaps, accuracies in ((self.gap, self.accuracy), (self.test_gap, self.test_accuracy)):
            if gaps is None:
                continue
            ref, sel = self.reference_index, self.selected_index
            ax.plot(gaps[ref], accuracies[ref], "ko")
            ax.plot(gaps[sel], accuracies[sel], "r*", markersize=13)
        ax.plot([], [], "ko", label="unedited (λ = 0)")
        ax.plot([], [], "r*", markersize=13, label="selected λ")
        if self.max_gap is not None:
            ax.axvline(self.max_gap, color="grey", linestyle=":", label="max_gap")
        ax.set_xlabel(self.gap_name)
        ax.set_ylabel("accuracy")
        ax.legend(fontsize=8)
        self.ax_, self.figure_ = ax, ax.figure
        return self


def _score_path(estimator, X, y, sensitive_features):
    """Test accuracy and gap of every path point (parameters ``path_thetas_``)."""
    if getattr(estimator, "n_rounds", 1) > 1:
        raise ValueError("Test curves need n_rounds=1 (the later rounds' models are not kept).")
    X_model = estimator._model_inputs(X)
    true_pos = estimator._encode_labels(y, "y_test") == 1
    codes, _ = check_sensitive_features(sensitive_features, len(true_pos))
    model = estimator.initial_estimator_
    if hasattr(model, "steps"):  # a Pipeline: the path is its final step's
        model = model.steps[-1][1]
    if isinstance(model, LabelledClassifier):  # a net facing the user's labels
        model = model.estimator
    adapter = get_adapter(model, **(getattr(estimator, "adapter_kwargs", None) or {}))
    inputs = adapter.to_tensor(fit_inputs(model, X_model)[0])
    positive = adapter.positive(inputs, estimator.path_thetas_)
    gaps = estimator.criterion_.hard_gap(cell_counts(true_pos, positive, codes))[0]
    return gaps, (positive == true_pos).mean(1)
