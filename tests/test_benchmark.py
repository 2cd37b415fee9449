"""The main job: ``skfair-ij benchmark`` end to end on a fast configuration."""

import numpy as np
import pandas as pd
import pytest

from skfair_ij.__main__ import main
from skfair_ij.benchmark import format_table, run_benchmark, summarize

# the columns results.csv must have (the benchmark's specification), and s@predict
RESULT_COLUMNS = set(
    "method seed test_error test_dp test_eo test_deo val_error val_dp fit_seconds needs_s".split()
)


def test_cli_writes_results_summary_and_plot(tmp_path, capsys):
    out = tmp_path / "bench"
    code = main(
        [
            "benchmark",
            "--model",
            "logreg",
            "--fairness",
            "eo",
            "--seeds",
            "2",
            "--methods",
            "erm",
            "ijack_fisher",
            "--out",
            str(out),
            "--no-progress",
        ]
    )
    assert code == 0
    printed = capsys.readouterr().out
    assert "ijack_fisher" in printed and "s@predict" in printed
    results = pd.read_csv(out / "results.csv")
    assert RESULT_COLUMNS <= set(results.columns)
    assert sorted(map(tuple, results[["method", "seed"]].values.tolist())) == [
        ("erm", 0),
        ("erm", 1),
        ("ijack_fisher", 0),
        ("ijack_fisher", 1),
    ]
    assert (out / "pareto_logreg_eo.png").stat().st_size > 0
    summary = pd.read_csv(out / "summary.csv", index_col=0)
    # on two splits the edit of the logistic regression lowers its test EO at little cost
    erm, fair = summary.loc["erm"], summary.loc["ijack_fisher"]
    assert fair["test_eo"] < erm["test_eo"]
    assert abs(fair["test_error"] - erm["test_error"]) < 0.02


def test_summary_two_standard_errors():
    rows = [
        {"method": "m", "seed": k, "needs_s": False, "test_error": v, "fit_seconds": v}
        for k, v in enumerate([0.1, 0.2, 0.3])
    ]
    for row in rows:
        for col in ("test_balanced_accuracy", "test_dp", "test_eo", "test_deo"):
            row[col] = row["test_error"]
        row["val_error"] = row["val_dp"] = 0.0
    summary = summarize(pd.DataFrame(rows))
    assert summary.loc["m", "test_error"] == pytest.approx(0.2)
    assert summary.loc["m", "test_error_2se"] == pytest.approx(2 * 0.1 / np.sqrt(3))
    assert summary.loc["m", "fit_seconds_median"] == pytest.approx(0.2)
    assert "±" in format_table(summary, "eo").splitlines()[2]


def test_one_seed_reports_no_standard_error(tmp_path):
    results = run_benchmark(model="logreg", seeds=1, methods=["erm"], out=tmp_path, progress=False)
    summary = summarize(results)
    assert np.isnan(summary.loc["erm", "test_error_2se"])
    table = format_table(summary, "dp")
    assert "±" not in table.splitlines()[2]
    assert "one seed" in table


@pytest.mark.parametrize(
    ("kwargs", "match"),
    [
        ({"dataset": "compas"}, "'adult' and 'german_credit' are bundled"),
        ({"model": "resnet"}, "Unknown model"),
        ({"fairness": "parity"}, "Unknown fairness"),
        ({"methods": ["erm", "magic"]}, "Unknown methods"),
        ({"seeds": 0}, "at least 1"),
    ],
)
def test_bad_arguments_are_named(tmp_path, kwargs, match):
    with pytest.raises(ValueError, match=match):
        run_benchmark(out=tmp_path, progress=False, **kwargs)
    assert not (tmp_path / "results.csv").exists()


def test_cli_rejects_zero_seeds(capsys):
    with pytest.raises(SystemExit):
        main(["benchmark", "--seeds", "0"])
    assert "--seeds must be at least 1" in capsys.readouterr().err


