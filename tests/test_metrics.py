import numpy as np
import pandas as pd
import pytest
from sklearn.metrics import zero_one_loss

from skfair_ij.metrics import (
    demographic_parity_difference,
    equal_opportunity_difference,
    equalized_odds_difference,
    error_rate_difference,
)

fairlearn_metrics = pytest.importorskip("fairlearn.metrics")


def _random_case(rng, n=300, n_groups=3, weighted=True, n_columns=1):
    y_true = rng.integers(0, 2, n)
    y_pred = rng.integers(0, 2, n)
    if n_columns == 1:
        sensitive = rng.choice([f"g{k}" for k in range(n_groups)], n)
    else:
        sensitive = pd.DataFrame(
            {f"s{c}": rng.choice(["a", "b", "c"][:n_groups], n) for c in range(n_columns)}
        )
    weight = rng.uniform(0.1, 3.0, n) if weighted else None
    return y_true, y_pred, sensitive, weight


@pytest.mark.parametrize("seed", range(5))
@pytest.mark.parametrize("n_groups", [2, 3, 5])
@pytest.mark.parametrize("weighted", [False, True])
def test_metrics_equal_fairlearn(seed, n_groups, weighted):
    rng = np.random.default_rng(seed)
    y_true, y_pred, s, w = _random_case(rng, n_groups=n_groups, weighted=weighted)
    kw = dict(sensitive_features=s, sample_weight=w)
    assert demographic_parity_difference(y_true, y_pred, **kw) == pytest.approx(
        fairlearn_metrics.demographic_parity_difference(y_true, y_pred, **kw)
    )
    for agg in ("worst_case", "mean"):
        assert equalized_odds_difference(y_true, y_pred, agg=agg, **kw) == pytest.approx(
            fairlearn_metrics.equalized_odds_difference(y_true, y_pred, agg=agg, **kw)
        )
    tpr = fairlearn_metrics.true_positive_rate_difference(y_true, y_pred, **kw)
    fpr = fairlearn_metrics.false_positive_rate_difference(y_true, y_pred, **kw)
    assert equalized_odds_difference(y_true, y_pred, **kw) == pytest.approx(tpr + fpr)
    assert equal_opportunity_difference(y_true, y_pred, **kw) == pytest.approx(
        fairlearn_metrics.equal_opportunity_difference(y_true, y_pred, **kw)
    )
    frame = fairlearn_metrics.MetricFrame(
        metrics=zero_one_loss,
        y_true=y_true,
        y_pred=y_pred,
        sensitive_features=s,
        sample_params=None if w is None else {"sample_weight": w},
    )
    assert error_rate_difference(y_true, y_pred, **kw) == pytest.approx(frame.difference())


@pytest.mark.parametrize("seed", range(3))
def test_intersections_equal_fairlearn(seed):
    rng = np.random.default_rng(seed)
    y_true, y_pred, s, w = _random_case(rng, n=400, n_groups=3, n_columns=2)
    kw = dict(sensitive_features=s, sample_weight=w)
    assert demographic_parity_difference(y_true, y_pred, **kw) == pytest.approx(
        fairlearn_metrics.demographic_parity_difference(y_true, y_pred, **kw)
    )
    assert equalized_odds_difference(y_true, y_pred, agg="worst_case", **kw) == pytest.approx(
        fairlearn_metrics.equalized_odds_difference(y_true, y_pred, **kw)
    )
    # a 2-D ndarray gives the same intersections as the DataFrame
    assert demographic_parity_difference(
        y_true, y_pred, sensitive_features=s.to_numpy(), sample_weight=w
    ) == pytest.approx(demographic_parity_difference(y_true, y_pred, **kw))


# A small table computed by hand: three groups, weights.
#   group a: y_true 1 1 0 0, y_pred 1 0 1 0, weights 1 1 1 1
#   group b: y_true 1 0 0,   y_pred 1 1 0,   weights 2 1 1
#   group c: y_true 1 1 0,   y_pred 0 0 0,   weights 1 1 2
HAND_Y_TRUE = [1, 1, 0, 0, 1, 0, 0, 1, 1, 0]
HAND_Y_PRED = [1, 0, 1, 0, 1, 1, 0, 0, 0, 0]
HAND_S = ["a"] * 4 + ["b"] * 3 + ["c"] * 3
HAND_W = [1, 1, 1, 1, 2, 1, 1, 1, 1, 2]


def test_hand_computed_table():
    kw = dict(sensitive_features=HAND_S, sample_weight=HAND_W)
    # selection rates: a 2/4, b 3/4, c 0/4 -> 0.75
    assert demographic_parity_difference(HAND_Y_TRUE, HAND_Y_PRED, **kw) == 0.75
    # TPR: a 1/2, b 2/2, c 0/2 -> 1.0 ; FPR: a 1/2, b 1/2, c 0/2 -> 0.5
    assert equal_opportunity_difference(HAND_Y_TRUE, HAND_Y_PRED, **kw) == 1.0
    assert equalized_odds_difference(HAND_Y_TRUE, HAND_Y_PRED, **kw) == 1.5
    assert equalized_odds_difference(HAND_Y_TRUE, HAND_Y_PRED, agg="worst_case", **kw) == 1.0
    assert equalized_odds_difference(HAND_Y_TRUE, HAND_Y_PRED, agg="mean", **kw) == 0.75
    # error rates: a 2/4, b 1/4, c 2/4 -> 0.25
    assert error_rate_difference(HAND_Y_TRUE, HAND_Y_PRED, **kw) == 0.25
    # unweighted selection rates: a 2/4, b 2/3, c 0 -> 2/3
    assert demographic_parity_difference(
        HAND_Y_TRUE, HAND_Y_PRED, sensitive_features=HAND_S
    ) == pytest.approx(2 / 3)


