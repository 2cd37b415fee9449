"""The same fit on a Dask cluster: numpy, dask arrays and a Parquet-backed dask
dataframe give the same influences, weights, path, λ and predictions."""

import os
import subprocess
import sys
import textwrap
import warnings

import numpy as np
import pandas as pd
import pytest
import torch
from numpy.testing import assert_allclose
from sklearn.linear_model import LogisticRegression

from skfair_ij import FairIJClassifier, FairReweighter
from skfair_ij.backends.dask import DaskProblem
from skfair_ij.datasets import make_biased_classification
from skfair_ij.influence import CG, BinaryModelProblem, Exact
from skfair_ij.influence._order import count_above, kth_largest, largest_below
from skfair_ij.metrics import DemographicParity, EqualizedOdds

da = pytest.importorskip("dask.array")
dd = pytest.importorskip("dask.dataframe")

RTOL = 1e-8
VALIDATION = DemographicParity(gap_data="validation")


@pytest.fixture
def client(dask_client):
    return dask_client


@pytest.fixture(scope="module")
def data():
    X, y, s = make_biased_classification(3000, 6, bias=2.0, proxy_strength=1.0, random_state=0)
    Xv, yv, sv = make_biased_classification(1500, 6, bias=2.0, proxy_strength=1.0, random_state=1)
    model = LogisticRegression(C=0.5).fit(X, y)
    return X, y, s, (Xv, yv, sv), model


def _as_dask(X, y, s, chunks):
    return (da.from_array(X, chunks=(chunks, -1)),) + tuple(
        da.from_array(v, chunks=chunks) for v in (y, s)
    )


def _parquet(tmp_path, X, y, s, n_files=4):
    frame = pd.DataFrame(X, columns=[f"x{j}" for j in range(X.shape[1])])
    frame["y"], frame["group"] = y, s
    dd.from_pandas(frame, npartitions=n_files).to_parquet(tmp_path / "train")
    table = dd.read_parquet(tmp_path / "train")
    return table.drop(columns=["y", "group"]), table["y"], table["group"]


def _fit(estimator, X, y, s, validation):
    Xv, yv, sv = validation
    return estimator.fit(X, y, sensitive_features=s, X_val=Xv, y_val=yv, sensitive_features_val=sv)


def _assert_same_fit(local, remote, Xv):
    assert remote.lambda_ == pytest.approx(local.lambda_, rel=RTOL)
    assert remote.best_index_ == local.best_index_
    assert remote.fit_status_ == local.fit_status_
    assert_allclose(np.asarray(remote.influences_), local.influences_, rtol=RTOL, atol=1e-12)
    assert_allclose(np.asarray(remote.sample_weight_), local.sample_weight_, rtol=RTOL)
    for column in ("lambda", "val_gap", "val_accuracy"):
        assert_allclose(remote.path_[column], local.path_[column], rtol=RTOL)
    assert_allclose(remote.path_thetas_, local.path_thetas_, rtol=RTOL, atol=1e-12)
    assert_allclose(
        np.asarray(remote.predict_proba(da.from_array(Xv, chunks=500))),
        local.predict_proba(Xv),
        rtol=RTOL,
    )


@pytest.mark.parametrize(
    "weighting, solver",
    [("ijack", Exact()), ("ijack", CG(tol=1e-10)), ("fair_ij", Exact()), ("drop_upweight", CG())],
    ids=["ijack-exact", "ijack-cg", "fair_ij-exact", "drop_upweight-cg"],
)
def test_dask_arrays_match_numpy(client, data, weighting, solver):
    X, y, s, validation, model = data
    params = dict(fairness=VALIDATION, weighting=weighting, solver=solver, prefit=True)
    local = _fit(FairIJClassifier(model, **params), X, y, s, validation)
    remote = _fit(FairIJClassifier(model, **params), *_as_dask(X, y, s, 700), validation)
    assert local.fit_status_ == "edited"
    assert remote.influences_.__class__.__module__.startswith("dask")
    _assert_same_fit(local, remote, validation[0])


