"""The accuracy–fairness trade-off along a fitted λ path, drawn."""

import numpy as np


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
    def from_path(
        cls,
        path,
        *,
        selected_index,
        fairness,
        max_gap=None,
        test_gap=None,
        test_accuracy=None,
        name=None,
        ax=None,
        **kwargs,
    ):
        """Draw a λ path (an estimator's ``path_``, or any mapping of its columns).

        Parameters
        ----------
        path : LambdaPath or mapping
            Columns ``lambda``, ``val_accuracy``, ``val_gap`` and, when the gaps
            were pooled, ``pooled_gap``.
        selected_index : int
            The selected point.
        fairness : str or FairnessCriterion
            The criterion of the gap (for the axis label).
        max_gap : float, default=None
        test_gap, test_accuracy : ndarray of shape (k,), default=None
            The path's points scored on held-out rows
            (:meth:`FairIJClassifier.score_path`).
        name : str, default=None
        ax : matplotlib Axes, default=None
        **kwargs
            Passed to matplotlib's ``plot`` of the validation curve.

        Returns
        -------
        FairnessPathDisplay
        """
        from .metrics._criteria import check_criterion

        key = "pooled_gap" if "pooled_gap" in path else "val_gap"
        gap = np.where(np.isnan(path[key]), path["val_gap"], path[key])
        label = check_criterion(fairness).name.replace("_", " ")
        where = "pooled" if key == "pooled_gap" else "validation"
        display = cls(
            gap=gap,
            accuracy=path["val_accuracy"],
            selected_index=int(selected_index),
            reference_index=int(np.argmin(path["lambda"])),
            gap_name=f"{label} gap ({where} / test)" if test_gap is not None else f"{label} gap",
            max_gap=max_gap,
            test_gap=test_gap,
            test_accuracy=test_accuracy,
            estimator_name=name,
        )
        return display.plot(ax=ax, **kwargs)

    @classmethod
    def from_estimator(
        cls, estimator, X_test=None, y_test=None, sensitive_features_test=None, *, ax=None, **kwargs
    ):
        """Draw the path of a fitted :class:`FairIJClassifier` or :class:`FairReweighter`.

        Parameters
        ----------
        estimator : fitted FairIJClassifier or FairReweighter
        X_test, y_test, sensitive_features_test : array-like, default=None
            Held-out data to score every path point on (for a
            :class:`FairReweighter`, the IJ estimates of its refits).
        ax : matplotlib Axes, default=None
        **kwargs
            Passed to matplotlib's ``plot`` of the validation curve.

        Returns
        -------
        FairnessPathDisplay
        """
        if getattr(estimator, "path_", None) is None:
            raise ValueError(
                f"{type(estimator).__name__} has no λ path to draw (fit_status_="
                f"{getattr(estimator, 'fit_status_', None)!r}); fit it with data that can "
                "measure the gap."
            )
        test_gap = test_accuracy = None
        if X_test is not None:
            test_gap, test_accuracy = estimator.score_path(
                X_test, y_test, sensitive_features=sensitive_features_test
            )
        return cls.from_path(
            estimator.path_,
            selected_index=estimator.best_index_,
            fairness=estimator.criterion_,
            max_gap=estimator.selection_.max_gap,
            test_gap=test_gap,
            test_accuracy=test_accuracy,
            name=type(estimator).__name__,
            ax=ax,
            **kwargs,
        )

    def plot(self, ax=None, *, name=None, **kwargs):
        """Draw on ``ax`` (a new figure when None); returns ``self``.

        ``**kwargs`` are passed to matplotlib's ``plot`` of the validation
        curve (e.g. ``color``, ``alpha``).
        """
        import matplotlib.pyplot as plt

        if ax is None:
            _, ax = plt.subplots(figsize=(6, 4))
        name = name or self.estimator_name or "path"
        # in the path's order (growing λ), from the unedited model on
        style = {"label": f"{name}: validation", **kwargs}
        (self.line_,) = ax.plot(self.gap, self.accuracy, ".-", **style)
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