def test_intersection_by_hand():
    s = pd.DataFrame({"sex": ["F", "F", "M", "M"], "race": ["x", "y", "x", "x"]})
    # groups (F,x): 1, (F,y): 0, (M,x): 1/2 -> gap 1
    assert demographic_parity_difference([0] * 4, [1, 0, 1, 0], sensitive_features=s) == 1


def test_string_labels_and_pos_label():
    y_true = np.array(["no", "yes", "yes", "no"])
    y_pred = np.array(["yes", "yes", "no", "no"])
    gap = demographic_parity_difference(
        y_true, y_pred, sensitive_features=[0, 0, 1, 1], pos_label="yes"
    )
    assert gap == 1.0  # group 0 selects both, group 1 none


@pytest.mark.parametrize(
    "metric",
    [
        demographic_parity_difference,
        equalized_odds_difference,
        equal_opportunity_difference,
        error_rate_difference,
    ],
)
def test_bad_input_messages(metric):
    y = [0, 1, 1, 0]
    with pytest.raises(ValueError, match="Inconsistent lengths: y_pred has 3"):
        metric(y, [0, 1, 1], sensitive_features=[0, 0, 1, 1])
    with pytest.raises(ValueError, match="Inconsistent lengths: sensitive_features"):
        metric(y, y, sensitive_features=[0, 1])
    with pytest.raises(ValueError, match="Inconsistent lengths: sample_weight"):
        metric(y, y, sensitive_features=[0, 0, 1, 1], sample_weight=[1, 1])
    with pytest.raises(ValueError, match="single group"):
        metric(y, y, sensitive_features=["a"] * 4)
    with pytest.raises(ValueError, match="binary labels"):
        metric([0, 1, 2, 0], y, sensitive_features=[0, 0, 1, 1])
    with pytest.raises(ValueError, match="binary labels"):
        metric(y, [0.1, 0.5, 0.7, 0.9], sensitive_features=[0, 0, 1, 1])
    with pytest.raises(ValueError, match="missing values"):
        metric(y, y, sensitive_features=["a", None, "b", "b"])
    with pytest.raises(ValueError, match="missing values"):
        metric(y, y, sensitive_features=np.array([0.0, np.nan, 1.0, 1.0]))
    with pytest.raises(ValueError, match="sensitive_features is required"):
        metric(y, y, sensitive_features=None)


def test_bad_agg():
    with pytest.raises(ValueError, match="agg must be one of"):
        equalized_odds_difference([0, 1], [0, 1], sensitive_features=[0, 1], agg="max")


def test_inputs_not_mutated():
    y_true, y_pred = np.array([0, 1, 1, 0]), np.array([1, 1, 0, 0])
    s = pd.Series(["a", "b", "a", "b"], index=[10, 11, 12, 13])
    copies = y_true.copy(), y_pred.copy(), s.copy()
    equalized_odds_difference(y_true, y_pred, sensitive_features=s)
    np.testing.assert_array_equal(y_true, copies[0])
    np.testing.assert_array_equal(y_pred, copies[1])
    pd.testing.assert_series_equal(s, copies[2])


@pytest.mark.parametrize("seed", [0, 1])
def test_hard_gaps_equal_public_metrics(seed):
    """The λ path scores predictions with hard_gaps; it must agree with the metrics."""
    from skfair_ij.metrics._fairness import METRICS, hard_gaps
    from skfair_ij.metrics._validation import check_sensitive_features

    rng = np.random.default_rng(seed)
    y_true, y_pred = rng.integers(0, 2, 500), rng.integers(0, 2, 500)
    groups = rng.choice(["a", "b", "c"], 500)
    codes, _ = check_sensitive_features(groups)
    gaps, _ = hard_gaps(y_true == 1, y_pred == 1, codes)
    for name, metric in METRICS.items():
        expected = metric(y_true, y_pred, sensitive_features=groups)
        assert gaps[name] == pytest.approx(expected, abs=1e-12)


def test_gaps_of_many_predictions_at_once():
    """The λ path scores all its points with one call on (k, G, 2, 2) counts:
    the same gaps and standard errors as one call per point, including a
    group without positives (no TPR) and a group with no rows at all."""
    from skfair_ij.metrics._fairness import cell_counts, gaps_from_counts

    rng = np.random.default_rng(0)
    codes = rng.integers(0, 3, 400)
    true_pos = rng.uniform(size=400) < 0.4
    true_pos[codes == 2] = False  # group 2: TPR undefined
    positive = rng.uniform(size=(6, 400)) < np.linspace(0.1, 0.9, 6)[:, None]
    positive[0] = False  # a point with no positive prediction
    counts = cell_counts(true_pos, positive, codes, n_groups=4)  # group 3: empty
    gaps, errors = gaps_from_counts(counts)
    for j in range(6):
        one_gaps, one_errors = gaps_from_counts(counts[j])
        for name in one_gaps:
            assert gaps[name][j] == pytest.approx(one_gaps[name], abs=1e-15)
            assert errors[name][j] == pytest.approx(one_errors[name], abs=1e-15)
    # against the public metrics, point by point
    from skfair_ij.metrics._fairness import METRICS

    for j in range(6):
        for name, metric in METRICS.items():
            expected = metric(true_pos, positive[j], sensitive_features=codes)
            assert gaps[name][j] == pytest.approx(expected, abs=1e-12)