def test_parquet_dataframe_matches_numpy(client, data, tmp_path):
    pytest.importorskip("pyarrow")
    X, y, s, validation, model = data
    params = dict(fairness=VALIDATION, prefit=True)
    local = _fit(FairIJClassifier(model, **params), X, y, s, validation)
    Xd, yd, sd = _parquet(tmp_path, X, y, s)
    Xv, yv, sv = validation
    frame_v = pd.DataFrame(Xv, columns=Xd.columns)
    fitted = FairIJClassifier(model, **params)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", UserWarning)  # the model was fitted without names
        remote = _fit(fitted, Xd, yd, sd, (frame_v, yv, sv))
        _assert_same_fit(local, remote, validation[0])
    assert list(remote.feature_names_in_) == list(Xd.columns)


@pytest.mark.parametrize("chunks", [250, 2999])
def test_chunking_does_not_change_the_fit(client, data, chunks):
    X, y, s, validation, model = data
    params = dict(fairness=EqualizedOdds(gap_data="validation"), solver=Exact(), prefit=True)
    reference = _fit(FairIJClassifier(model, **params), *_as_dask(X, y, s, 600), validation)
    other = _fit(FairIJClassifier(model, **params), *_as_dask(X, y, s, chunks), validation)
    _assert_same_fit(reference, other, validation[0])


def test_passes_as_documented(client, data):
    """Exact solver, one-step I-JACK: the curvature matrix, the influences and
    the direction's gradient sum — three passes; CG adds one per iteration."""
    X, y, s, validation, model = data
    exact = FairIJClassifier(model, fairness=VALIDATION, solver=Exact(), prefit=True)
    exact = _fit(exact, *_as_dask(X, y, s, 700), validation)
    assert exact.n_passes_ == 3
    cg = FairIJClassifier(model, fairness=VALIDATION, solver=CG(tol=1e-8), prefit=True)
    cg = _fit(cg, *_as_dask(X, y, s, 700), validation)
    assert 3 < cg.n_passes_ <= 2 + 2 * X.shape[1] + 2
    in_memory = _fit(FairIJClassifier(model, fairness=VALIDATION, prefit=True), X, y, s, validation)
    assert in_memory.n_passes_ is None


def test_reweighter_refits_by_weighted_lbfgs(client, data):
    X, y, s, validation, _ = data
    params = dict(
        estimator=LogisticRegression(tol=1e-10, max_iter=1000), fairness=VALIDATION, random_state=0
    )
    local = _fit(FairReweighter(**params), X, y, s, validation)
    remote = _fit(FairReweighter(**params), *_as_dask(X, y, s, 700), validation)
    assert remote.lambda_ == pytest.approx(local.lambda_, rel=1e-6)
    for attribute in ("initial_estimator_", "estimator_"):
        a, b = getattr(local, attribute), getattr(remote, attribute)
        assert_allclose(b.coef_, a.coef_, rtol=1e-6, atol=1e-8)
        assert_allclose(b.intercept_, a.intercept_, rtol=1e-6, atol=1e-8)
    assert_allclose(np.asarray(remote.sample_weight_), local.sample_weight_, rtol=1e-6)
    labels = remote.predict(da.from_array(validation[0], chunks=400))
    assert_allclose(np.asarray(labels), local.predict(validation[0]))


def test_survey_weights_and_string_labels_on_dask(client, data):
    X, y, s, validation, _ = data
    weights = np.random.default_rng(0).uniform(0.5, 2.0, len(y))
    labels = np.where(y == 1, "yes", "no")
    Xv, yv, sv = validation
    val = (Xv, np.where(yv == 1, "yes", "no"), sv)
    model = LogisticRegression().fit(X, labels, sample_weight=weights)
    params = dict(fairness=VALIDATION, solver=Exact(), prefit=True)
    local = FairIJClassifier(model, **params).fit(
        X, labels, sensitive_features=s, sample_weight=weights,
        X_val=val[0], y_val=val[1], sensitive_features_val=val[2],
    )  # fmt: skip
    Xd, yd, sd = _as_dask(X, labels, s, 700)
    remote = FairIJClassifier(model, **params).fit(
        Xd, yd, sensitive_features=sd, sample_weight=da.from_array(weights, chunks=700),
        X_val=val[0], y_val=val[1], sensitive_features_val=val[2],
    )  # fmt: skip
    _assert_same_fit(local, remote, Xv)
    predicted = remote.predict(da.from_array(Xv, chunks=500)).compute()
    assert set(predicted) <= {"yes", "no"}
    assert_allclose(predicted == "yes", local.predict(Xv) == "yes")


