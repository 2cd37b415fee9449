"""A Pipeline as the estimator: raw DataFrame columns, sparse one-hot features,
string labels; predictions from the raw X."""

import numpy as np
import pandas as pd
import pytest
import scipy.sparse
import sklearn
from sklearn.compose import ColumnTransformer
from sklearn.ensemble import HistGradientBoostingClassifier
from sklearn.feature_extraction.text import HashingVectorizer
from sklearn.frozen import FrozenEstimator
from sklearn.linear_model import LogisticRegression
from sklearn.model_selection import GridSearchCV
from sklearn.pipeline import Pipeline, make_pipeline
from sklearn.preprocessing import OneHotEncoder, StandardScaler

from skfair_ij import FairIJClassifier, FairReweighter, OneSE
from skfair_ij.datasets import make_biased_classification
from skfair_ij.influence import CG
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
    # the returned pipeline speaks the labels (its net learnt their codes)
    np.testing.assert_array_equal(est.estimator_.predict(Xt), pred)


# ---------------------------------------------------------------- sparse features
@pytest.fixture
def never_dense(monkeypatch):
    """Fail whenever a scipy sparse matrix is made dense."""

    def refuse(self, *args, **kwargs):
        raise AssertionError(f"a sparse {self.shape} matrix was made dense")

    for name in ("toarray", "todense"):
        monkeypatch.setattr(scipy.sparse._base._spbase, name, refuse)
        monkeypatch.setattr(scipy.sparse._compressed._cs_matrix, name, refuse)


def test_sparse_features_agree_with_dense_ones(table):
    """The same pre-trained model on CSR and on dense features: the same influences,
    path and edit."""
    X, y, s, *_ = table
    prep = _prep().set_params(sparse_threshold=1.0).fit(X)  # CSR out
    Z = prep.transform(X)
    assert scipy.sparse.issparse(Z)
    half = len(y) // 2
    model = LogisticRegression().fit(Z[:half], y[:half])
    kw = dict(
        sensitive_features=s[:half],
        X_val=None,
        y_val=y[half:],
        sensitive_features_val=s[half:],
    )
    fits = []
    for features in (Z, Z.toarray()):
        kw["X_val"] = features[half:]
        clf = FairIJClassifier(FrozenEstimator(model), solver=CG(tol=1e-10), random_state=0)
        fits.append(clf.fit(features[:half], y[:half], **kw))
    sparse, dense = fits
    np.testing.assert_allclose(sparse.influences_, dense.influences_, rtol=1e-7, atol=1e-12)
    assert sparse.lambda_ == pytest.approx(dense.lambda_, rel=1e-7)
    np.testing.assert_allclose(sparse.estimator_.coef_, dense.estimator_.coef_, rtol=1e-7)


def test_hashed_text_is_never_made_dense(never_dense):
    """2^18 hashed features: dense, 1,500 rows would take 3 GB; the fit, the path
    and predict run on the sparse rows."""
    with pytest.raises(AssertionError, match="made dense"):  # the guard is on
        scipy.sparse.eye(2, format="csr").toarray()
    rng = np.random.default_rng(0)
    n = 1500
    s = rng.integers(0, 2, n)
    words = np.array([f"w{i}" for i in range(300)])
    docs = [
        " ".join(rng.choice(words, 12)) + (" insider" if rng.random() < 0.2 + 0.6 * g else "")
        for g in s
    ]
    y = np.where(
        (np.array(["insider" in d for d in docs]) + rng.normal(0, 0.7, n)) > 0.5, "yes", "no"
    )
    pipe = make_pipeline(HashingVectorizer(n_features=2**18), LogisticRegression(C=10))
    clf = FairIJClassifier(pipe, random_state=0).fit(docs, y, sensitive_features=s)
    pred = clf.predict(docs)
    assert set(pred) <= {"yes", "no"} and clf.fit_status_ == "edited"
    assert (
        clf.path_["val_demographic_parity"][clf.best_index_]
        < clf.path_["val_demographic_parity"][0]
    )


@pytest.mark.parametrize("Estimator", [FairIJClassifier, FairReweighter])
def test_a_net_speaks_the_users_labels(Estimator):
    """A net learns the codes 0/1; the fitted models the user sees predict labels."""
    from skfair_ij import LabelledClassifier
    from skfair_ij.benchmark import make_mlp

    X, y, s = make_biased_classification(1500, 4, bias=2.0, proxy_strength=2.0, random_state=0)
    X = X.astype(np.float32)
    labels = np.where(y == 1, "approved", "denied")
    est = Estimator(make_mlp(4, seed=0, max_epochs=3), random_state=0)
    est.fit(X, labels, sensitive_features=s)
    for model in (est.estimator_, est.initial_estimator_):
        assert isinstance(model, LabelledClassifier)
        assert set(model.predict(X)) <= {"approved", "denied"}
        np.testing.assert_array_equal(model.classes_, ["approved", "denied"])
    assert set(est.predict(X)) <= {"approved", "denied"}
    # labels that are the codes themselves: the net as it is
    plain = Estimator(make_mlp(4, seed=0, max_epochs=3), random_state=0)
    assert not isinstance(plain.fit(X, y, sensitive_features=s).estimator_, LabelledClassifier)
