"""A Pipeline as the estimator: raw DataFrame columns, sparse one-hot features,
string labels; predictions from the raw X."""

import numpy as np
import pandas as pd
import pytest
import sklearn
from sklearn.compose import ColumnTransformer
from sklearn.ensemble import HistGradientBoostingClassifier
from sklearn.frozen import FrozenEstimator
from sklearn.linear_model import LogisticRegression
from sklearn.model_selection import GridSearchCV
from sklearn.pipeline import Pipeline, make_pipeline
from sklearn.preprocessing import OneHotEncoder, StandardScaler

from skfair_ij import FairIJClassifier, FairReweighter, OneSE
from skfair_ij.datasets import make_biased_classification
from skfair_ij.metrics import demographic_parity_difference, make_fairness_scorer


@pytest.fixture(scope="module")
def table():
    X, y, s = make_biased_classification(4000, 4, bias=2.0, proxy_strength=2.0, random_state=0)
    frame = pd.DataFrame(X[:, 1:], columns=["a", "b", "c"]).assign(
        # the proxy of the group, as a string category
        region=pd.Categorical(np.where(X[:, 0] > 0, "north", "south")),
        job=np.where(X[:, 1] > 0.5, "clerk", np.where(X[:, 1] < -0.5, "crafts", "sales")),
    )
    labels = np.where(y == 1, "high", "low")
    return frame[:3000], labels[:3000], s[:3000], frame[3000:], labels[3000:], s[3000:]


def _prep():
    return ColumnTransformer(
        [
            ("cat", OneHotEncoder(handle_unknown="ignore"), ["region", "job"]),  # sparse
            ("num", StandardScaler(), ["a", "b", "c"]),
        ]
    )


def _dp(y, pred, s):
    return demographic_parity_difference(y, pred, sensitive_features=s, pos_label="high")


@pytest.mark.parametrize(
    "make",
    [
        lambda: FairIJClassifier(make_pipeline(_prep(), LogisticRegression()), random_state=0),
        lambda: FairReweighter(
            make_pipeline(_prep(), HistGradientBoostingClassifier(max_iter=50, random_state=0)),
            random_state=0,
        ),
    ],
    ids=["FairIJClassifier-logreg", "FairReweighter-boosting"],
)
def test_pipeline_on_raw_columns(table, make):
    X, y, s, Xt, yt, st = table
    est = make().fit(X, y, sensitive_features=s)
    assert isinstance(est.estimator_, Pipeline) and isinstance(est.initial_estimator_, Pipeline)
    assert est.fit_status_ == "edited"
    # predictions from the raw DataFrame, in the user's labels, the same through estimator_
    pred = est.predict(Xt)
    assert set(np.unique(pred)) <= {"high", "low"}
    np.testing.assert_array_equal(pred, est.estimator_.predict(Xt))
    assert _dp(yt, pred, st) < 0.7 * _dp(yt, est.initial_estimator_.predict(Xt), st)


def test_pipeline_in_a_search_with_a_routed_scorer(table):
    X, y, s, *_ = table
    with sklearn.config_context(enable_metadata_routing=True):
        est = FairIJClassifier(make_pipeline(_prep(), LogisticRegression()), random_state=0)
        search = GridSearchCV(
            est.set_fit_request(sensitive_features=True),
            {"selection": [OneSE(0.01), OneSE(0.03)]},
            scoring={"accuracy": "accuracy", "dp": make_fairness_scorer()},
            refit="accuracy",
            cv=2,
        )
        search.fit(X, y, sensitive_features=s)
    assert np.all(np.isfinite(search.cv_results_["mean_test_dp"]))


def test_pretrained_pipeline(table):
    """A fitted Pipeline is taken as fitted: its preprocessing is reused."""
    X, y, s, Xt, yt, st = table
    pipe = make_pipeline(_prep(), LogisticRegression()).fit(X, y)
    kw = dict(sensitive_features=s, X_val=Xt, y_val=yt, sensitive_features_val=st)
    est = FairIJClassifier(FrozenEstimator(pipe)).fit(X, y, **kw)
    assert est.preprocessor_.steps[0][1] is pipe.steps[0][1]
    np.testing.assert_allclose(
        est.initial_estimator_.predict_proba(Xt), pipe.predict_proba(Xt), rtol=1e-10
    )
    assert est.fit_status_ == "edited"


@pytest.mark.parametrize("Estimator", [FairIJClassifier, FairReweighter])
def test_pipeline_with_a_skorch_net(table, Estimator):
    from skfair_ij.benchmark import make_mlp

    X, y, s, Xt, yt, st = table
    net = make_mlp(8, 0, max_epochs=5, n_hidden=16)  # 5 one-hot + 3 numeric features
    est = Estimator(make_pipeline(_prep(), net), random_state=0).fit(X, y, sensitive_features=s)
    assert est.fit_status_ == "edited"
    pred = est.predict(Xt)
    assert set(np.unique(pred)) <= {"high", "low"}
    # the net inside the returned pipeline learnt the codes of classes_
    np.testing.assert_array_equal(est.classes_[est.estimator_.predict(Xt).astype(int)], pred)