@pytest.mark.parametrize("weighting", ["ijack", "fair_ij"])
def test_default_pooled_gaps_match_numpy(client, data, weighting):
    """gap_data="pooled" (the default): the training rows' cell sums and counts
    come from the row blocks."""
    X, y, s, validation, model = data
    params = dict(weighting=weighting, prefit=True)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", UserWarning)  # the overfit check may warn
        local = _fit(FairIJClassifier(model, **params), X, y, s, validation)
        remote = _fit(FairIJClassifier(model, **params), *_as_dask(X, y, s, 700), validation)
    assert "pooled_gap" in remote.path_
    assert_allclose(remote.path_["pooled_gap"], local.path_["pooled_gap"], rtol=RTOL)
    _assert_same_fit(local, remote, validation[0])


def test_held_out_validation_on_dask(client, data):
    """Without validation data a random share of the Dask rows is held out."""
    X, y, s, _, _ = data
    Xd, yd, sd = _as_dask(X, y, s, 700)
    clf = FairIJClassifier(validation_fraction=0.25, random_state=0)
    clf.fit(Xd, yd, sensitive_features=sd)
    n_train = int(clf.train_indices_.compute().size)
    assert 0.7 * len(y) < n_train < 0.8 * len(y)
    assert clf.influences_.shape == (n_train,)
    assert clf.fit_status_ == "edited"
    # the same rows in memory give the same fit
    train = clf.train_indices_.compute()
    held = np.setdiff1d(np.arange(len(y)), train)
    local = FairIJClassifier(clf.initial_estimator_, prefit=True).fit(
        X[train], y[train], sensitive_features=s[train],
        X_val=X[held], y_val=y[held], sensitive_features_val=s[held],
    )  # fmt: skip
    assert_allclose(np.asarray(clf.influences_), local.influences_, rtol=RTOL, atol=1e-12)
    assert clf.lambda_ == pytest.approx(local.lambda_, rel=RTOL)


@pytest.mark.parametrize(
    "change, message",
    [
        (dict(weighting="simjack"), "not available on Dask"),
        (dict(), "trained on the X, y given"),
    ],
)
def test_clear_errors_on_dask(data, change, message):
    X, y, s, validation, model = data
    params = dict(fairness=VALIDATION, prefit=True) | change
    clf = FairIJClassifier(model, **params)
    Xd, yd, sd = _as_dask(X, y, s, 1000)
    if "given" in message:  # a pre-trained model needs validation data
        with pytest.raises(ValueError, match=message):
            clf.fit(Xd, yd, sensitive_features=sd)
        return
    with pytest.raises(ValueError, match=message):
        _fit(clf, Xd, yd, sd, validation)


def test_bad_sample_weight_on_dask(data):
    X, y, s, validation, model = data
    Xd, yd, sd = _as_dask(X, y, s, 1000)
    clf = FairIJClassifier(model, prefit=True)
    Xv, yv, sv = validation
    for weights, message in ((-np.ones(len(y)), "Negative"), (np.zeros(len(y)), "zero")):
        with pytest.raises(ValueError, match=message):
            clf.fit(
                Xd, yd, sensitive_features=sd, sample_weight=da.from_array(weights),
                X_val=Xv, y_val=yv, sensitive_features_val=sv,
            )  # fmt: skip