def test_cli_on_a_users_table(tmp_path, capsys):
    """--data/--target/--sensitive: raw columns (strings, categories), string labels."""
    from skfair_ij.datasets import make_biased_classification

    X, y, s = make_biased_classification(1200, 4, bias=2.0, proxy_strength=2.0, random_state=0)
    frame = pd.DataFrame(X, columns=["a", "b", "c", "d"]).assign(
        city=np.where(X[:, 1] > 0, "north", "south"),
        sex=np.where(s == 1, "m", "f"),
        paid=np.where(y == 1, "yes", "no"),
    )
    path = tmp_path / "people.csv"
    frame.to_csv(path, index=False)
    out = tmp_path / "bench"
    code = main(
        [
            "benchmark",
            "--model",
            "logreg",
            "--seeds",
            "1",
            "--methods",
            "erm",
            "ijack",
            "--data",
            str(path),
            "--target",
            "paid",
            "--sensitive",
            "sex",
            "--out",
            str(out),
            "--no-progress",
        ]
    )
    assert code == 0
    results = pd.read_csv(out / "results.csv").set_index("method")
    assert results.loc["ijack", "test_dp"] < results.loc["erm", "test_dp"]
    with pytest.raises(ValueError, match="no column"):
        run_benchmark(
            model="logreg",
            seeds=1,
            methods=["erm"],
            data=frame,
            target="paid",
            sensitive=["gender"],
            out=tmp_path / "x",
            progress=False,
        )


def test_adult_with_another_sensitive_attribute():
    from skfair_ij.benchmark import table_splits
    from skfair_ij.benchmark._table import adult_frame

    split = table_splits(adult_frame(), "income", ["sex", "race"], seed=0)
    X, y, s = split["train"]
    assert len(np.unique(s)) == 10 and X.dtype == np.float32 and set(np.unique(y)) == {0, 1}


def test_oxonfair_peers_with_true_and_inferred_groups(tmp_path):
    pytest.importorskip("oxonfair")
    methods = ["erm", "ijack", "oxonfair", "oxonfair_inferred"]
    results = run_benchmark(model="logreg", seeds=1, methods=methods, out=tmp_path, progress=False)
    summary = summarize(results)
    assert summary.loc["oxonfair", "needs_s"] and not summary.loc["oxonfair_inferred", "needs_s"]
    for peer in ("oxonfair", "oxonfair_inferred"):
        assert summary.loc[peer, "test_dp"] < summary.loc["erm", "test_dp"]
        assert np.isfinite(summary.loc[peer, "fit_vs_ijack"])
    assert summary.loc["ijack", "fit_vs_ijack"] == pytest.approx(1.0)


def test_a_method_that_raises_is_reported_and_the_others_go_on(tmp_path, monkeypatch, capsys):
    from skfair_ij.benchmark import _methods

    def broken(ctx):
        raise RuntimeError("no luck on this split")

    monkeypatch.setitem(_methods.METHODS, "threshold", broken)
    results = run_benchmark(
        model="logreg", seeds=1, methods=["erm", "threshold"], out=tmp_path, progress=False
    )
    summary = summarize(results)
    assert np.isfinite(summary.loc["erm", "test_error"])
    assert np.isnan(summary.loc["threshold", "test_error"])
    assert summary.loc["threshold", "n_failed"] == 1
    table = format_table(summary, "dp")
    assert "threshold failed on 1 of 1 seeds: RuntimeError: no luck on this split" in table
    captured = capsys.readouterr()
    assert "threshold failed on seed 0" in captured.out + captured.err


def test_a_stated_target_on_a_table_whose_x_hides_the_group(tmp_path):
    """--hide leaves the group and its proxy out of X; --target-gap is the bound
    of MaxGap, of ExpGrad (randomised and deterministic) and of OxonFair."""
    pytest.importorskip("fairlearn")
    from skfair_ij.datasets import make_biased_classification

    X, y, s = make_biased_classification(1600, 4, bias=2.0, proxy_strength=2.0, random_state=0)
    frame = pd.DataFrame(X, columns=["a", "b", "c", "d"]).assign(
        sex=np.where(s == 1, "m", "f"), paid=np.where(y == 1, "yes", "no")
    )
    results = run_benchmark(
        model="logreg",
        seeds=1,
        methods=["erm", "ijack_max_gap", "expgrad", "expgrad_deterministic"],
        data=frame,
        target="paid",
        sensitive=["sex"],
        hide=["sex", "a"],
        target_gap=0.1,
        out=tmp_path,
        progress=False,
    ).set_index("method")
    assert "failed" not in results or results["failed"].isna().all()
    assert results.loc["ijack_max_gap", "status"] in {"edited", "target_not_reached"}
    assert results.loc["ijack_max_gap", "val_dp"] < results.loc["erm", "val_dp"]
    # the deterministic predictions of the mixture are labels 0/1 as well
    assert set(np.unique(results.filter(like="test_").notna().values.ravel())) == {True}
    with pytest.raises(ValueError, match="target_gap must be between 0 and 1"):
        run_benchmark(model="logreg", seeds=1, methods=["erm"], target_gap=2.0, out=tmp_path)
