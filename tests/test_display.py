"""FairnessPathDisplay: the trade-off along the path, drawn."""

import matplotlib
import numpy as np
import pytest

matplotlib.use("Agg")

from skfair_ij import (  # noqa: E402
    FairIJClassifier,
    FairnessPathDisplay,
    FairReweighter,
    MaxGap,  # noqa: E402
)
from skfair_ij.datasets import make_biased_classification  # noqa: E402
from skfair_ij.metrics import demographic_parity_difference  # noqa: E402


@pytest.fixture(scope="module")
def data():
    return make_biased_classification(3000, 5, bias=3.0, proxy_strength=3.0, random_state=0)


@pytest.mark.parametrize("Estimator", [FairIJClassifier, FairReweighter])
def test_display_draws_validation_and_test_curves(data, Estimator):
    import matplotlib.pyplot as plt

    X, y, s = data
    est = Estimator(random_state=0, selection=MaxGap(0.1, max_cost=0.1)).fit(
        X[:2000], y[:2000], sensitive_features=s[:2000]
    )
    display = FairnessPathDisplay.from_estimator(est, X[2000:], y[2000:], s[2000:])
    k = len(est.path_["lambda"])
    assert display.gap.shape == display.test_gap.shape == (k,)
    assert display.ax_.get_xlabel().startswith("demographic parity gap")
    labels = [t.get_text() for t in display.ax_.get_legend().get_texts()]
    assert "max_gap" in labels and "selected λ" in labels
    if Estimator is FairIJClassifier:
        # the test curve at the selected point is the fitted model's test gap
        gap = demographic_parity_difference(
            y[2000:], est.predict(X[2000:]), sensitive_features=s[2000:]
        )
        assert display.test_gap[est.best_index_] == pytest.approx(gap)
        accuracy = np.mean(est.predict(X[2000:]) == y[2000:])
        assert display.test_accuracy[est.best_index_] == pytest.approx(accuracy)
    plt.close("all")


def test_display_needs_a_path(data):
    X, y, s = data
    clf = FairIJClassifier(random_state=0)
    with pytest.warns(UserWarning):
        clf.fit(
            X[:2000],
            y[:2000],
            sensitive_features=s[:2000],
            X_val=X[2000:2003],
            y_val=y[2000:2003],
            sensitive_features_val=s[2000:2003],
        )
    with pytest.raises(ValueError, match="no λ path"):
        FairnessPathDisplay.from_estimator(clf)


def test_display_from_a_path_value_with_matplotlib_options(data):
    """The Display draws a path as a value (no estimator method), and forwards
    plot options to matplotlib; from_estimator gives the same curves."""
    import inspect

    import matplotlib.pyplot as plt

    from skfair_ij import _display

    X, y, s = data
    clf = FairIJClassifier(random_state=0).fit(X[:2000], y[:2000], sensitive_features=s[:2000])
    gap, accuracy = clf.score_path(X[2000:], y[2000:], sensitive_features=s[2000:])
    display = FairnessPathDisplay.from_path(
        clf.path_,
        selected_index=clf.best_index_,
        fairness="demographic_parity",
        test_gap=gap,
        test_accuracy=accuracy,
        color="tab:green",
        alpha=0.5,
    )
    assert display.line_.get_alpha() == 0.5
    assert matplotlib.colors.same_color(display.line_.get_color(), "tab:green")
    other = FairnessPathDisplay.from_estimator(clf, X[2000:], y[2000:], s[2000:])
    np.testing.assert_array_equal(other.test_gap, display.test_gap)
    np.testing.assert_array_equal(other.gap, display.gap)
    # the Display reaches no private method of an estimator
    assert "estimator._" not in inspect.getsource(_display)
    plt.close("all")
