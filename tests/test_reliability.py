"""Nothing silent, nothing raw: each adversarial case of the second reliability
round gets a clear error or the documented behaviour (small data, the default
suite). The Ctrl-C and Dask worker-loss cases run in subprocesses with timeouts."""

import signal
import subprocess
import sys
import textwrap
import threading
import warnings

import numpy as np
import pandas as pd
import pytest
import torch
from sklearn.base import BaseEstimator, ClassifierMixin
from sklearn.linear_model import LogisticRegression
from sklearn.model_selection import GridSearchCV
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import StandardScaler

from skfair_ij import FairIJClassifier, FairReweighter
from skfair_ij.__main__ import main
from skfair_ij.datasets import make_biased_classification
from skfair_ij.influence import CG
from skfair_ij.metrics import make_fairness_scorer
from skfair_ij.weighting import IJack, SimJack

SUBPROCESS_TIMEOUT = 240


@pytest.fixture(scope="module")
def data():
    X, y, s = make_biased_classification(600, 5, bias=2.0, random_state=0)
    return X[200:], y[200:], s[200:], (X[:200], y[:200], s[:200])


def _validation(val):
    Xv, yv, sv = val
    return dict(X_val=Xv, y_val=yv, sensitive_features_val=sv)


# ---------------------------------------------------------------- silent results
def test_nan_in_transformed_validation_inputs_is_an_error(data):
    X, y, s, (Xv, yv, sv) = data
    Xv = Xv.copy()
    Xv[0, 0] = np.nan  # a StandardScaler lets it through
    model = FairIJClassifier(make_pipeline(StandardScaler(), LogisticRegression()))
    with pytest.raises(ValueError, match="X_val after the Pipeline's preprocessing contains NaN"):
        model.fit(X, y, sensitive_features=s, X_val=Xv, y_val=yv, sensitive_features_val=sv)


def test_pandas_inputs_with_another_index_are_refused(data):
    X, y, s, _ = data
    frame = pd.DataFrame(X)
    shuffled = pd.Series(s, index=frame.index[::-1])
    with pytest.raises(ValueError, match=r"sensitive_features has a pandas index that differs"):
        FairIJClassifier().fit(frame, y, sensitive_features=shuffled)
    with pytest.raises(ValueError, match=r"y has a pandas index.*y.loc\[X.index\]"):
        FairIJClassifier().fit(frame, pd.Series(y, index=frame.index[::-1]), sensitive_features=s)
    # the same index in another order of construction is accepted
    aligned = pd.Series(s, index=frame.index)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        FairIJClassifier(random_state=0).fit(frame, y, sensitive_features=aligned)


def test_a_pretrained_model_with_nan_parameters_is_an_error(data):
    X, y, s, val = data
    model = LogisticRegression().fit(X, y)
    model.coef_[0, 0] = np.nan
    with pytest.raises(ValueError, match="1 parameter\\(s\\) that are NaN or infinite"):
        FairIJClassifier(model, prefit=True).fit(X, y, sensitive_features=s, **_validation(val))


def test_a_torch_module_with_a_nan_weight_is_an_error(data):
    X, y, s, (Xv, yv, sv) = data
    net = torch.nn.Sequential(torch.nn.Linear(5, 4), torch.nn.ReLU(), torch.nn.Linear(4, 1))
    with torch.no_grad():
        net[0].weight[0, 0] = float("nan")
    with pytest.raises(ValueError, match="NaN or infinite"):
        FairIJClassifier(net, prefit=True).fit(
            X.astype(np.float32), y, sensitive_features=s, **_validation((Xv, yv, sv))
        )


@pytest.mark.parametrize("rule", [SimJack(lambdas=[1e308]), IJack(lambdas=[1e300, 1e308])])
def test_lambdas_that_overflow_are_refused(data, rule):
    X, y, s, _ = data
    with pytest.raises(ValueError, match="are too large: the edited parameters overflow"):
        FairIJClassifier(weighting=rule).fit(X, y, sensitive_features=s)


