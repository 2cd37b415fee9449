"""How well each selection rule generalises: regret against the best test point.

One ``FairIJClassifier`` (logistic regression, the defaults) is fitted per data
set; its whole λ path (``path_thetas_``) is then scored on held-out test data,
and each selection rule picks its point from the validation columns of the
same path. A rule's **regret** on a data set is the test gap of its point minus
the lowest test gap among the path points whose test error is at most its own
(0 when no point of the path is fairer at the same error); its **error cost**
is its test error minus the unedited model's.

Data sets: 12 synthetic families (bias 1 or 3, proxy strength 0.5 or 2, the
minority 50%, 10% or 3% of 6,000 rows; a third more for validation and test)
and Adult (logistic regression on the one-hot features) with sex, race and
sex × race as the sensitive attribute; demographic parity.

    python benchmarks/bench_selection.py --repeats 3
"""

import argparse
import itertools
import warnings

import numpy as np
import pandas as pd
import torch
from sklearn.linear_model import LogisticRegression

from skfair_ij import FairIJClassifier, MaxGap, MinGap, OneSE, WithinTolerance
from skfair_ij.adapters import get_adapter
from skfair_ij.datasets import load_adult, make_biased_classification
from skfair_ij.metrics import demographic_parity_difference
from skfair_ij.metrics._fairness import hard_gaps

RULES = {
    "one_se (default)": OneSE(0.02),
    "tolerance": WithinTolerance(0.02),
    "one_se, tolerance 0.01": OneSE(0.01),
    "max_gap 0.05": MaxGap(0.05, max_cost=0.02),
    "min_gap": MinGap(),
}


def synthetic(bias, proxy, share, seed):
    X, y, s = make_biased_classification(
        10000, 8, bias=bias, proxy_strength=proxy, group_ratio=share, random_state=seed
    )
    return (
        (X[:6000], y[:6000], s[:6000]),
        (X[6000:8000], y[6000:8000], s[6000:8000]),
        (
            X[8000:],
            y[8000:],
            s[8000:],
        ),
    )


def adult(attribute, seed):
    data = load_adult(as_frame=True)
    frame = data.data
    X = load_adult().data
    y = data.target.to_numpy()
    columns = attribute.split("+")
    s = frame[columns].astype(str).agg("|".join, axis=1).to_numpy()
    order = np.random.default_rng(seed).permutation(len(y))
    parts = np.split(order, [15000, 25000, 35000])[:3]
    return [(X[p], y[p], s[p]) for p in parts]


def test_path(clf, X, y, s):
    """Test error, DP gap and the gap's standard error at every point of the path."""
    adapter = get_adapter(clf.initial_estimator_)
    positive = adapter.positive(torch.as_tensor(X), clf.path_thetas_)
    errors = (positive != (y == 1)).mean(1)
    gaps = np.array([demographic_parity_difference(y, p, sensitive_features=s) for p in positive])
    codes = np.unique(s, return_inverse=True)[1]
    se = np.array([hard_gaps(y == 1, p, codes)[1]["demographic_parity"] for p in positive])
    return errors, gaps, se


def evaluate(train, val, test):
    (X, y, s), (Xv, yv, sv), (Xt, yt, st) = train, val, test
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        clf = FairIJClassifier(LogisticRegression(max_iter=1000), random_state=0).fit(
            X, y, sensitive_features=s, X_val=Xv, y_val=yv, sensitive_features_val=sv
        )
    if clf.path_ is None:
        return None
    errors, gaps, se = test_path(clf, Xt, yt, st)
    ref = int(np.argmin(clf.path_["lambda"]))
    rows = {}
    for name, rule in RULES.items():
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            k = rule.select(clf.path_, gap=clf.path_.gap, warn=False)
        same_error = errors <= errors[k] + 1e-12
        regret = gaps[k] - gaps[same_error].min()
        rows[name] = {
            "regret": regret,
            # in standard errors of the selected point's test gap (test noise)
            "regret / SE": regret / max(se[k], 1e-12),
            "error cost": errors[k] - errors[ref],
            "test gap": gaps[k],
            "unedited gap": gaps[ref],
        }
    return rows


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeats", type=int, default=3)
    args = parser.parse_args()
    datasets = [
        (
            f"synthetic bias {b:g} proxy {p:g} minority {m:.0%}",
            lambda r, b=b, p=p, m=m: synthetic(b, p, m, r),
        )
        for b, p, m in itertools.product((1.0, 3.0), (0.5, 2.0), (0.5, 0.1, 0.03))
    ] + [(f"Adult {a}", lambda r, a=a: adult(a, r)) for a in ("sex", "race", "sex+race")]
    records = []
    for name, make in datasets:
        for repeat in range(args.repeats):
            rows = evaluate(*make(repeat))
            if rows is None:
                continue
            for rule, values in rows.items():
                records.append({"data": name, "repeat": repeat, "rule": rule, **values})
        print(f"done: {name}", flush=True)
    table = pd.DataFrame(records)
    per_data = table.groupby(["data", "rule"])[["regret", "error cost"]].mean().unstack("rule")
    print("\nmean regret (test DP above the best path point at the same test error)")
    print(per_data["regret"].round(3).to_string())
    print("\nmean test error cost against the unedited model")
    print(per_data["error cost"].round(3).to_string())
    print("\nlargest regret in standard errors of the test gap")
    print(table.groupby(["data", "rule"])["regret / SE"].max().unstack("rule").round(2).to_string())
    summary = table.groupby("rule").agg(
        regret_mean=("regret", "mean"),
        regret_max=("regret", "max"),
        regret_se_max=("regret / SE", "max"),
        error_cost_mean=("error cost", "mean"),
        error_cost_max=("error cost", "max"),
        gap_mean=("test gap", "mean"),
    )
    print("\nover all data sets and repeats")
    print(summary.round(3).to_string())


if __name__ == "__main__":
    main()