def test_a_net_needs_to_be_pretrained_on_dask(data):
    from skfair_ij.benchmark import make_mlp

    X, y, s, validation, _ = data
    with pytest.raises(TypeError, match="cannot be trained on Dask"):
        _fit(FairIJClassifier(make_mlp(X.shape[1], 0)), *_as_dask(X, y, s, 1000), validation)


def test_a_pretrained_net_is_edited_on_dask(client, data):
    """A skorch net (float32), the default pooled gaps: the same edit as in memory."""
    from skfair_ij.benchmark import make_mlp

    X, y, s, validation, _ = data
    net = make_mlp(X.shape[1], 0, max_epochs=3, n_hidden=16)
    net.fit(X.astype(np.float32), y.astype(np.float32))
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", UserWarning)
        local = _fit(FairIJClassifier(net, prefit=True), X, y, s, validation)
        remote = _fit(FairIJClassifier(net, prefit=True), *_as_dask(X, y, s, 700), validation)
    assert remote.lambda_ == pytest.approx(local.lambda_, rel=1e-4)
    assert_allclose(np.asarray(remote.influences_), local.influences_, rtol=1e-4, atol=1e-6)
    predicted = remote.predict(da.from_array(validation[0], chunks=400)).compute()
    assert np.mean(predicted == local.predict(validation[0])) > 0.99


def test_problem_passes_match_memory_for_a_net():
    """Autodiff products (a nonlinear logit) by blocks equal those in memory."""
    rng = np.random.default_rng(0)
    X = rng.normal(size=(500, 4))
    y = (X[:, 0] > 0).astype(float)
    theta = torch.tensor([1.0, 0.5, -0.2, 0.1], dtype=torch.float64)

    def logit(th, X):
        return 2 * torch.tanh(X @ th)

    rho = torch.full((4,), 0.01, dtype=torch.float64)
    local = BinaryModelProblem(logit, theta, torch.as_tensor(X), torch.as_tensor(y), l2_penalty=rho)
    remote = DaskProblem(
        logit, theta, da.from_array(X, chunks=(120, 2)), da.from_array(y, chunks=90), l2_penalty=rho
    )
    V = torch.as_tensor(rng.normal(size=(4, 2)))
    for method in ("gauss_newton_product", "hessian_product"):
        assert_allclose(getattr(remote, method)(V), getattr(local, method)(V), rtol=1e-10)
    assert_allclose(remote.dense_hessian(), local.dense_hessian(), rtol=1e-10)
    assert_allclose(remote.gradient_products(V).compute(), local.gradient_products(V), rtol=1e-10)
    assert remote.mean_curvature() == pytest.approx(local.mean_curvature(), rel=1e-10)


def test_order_statistics_without_a_sort():
    rng = np.random.default_rng(0)
    values = np.concatenate([rng.normal(size=20000), np.full(5000, 0.5), [1e9, -1e9]])
    rng.shuffle(values)
    lazy = da.from_array(values, chunks=3000)
    ks = np.array([1, 2, 10, 4000, 7000, 9000, 25002])
    assert_allclose(kth_largest(lazy, ks, max_gather=500), np.sort(values)[::-1][ks - 1])
    thresholds = [0.0, 0.5, 2.0]
    assert_allclose(count_above(lazy, thresholds), count_above(values, thresholds))
    assert_allclose(count_above(lazy, [0.5], strict=False), [(values >= 0.5).sum()])
    assert_allclose(largest_below(lazy, [0.5, -1e9]), [values[values < 0.5].max(), -np.inf])