def test_the_scorers_take_the_greater_label_as_favourable():
    y_true = np.array([1, 1, 2, 2, 1, 1, 2, 2])
    y_pred = np.array([1, 1, 2, 2, 1, 1, 1, 1])  # group 1 never gets label 2
    s = np.array([0, 0, 0, 0, 1, 1, 1, 1])

    class Fixed(ClassifierMixin, BaseEstimator):
        classes_ = np.array([1, 2])

        def predict(self, X):
            return y_pred

    scorer = make_fairness_scorer("equal_opportunity", greater_is_better=True)
    import sklearn

    with sklearn.config_context(enable_metadata_routing=True):
        gap = scorer(Fixed(), np.zeros((8, 1)), y_true, sensitive_features=s)
    # TPR of label 2: 1 in group 0, 0 in group 1 (of label 1: 1 in both)
    assert gap == pytest.approx(1.0)


# ---------------------------------------------------------------- raw crashes
def test_a_selection_index_out_of_range_is_an_error(data):
    X, y, s, _ = data
    with pytest.raises(ValueError, match="returned index 1000000, but the path has"):
        FairIJClassifier(selection=lambda path: 10**6).fit(X, y, sensitive_features=s)
    with pytest.raises(TypeError, match="must return the integer index"):
        FairIJClassifier(selection=lambda path: 0.5).fit(X, y, sensitive_features=s)


def test_nested_settings_of_a_named_solver_are_searchable(data):
    X, y, s, _ = data
    search = GridSearchCV(FairIJClassifier(random_state=0), {"solver__damping": [0.1, 1.0]}, cv=2)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        search.fit(X, y, sensitive_features=s)
    assert search.best_estimator_.solver.damping in (0.1, 1.0)
    model = FairIJClassifier().set_params(solver__damping=0.5, weighting__n_steps=2)
    assert (model.solver.damping, model.weighting.n_steps) == (0.5, 2)
    assert FairIJClassifier(solver="exact").set_params(solver__damping=1).solver.method == "exact"


def test_a_memory_budget_too_small_is_refused_or_warned(data):
    X, y, s, _ = data
    with pytest.raises(ValueError, match="memory_budget=1 bytes is too small"):
        FairIJClassifier(solver=CG(memory_budget=1)).fit(X, y, sensitive_features=s)
    from skfair_ij.influence import BinaryModelProblem

    theta = torch.zeros(200_000, dtype=torch.float64)  # 8 × 1.6 MB per row of a chunk
    Xt = torch.zeros(100, 200_000, dtype=torch.float64)
    problem = BinaryModelProblem(
        lambda th, X: X @ th, theta, Xt, torch.zeros(100), memory_budget=2**20
    )
    with pytest.warns(UserWarning, match="holds only 1 row"):
        CG(memory_budget=2**20).curvature(problem, 1.0)


# ---------------------------------------------------------------- threads
class _Logit(torch.nn.Module):
    def __init__(self):
        super().__init__()
        self.hidden = torch.nn.Linear(5, 8)
        self.out = torch.nn.Linear(8, 1)

    def forward(self, X):
        return self.out(torch.relu(self.hidden(X))).squeeze(-1)


def _skorch_net():
    skorch = pytest.importorskip("skorch")
    return skorch.NeuralNetBinaryClassifier(_Logit, max_epochs=5, verbose=0, train_split=None)


