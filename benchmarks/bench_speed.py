"""The fairness step against the training it saves: time ratios from one run.

For a logistic regression on N × D synthetic features, on one thread (torch
and BLAS): ``LogisticRegression.fit`` against ``FairIJClassifier(prefit=True).fit``
with the defaults (influences, the λ path and the selection), fairlearn's
``ExponentiatedGradient`` (DP, eps 0.02) and OxonFair's per-group thresholds
(DP ≤ 0.02, on the validation rows) where asked. Two kinds of features:

* ``normal``: Gaussian features, a tenth of them binary proxies of the group;
  10% more rows held out for validation;
* ``binary``: binary features (frequencies 0.2–0.5), 20 of them proxies of the
  group; half as many validation rows as training rows (60,000 × 500 is the
  problem of issue 18).

Times are medians of ``--repeats`` runs of each fit (LR and the fairness step
alternate). For the benchmark MLP on Adult (split 0, 2 threads): the net's
training against the fairness step.

    python benchmarks/bench_speed.py --rows 10000 100000 1000000 --features 50 500 \
        --kinds normal binary --expgrad --oxonfair --mlp
"""

import argparse
import time
import warnings

import numpy as np
import torch
from sklearn.linear_model import LogisticRegression
from threadpoolctl import threadpool_limits

from skfair_ij import FairIJClassifier


def timed(fn):
    start = time.perf_counter()
    out = fn()
    return out, time.perf_counter() - start


def problem(n, d, kind="normal", seed=0):
    rng = np.random.default_rng(seed)
    n_val = n // 10 if kind == "normal" else n // 2
    n_all = n + n_val
    s = rng.integers(0, 2, n_all)
    if kind == "normal":
        X = rng.normal(size=(n_all, d))
        proxies = max(1, d // 10)
    else:
        X = (rng.uniform(size=(n_all, d)) < 0.2 + 0.3 * rng.uniform(size=d)).astype(float)
        proxies = min(20, d)
    X[:, :proxies] = (rng.uniform(size=(n_all, proxies)) < 0.3 + 0.4 * s[:, None]).astype(float)
    beta = rng.normal(size=d) / np.sqrt(d)
    score = X @ beta
    y = (score - score.mean() + s + rng.normal(size=n_all) > 0.5).astype(int)
    return (X[:n], y[:n], s[:n]), (X[n:], y[n:], s[n:])


def oxonfair_seconds(model, Xv, yv, sv):
    """OxonFair's thresholds on the trained model (true groups, DP ≤ 0.02)."""
    from oxonfair import FairPredictor
    from oxonfair import group_metrics as gm

    def fit():
        fair = FairPredictor(model, {"data": Xv, "target": yv, "groups": sv})
        fair.fit(gm.accuracy, gm.demographic_parity, 0.02)

    return timed(fit)[1]


def logreg_rows(rows, features, kinds, repeats, expgrad, oxonfair, expgrad_max_rows):
    print(
        "\nlogistic regression, one thread (seconds, medians of "
        f"{repeats}; ratio = fairness step / training; peers: their time / ours)"
    )
    print(
        f"{'kind':>6} {'N':>9} {'D':>5} {'LR fit':>8} {'FairIJ':>8} {'ratio':>6}"
        + (f" {'ExpGrad':>8} {'ratio':>6}" if expgrad else "")
        + (f" {'OxonFair':>8} {'ratio':>6}" if oxonfair else "")
    )
    torch.set_num_threads(1)
    for kind in kinds:
        for n in rows:
            for d in features:
                line = logreg_row(kind, n, d, repeats, expgrad and n <= expgrad_max_rows, oxonfair)
                print(line, flush=True)


def logreg_row(kind, n, d, repeats, expgrad, oxonfair):
    (X, y, s), (Xv, yv, sv) = problem(n, d, kind)
    kw = dict(sensitive_features=s, X_val=Xv, y_val=yv, sensitive_features_val=sv)
    with threadpool_limits(1), warnings.catch_warnings():
        warnings.simplefilter("ignore")
        model = LogisticRegression().fit(X, y)
        FairIJClassifier(model, prefit=True).fit(X, y, **kw)  # warm-up
        t_lr, t_ij = [], []
        for _ in range(repeats):
            t_lr.append(timed(lambda: LogisticRegression().fit(X, y))[1])
            t_ij.append(timed(lambda: FairIJClassifier(model, prefit=True).fit(X, y, **kw))[1])
        t_lr, t_ij = float(np.median(t_lr)), float(np.median(t_ij))
        line = f"{kind:>6} {n:9d} {d:5d} {t_lr:8.2f} {t_ij:8.2f} {t_ij / t_lr:6.2f}"
        if expgrad:
            from fairlearn.reductions import DemographicParity, ExponentiatedGradient

            eg = ExponentiatedGradient(
                LogisticRegression(), DemographicParity(difference_bound=0.02)
            )
            t_eg = timed(lambda: eg.fit(X, y, sensitive_features=s))[1]
            line += f" {t_eg:8.2f} {t_eg / t_ij:6.1f}x"
        elif expgrad is False and oxonfair:
            line += f" {'':>8} {'':>6} "
        if oxonfair:
            t_ox = oxonfair_seconds(model, Xv, yv, sv)
            line += f" {t_ox:8.2f} {t_ox / t_ij:6.2f}x"
    return line


def mlp_row():
    from skfair_ij.benchmark import adult_splits, make_mlp

    torch.set_num_threads(2)
    (X, y, s), (Xv, yv, sv), _ = adult_splits(seed=0).values()
    net, t_net = timed(lambda: make_mlp(X.shape[1], seed=0).fit(X, y.astype(np.float32)))
    kw = dict(sensitive_features=s, X_val=Xv, y_val=yv, sensitive_features_val=sv)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        times = [
            timed(lambda: FairIJClassifier(net, prefit=True).fit(X, y, **kw))[1] for _ in range(3)
        ]
    t_ij = float(np.median(times))
    print("\nbenchmark MLP on Adult, 2 threads (seconds)")
    print(
        f"net training {t_net:.1f}   fairness step (median of 3) {t_ij:.2f}   "
        f"ratio {t_ij / t_net:.2f}"
    )


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, nargs="+", default=[10_000, 100_000])
    parser.add_argument("--features", type=int, nargs="+", default=[50, 500])
    parser.add_argument("--kinds", nargs="+", default=["normal", "binary"])
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument(
        "--expgrad-max-rows", type=int, default=100_000, help="ExpGrad only up to this N"
    )
    parser.add_argument("--expgrad", action="store_true", help="also fairlearn's ExpGrad")
    parser.add_argument("--oxonfair", action="store_true", help="also OxonFair's thresholds")
    parser.add_argument("--mlp", action="store_true", help="also the MLP on Adult")
    args = parser.parse_args()
    logreg_rows(
        args.rows,
        args.features,
        args.kinds,
        args.repeats,
        args.expgrad,
        args.oxonfair,
        args.expgrad_max_rows,
    )
    if args.mlp:
        mlp_row()


if __name__ == "__main__":
    main()