# ---------------------------------------------------------------- workers lost
WORKER_KILL_SCRIPT = textwrap.dedent(
    """
    import os, signal, sys, warnings
    import dask.array as da
    from distributed import Client, LocalCluster
    from sklearn.linear_model import LogisticRegression
    from skfair_ij import FairIJClassifier
    from skfair_ij.datasets import make_biased_classification
    from skfair_ij.backends import _dask_passes as _dask
    from skfair_ij.backends.dask import DaskWorkerLostError

    warnings.simplefilter("ignore")
    if __name__ == "__main__":
        cluster = LocalCluster(n_workers=2, threads_per_worker=1, processes=True,
                               dashboard_address=None)
        client = Client(cluster)
        X, y, s = make_biased_classification(20000, 6, bias=2.0, random_state=0)
        Xv, yv, sv = make_biased_classification(2000, 6, bias=2.0, random_state=1)
        validation = dict(X_val=Xv, y_val=yv, sensitive_features_val=sv)
        Xd = da.from_array(X, chunks=(2500, -1))
        yd, sd = (da.from_array(v, chunks=2500) for v in (y, s))
        local = FairIJClassifier(LogisticRegression(), random_state=0).fit(
            X, y, sensitive_features=s, **validation
        )
        reduce, shared = _dask.DaskProblem.reduce, _dask._shared

        def kill_a_worker():
            worker = next(iter(cluster.workers.values()))
            os.kill(worker.process.pid, signal.SIGKILL)

        for phase in ("train", "fairness"):
            calls = []

            # training: a worker dies as the model is sent for the third pass
            def kill_on_third_scatter(value, phase=phase, calls=calls):
                if phase == "train":
                    calls.append("scatter")
                    if len(calls) == 3:
                        kill_a_worker()
                return shared(value)

            # the fairness step: a worker dies before its third pass
            def kill_on_third_pass(self, method, *args, phase=phase, calls=calls, **kwargs):
                if phase == "fairness" and method != "loss_gradient_sum":
                    calls.append(method)
                    if len(calls) == 3:
                        kill_a_worker()
                return reduce(self, method, *args, **kwargs)

            _dask._shared = kill_on_third_scatter
            _dask.DaskProblem.reduce = kill_on_third_pass
            try:
                fitted = FairIJClassifier(LogisticRegression(), random_state=0).fit(
                    Xd, yd, sensitive_features=sd, **validation
                )
                same = abs(fitted.lambda_ - local.lambda_) <= 1e-6 * max(1.0, local.lambda_)
                print("RESULT", phase, len(calls) >= 3, fitted.fit_status_,
                      "same" if same else "different", flush=True)
            except DaskWorkerLostError as exc:
                print("RESULT", phase, "lost:", str(exc).splitlines()[0], flush=True)
        client.close()
        cluster.close()
    """
)


def test_a_worker_killed_mid_fit_is_recovered(tmp_path):
    """A worker killed while the model trains on the cluster, then while the
    influences are computed: the fit recovers and gives the in-memory result
    (before, training raised a raw KeyError or CommClosedError, or hung)."""
    pytest.importorskip("distributed")
    script = tmp_path / "kill_worker.py"
    script.write_text(WORKER_KILL_SCRIPT)
    done = subprocess.run(
        [sys.executable, str(script)],
        capture_output=True,
        text=True,
        timeout=240,
        env={**os.environ, "PYTHONWARNINGS": "ignore"},
    )
    results = [line.split()[1:] for line in done.stdout.splitlines() if line.startswith("RESULT")]
    assert len(results) == 2, done.stdout[-2000:] + done.stderr[-3000:]
    assert results == [[p, "True", "edited", "same"] for p in ("train", "fairness")], results


def test_repeated_worker_loss_is_one_clear_error(monkeypatch):
    """A pass that keeps failing as workers are lost ends in one clear error
    after the retries, not a raw exception or a hang."""
    pytest.importorskip("distributed")
    from skfair_ij.backends import _dask_cluster as _cluster

    attempts = []

    def always_lost():
        attempts.append(1)
        raise KeyError("tcp://127.0.0.1:1")  # what a scatter to a dead worker raises

    monkeypatch.setattr(_cluster, "_client", lambda: object())
    monkeypatch.setattr(_cluster.time, "sleep", lambda seconds: None)
    with pytest.raises(_cluster.DaskWorkerLostError, match="lost a worker, and a pass failed 4"):
        _cluster.on_cluster("a pass", always_lost)
    assert len(attempts) == _cluster.DASK_RETRIES + 1