def test_nets_trained_in_threads_match_sequential_fits(data):
    X, y, s, _ = data
    X = X.astype(np.float32)

    def fit(seed):
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            return FairIJClassifier(_skorch_net(), random_state=seed).fit(
                X, y, sensitive_features=s
            )

    sequential = [fit(seed) for seed in (1, 2)]
    state = torch.random.get_rng_state()
    fitted = {}
    threads = [threading.Thread(target=lambda k=k: fitted.__setitem__(k, fit(k))) for k in (1, 2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    # fits leave torch's global state as it was (skorch's predictions draw from it)
    assert torch.equal(torch.random.get_rng_state(), state)
    for k, expected in zip((1, 2), sequential, strict=True):
        np.testing.assert_array_equal(fitted[k].predict_proba(X), expected.predict_proba(X))


# ---------------------------------------------------------------- Ctrl-C
CTRL_C_SCRIPT = textwrap.dedent(
    """
    import sys, numpy as np, torch
    from skorch import NeuralNetBinaryClassifier
    from skfair_ij import FairIJClassifier, FairReweighter
    from skfair_ij.datasets import make_biased_classification

    X, y, s = make_biased_classification(1000, 5, bias=2.0, random_state=0)

    class Logit(torch.nn.Module):
        def __init__(self):
            super().__init__()
            self.linear = torch.nn.Linear(5, 1)

        def forward(self, X):
            return self.linear(X).squeeze(-1)

    net = NeuralNetBinaryClassifier(Logit, max_epochs=10**6, verbose=0, train_split=None)
    Estimator = {"edit": FairIJClassifier, "refit": FairReweighter}[sys.argv[1]]
    print("training", flush=True)
    try:
        Estimator(net, random_state=0).fit(X.astype(np.float32), y, sensitive_features=s)
    except KeyboardInterrupt as exc:
        print("interrupted:", exc, flush=True)
        sys.exit(130)
    print("returned a result", flush=True)
    """
)


@pytest.mark.parametrize("estimator", ["edit", "refit"])
def test_ctrl_c_while_a_net_trains_reaches_the_user(tmp_path, estimator):
    pytest.importorskip("skorch")
    script = tmp_path / "ctrl_c.py"
    script.write_text(CTRL_C_SCRIPT)
    process = subprocess.Popen(
        [sys.executable, str(script), estimator],
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
        # a background process may inherit SIGINT ignored: restore Python's handler
        preexec_fn=lambda: signal.signal(signal.SIGINT, signal.SIG_DFL),
    )
    try:
        assert process.stdout.readline().strip() == "training"
        threading.Event().wait(3.0)  # well inside the million epochs
        process.send_signal(signal.SIGINT)
        out, _ = process.communicate(timeout=SUBPROCESS_TIMEOUT)
    finally:
        process.kill()
    assert process.returncode == 130, out
    assert "interrupted: Training was interrupted" in out
    assert "returned a result" not in out


# ---------------------------------------------------------------- the CLI
@pytest.fixture(scope="module")
def table(tmp_path_factory):
    rng = np.random.default_rng(0)
    n = 400
    frame = pd.DataFrame(
        {
            "a": rng.normal(size=n),
            "b": rng.choice(list("xyz"), n),
            "g": rng.choice(["m", "f"], n),
            "y": rng.choice(["yes", "no"], n),
            "y3": rng.choice([1, 2, 3], n),
        }
    )
    frame.loc[:9, "g"] = None  # ten rows without a group
    frame.loc[10:14, "a"] = np.nan  # missing feature values
    folder = tmp_path_factory.mktemp("cli")
    frame.to_csv(folder / "t.csv", index=False)
    (folder / "bad.csv").write_text('a,b\n1,"2\n')
    (folder / "empty.csv").write_text("")
    return folder


@pytest.mark.parametrize(
    "args, message",
    [
        ("--data {d}/none.csv --target y --sensitive g", "no such file"),
        ("--data {d}/t.csv --target nope --sensitive g", "no column ['nope']"),
        ("--data {d}/t.csv --target y --sensitive g --positive maybe", "choose one of"),
        ("--data {d}/t.csv --target y3 --sensitive g", "must hold two labels, got 3"),
        ("--data {d}/t.csv --target y --sensitive a", "looks continuous"),
        ("--data {d}/t.csv --sensitive g", "--data needs --target"),
        ("--data {d}/t.txt --target y --sensitive g", "must be a .csv or .parquet"),
        ("--data {d}/empty.csv --target y --sensitive g", "could not be read"),
        ("--data {d}/bad.csv --target a --sensitive b", "could not be read"),
        ("--target y", "pass --data too"),
        ("--dataset german_credit --sensitive foo", "no column ['foo']"),
        ("--model logreg --methods nope", "Unknown methods"),
        ("--data {d}/t.csv --target y --sensitive g --out /proc/none/x", "No such file"),
    ],
)
def test_bad_cli_input_is_one_line_and_a_nonzero_exit(table, capsys, args, message):
    argv = ["benchmark", "--no-progress", "--model", "logreg", *args.format(d=table).split()]
    with pytest.raises(SystemExit) as exit_info:
        main(argv)
    assert exit_info.value.code == 2
    err = capsys.readouterr().err
    assert "Traceback" not in err
    last = err.strip().splitlines()[-1]
    assert last.startswith("skfair-ij: error: ") and message in last


def test_cli_reports_dropped_rows_and_the_fit_status(table, capsys, tmp_path):
    argv = "benchmark --no-progress --model logreg --seeds 1 --methods erm ijack".split()
    argv += ["--data", str(table / "t.csv"), "--target", "y", "--sensitive", "g"]
    argv += ["--out", str(tmp_path)]
    assert main(argv) == 0
    out = capsys.readouterr().out
    assert "10 of 400 rows have no label or no group (y, g): they are left out." in out
    header, _, erm, ijack = _table_lines(out)
    assert header.split()[-1] == "status"
    assert erm.split()[-1] == "-"
    status = ijack.split()[-1]
    assert status in {"edited", "gap_already_small", "accuracy_cost", "no_improvement"}
    results = pd.read_csv(tmp_path / "results.csv")
    assert results.loc[results["method"] == "ijack", "status"].item() == status


def _table_lines(out):
    lines = out.splitlines()
    start = next(i for i, line in enumerate(lines) if line.startswith("method"))
    return lines[start], lines[start + 1], lines[start + 2], lines[start + 3]


def test_ctrl_c_reaches_the_cli_as_a_nonzero_exit(tmp_path):
    """Ctrl-C during the benchmark (the ERM net's training, or any later step)
    ends it with exit status 130, never with a table of a half-trained net."""
    pytest.importorskip("skorch")
    command = [sys.executable, "-m", "skfair_ij", "benchmark", "--seeds", "1", "--no-progress"]
    command += ["--methods", "erm", "ijack", "--out", str(tmp_path)]
    process = subprocess.Popen(
        command,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        cwd=tmp_path,
        preexec_fn=lambda: signal.signal(signal.SIGINT, signal.SIG_DFL),
    )
    try:
        threading.Event().wait(6.0)  # imports, Adult, then the MLP's training
        process.send_signal(signal.SIGINT)
        out, err = process.communicate(timeout=SUBPROCESS_TIMEOUT)
    finally:
        process.kill()
    assert process.returncode == 130, out + err
    assert "skfair-ij: interrupted" in err and "Traceback" not in err
    assert "results.csv" not in out


def test_a_failed_refit_blames_the_rule_weights_not_the_user(data):
    """A refit that fails on the rule's weights says so; it used to blame a
    sample_weight the user never passed."""

    class NoZeroWeights(LogisticRegression):
        def fit(self, X, y, sample_weight=None):
            if sample_weight is not None and (np.asarray(sample_weight) == 0).any():
                raise ValueError("sample_weight holds zeros")
            return super().fit(X, y, sample_weight=sample_weight)

    X, y, s, _ = data
    model = FairReweighter(NoZeroWeights(), weighting="fair_ij", random_state=0)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        with pytest.raises(ValueError, match="the weights are the rule's, not yours"):
            model.fit(X, y, sensitive_features=s)
