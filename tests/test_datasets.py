import subprocess
import sys
import zipfile

import numpy as np
import pandas as pd
import pytest

from skfair_ij.datasets import load_adult, make_biased_classification
from skfair_ij.metrics import demographic_parity_difference


def test_load_adult_frame():
    adult = load_adult(as_frame=True)
    assert adult.data.shape == (45222, 14)
    assert "sex" in adult.data.columns and "income" not in adult.data.columns
    assert set(adult.target.unique()) == {0, 1}
    assert adult.target.mean() == pytest.approx(0.2478, abs=1e-3)
    assert set(adult.sensitive.unique()) == {"Female", "Male"}
    assert not adult.data.isna().any().any()
    assert "CC BY 4.0" in adult.DESCR and "10.24432/C5XW20" in adult.DESCR
    assert isinstance(adult.data["workclass"].dtype, pd.CategoricalDtype)


def test_load_adult_arrays():
    adult = load_adult()
    assert adult.data.shape[0] == 45222 and adult.data.dtype == np.float64
    assert len(adult.feature_names) == adult.data.shape[1]
    assert adult.target.shape == (45222,) and adult.sensitive.shape == (45222,)
    X, y = load_adult(return_X_y=True)
    np.testing.assert_array_equal(X, adult.data)
    np.testing.assert_array_equal(y, adult.target)


def test_load_adult_works_offline(monkeypatch):
    import socket

    def no_network(*args, **kwargs):
        raise AssertionError("load_adult tried to open a network connection")

    monkeypatch.setattr(socket, "socket", no_network)
    monkeypatch.setattr(socket, "create_connection", no_network)
    assert load_adult().data.shape[0] == 45222


def test_wheel_contains_adult(tmp_path):
    from pathlib import Path

    root = Path(__file__).resolve().parents[1]
    subprocess.run(
        [
            sys.executable,
            "-m",
            "pip",
            "wheel",
            "--no-deps",
            "--no-build-isolation",
            "-q",
            "-w",
            str(tmp_path),
            str(root),
        ],
        check=True,
    )
    (wheel,) = tmp_path.glob("*.whl")
    names = zipfile.ZipFile(wheel).namelist()
    assert "skfair_ij/datasets/data/adult.csv.gz" in names
    assert "skfair_ij/datasets/data/german_credit.csv.gz" in names


def test_make_biased_classification_controls_bias():
    X, y, s = make_biased_classification(5000, 6, bias=3.0, random_state=0)
    assert X.shape == (5000, 6) and set(np.unique(y)) == {0, 1}
    biased = demographic_parity_difference(y, y, sensitive_features=s)
    X, y, s = make_biased_classification(5000, 6, bias=0.0, proxy_strength=0.0, random_state=0)
    fair = demographic_parity_difference(y, y, sensitive_features=s)
    assert biased > 0.3 and fair < 0.05
    again = make_biased_classification(5000, 6, bias=0.0, random_state=0)
    np.testing.assert_array_equal(
        again[0], make_biased_classification(5000, 6, bias=0.0, random_state=0)[0]
    )


def test_make_biased_classification_bad_input():
    with pytest.raises(ValueError, match="group_ratio"):
        make_biased_classification(10, 2, group_ratio=1.5)


def test_german_credit_is_bundled_and_encoded():
    from skfair_ij.datasets import load_german_credit

    german = load_german_credit(as_frame=True)
    assert german.data.shape == (1000, 20) and int(german.target.sum()) == 700
    assert set(german.sensitive) == {"female", "male"}
    X, y = load_german_credit(return_X_y=True)
    assert X.dtype == np.float64 and X.shape[0] == 1000 and np.isfinite(X).all()
    ages = load_german_credit(sensitive="age").sensitive
    assert int((ages == "under 25").sum()) == 149
    with pytest.raises(ValueError, match="sensitive must be"):
        load_german_credit(sensitive="race")


def test_benchmark_on_german_credit(tmp_path):
    from skfair_ij.benchmark import run_benchmark

    results = run_benchmark(
        dataset="german_credit",
        model="logreg",
        seeds=1,
        methods=["erm", "ijack"],
        out=tmp_path,
        progress=False,
    )
    assert set(results["method"]) == {"erm", "ijack"}
    assert np.isfinite(results["test_dp"]).all()
