"""Every rule on the bundled Adult data, with a logistic regression and a skorch MLP.

Each rule must lower the test gap of the unedited model while the test accuracy
stays within the selection tolerance (plus a margin for the sampling noise of a
12,661-row test set).
"""

import numpy as np
import pytest
from sklearn.linear_model import LogisticRegression

from skfair_ij import FairIJClassifier, MaxGap, OneSE
from skfair_ij.benchmark import adult_splits, make_mlp
from skfair_ij.influence import CG
from skfair_ij.metrics import demographic_parity_difference, equalized_odds_difference

RULES = ["ijack", "simjack", "fair_ij", "drop_upweight"]
GAPS = {
    "demographic_parity": demographic_parity_difference,
    "equalized_odds": equalized_odds_difference,
}
pytestmark = pytest.mark.slow  # real data: run with pytest -m slow

TOLERANCE = 0.02
NOISE = 0.01  # two standard errors of a test accuracy difference, about


@pytest.fixture(scope="module")
def split():
    return adult_splits(seed=0)


@pytest.fixture(scope="module")
def models(split):
    X, y, _ = split["train"]
    logreg = LogisticRegression(max_iter=2000).fit(X.astype(np.float64), y)
    mlp = make_mlp(X.shape[1], seed=0).fit(X, y.astype(np.float32))
    return {"logreg": logreg, "mlp": mlp}


@pytest.mark.parametrize("model", ["logreg", "mlp"])
@pytest.mark.parametrize("fairness", list(GAPS))
@pytest.mark.parametrize("weighting", RULES)
def test_rule_lowers_test_gap_on_adult(split, models, model, fairness, weighting):
    (X, y, s), (Xv, yv, sv), (Xt, yt, st) = split["train"], split["val"], split["test"]
    base = models[model]
    if model == "logreg":
        X, Xv, Xt = (a.astype(np.float64) for a in (X, Xv, Xt))
    clf = FairIJClassifier(
        base,
        prefit=True,
        fairness=fairness,
        weighting=weighting,
        solver=CG(damping=3e-2),
        selection=OneSE(tolerance=TOLERANCE),
    )
    clf.fit(X, y, sensitive_features=s, X_val=Xv, y_val=yv, sensitive_features_val=sv)
    gap = GAPS[fairness]
    erm_pred, fair_pred = base.predict(Xt), clf.predict(Xt)
    assert gap(yt, fair_pred, sensitive_features=st) < gap(yt, erm_pred, sensitive_features=st)
    assert np.mean(fair_pred == yt) >= np.mean(erm_pred == yt) - TOLERANCE - NOISE
    assert type(clf.estimator_) is type(base)


def test_test_gap_follows_max_gap_on_adult(split):
    X, y, s = split["train"]
    X_val, y_val, s_val = split["val"]
    X_test, y_test, s_test = split["test"]
    model = LogisticRegression(max_iter=1000).fit(X, y)
    kw = dict(sensitive_features=s, X_val=X_val, y_val=y_val, sensitive_features_val=s_val)
    gaps = []
    for eps in (0.15, 0.10, 0.05, 0.02):  # the unedited test DP is 0.19
        clf = FairIJClassifier(model, prefit=True, selection=MaxGap(eps, max_cost=0.05))
        clf.fit(X, y, **kw)
        assert clf.fit_status_ == "edited"
        gaps.append(
            demographic_parity_difference(y_test, clf.predict(X_test), sensitive_features=s_test)
        )
        assert gaps[-1] < eps + 0.01
    assert np.all(np.diff(gaps) < 0)
