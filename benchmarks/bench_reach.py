"""Does the λ path reach the gap ExponentiatedGradient reaches, at no more error?

For a logistic regression on several data sets (synthetic families with a weak
or strong proxy of the group and minorities down to 5%, German credit by sex
and age, Adult by race), with 50/25/25 train/validation/test splits:

* fairlearn's ``ExponentiatedGradient`` (X only at predict time) with the
  stated bound: its test gap ``g`` and test error ``e``;
* the edit's λ path (``FairIJClassifier(prefit=True)``, default I-JACK): along
  the path scored on the test rows, the lowest test error among the points
  with a test gap ≤ ``g + 0.01``, minus ``e`` (negative: the path reaches
  ExpGrad's gap at less error); ``—`` when no point gets there;
* a user asking for ExpGrad's validation gap ``g_val`` with
  ``selection=MaxGap(g_val, max_cost=0.02)``: the edit (one linearisation), and the edit
  followed along the path by refits (``FairReweighter(n_rounds=6,
  refit_candidates=5)``: six rounds of influences, weights and a weighted
  refit, each round linearised at the previous refit); their fit status
  (``ok`` or ``short``: target not reached on validation), test gap and error.

    python benchmarks/bench_reach.py [--fairness demographic_parity] [--seeds 0 1]
"""

import argparse
import warnings

import numpy as np
from sklearn.linear_model import LogisticRegression

from skfair_ij import FairIJClassifier, FairReweighter, MaxGap
from skfair_ij.benchmark._table import adult_frame, german_frame, table_splits
from skfair_ij.datasets import make_biased_classification
from skfair_ij.metrics import demographic_parity_difference, equalized_odds_difference

METRICS = {
    "demographic_parity": demographic_parity_difference,
    "equalized_odds": equalized_odds_difference,
}
SLACK = 0.01  # test noise allowed on the gap


def synthetic(bias, proxy, minority, seed, n=12000):
    X, y, s = make_biased_classification(
        n,
        10,
        bias=bias,
        proxy_strength=proxy,
        group_ratio=minority,
        random_state=seed,
    )
    order = np.random.default_rng(seed).permutation(n)
    a, b = n // 2, 3 * n // 4
    parts = order[:a], order[a:b], order[b:]
    return {k: (X[i], y[i], s[i]) for k, i in zip(("train", "val", "test"), parts, strict=True)}


def cases(seed):
    yield "synthetic, proxy 1", synthetic(3.0, 1.0, 0.5, seed)
    yield "synthetic, proxy 2", synthetic(3.0, 2.0, 0.5, seed)
    yield "synthetic, proxy 2, 5% group", synthetic(3.0, 2.0, 0.05, seed)
    yield "german credit, sex", table_splits(german_frame(), "good_credit", ["sex"], seed)
    yield "german credit, age", table_splits(german_frame(), "good_credit", ["age_group"], seed)
    yield "adult, race", table_splits(adult_frame(), "income", ["race"], seed)


def path_reach(clf, X, y, s, metric, target):
    gaps, accuracies = clf.score_path(X, y, sensitive_features=s)
    reached = gaps <= target + SLACK
    return float(np.min(1 - accuracies[reached])) if reached.any() else None


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--fairness", default="demographic_parity", choices=sorted(METRICS))
    parser.add_argument("--bound", type=float, default=0.02, help="ExpGrad's bound")
    parser.add_argument("--seeds", type=int, nargs="+", default=[0])
    args = parser.parse_args()
    metric = METRICS[args.fairness]
    print(
        f"{args.fairness}; ExpGrad bound {args.bound}; test gap/error; path: error at "
        f"ExpGrad's gap (+{SLACK}) minus ExpGrad's error; MaxGap(ExpGrad's validation gap)"
    )
    print(
        f"{'data':28s} {'seed':>4} {'ERM':>11} {'ExpGrad':>11} {'path':>7} "
        f"{'edit':>17} {'refits, 6 rounds':>17}"
    )
    from fairlearn.reductions import DemographicParity, EqualizedOdds, ExponentiatedGradient

    constraint = {"demographic_parity": DemographicParity, "equalized_odds": EqualizedOdds}

    def scored(pred, yt, st):
        return f"{metric(yt, pred, sensitive_features=st):.3f}/{np.mean(pred != yt):.3f}"

    for seed in args.seeds:
        for name, split in cases(seed):
            (X, y, s), (Xv, yv, sv), (Xt, yt, st) = split["train"], split["val"], split["test"]
            with warnings.catch_warnings():
                warnings.simplefilter("ignore")
                model = LogisticRegression(max_iter=1000).fit(X, y)
                eg = ExponentiatedGradient(
                    LogisticRegression(max_iter=1000),
                    constraint[args.fairness](difference_bound=args.bound),
                ).fit(X, y, sensitive_features=s)
                eg_pred = eg.predict(Xt, random_state=0)
                g, e = metric(yt, eg_pred, sensitive_features=st), np.mean(eg_pred != yt)
                g_val = metric(yv, eg.predict(Xv, random_state=0), sensitive_features=sv)
                kw = dict(sensitive_features=s, X_val=Xv, y_val=yv, sensitive_features_val=sv)
                edit = FairIJClassifier(
                    model,
                    prefit=True,
                    fairness=args.fairness,
                    selection=MaxGap(g_val, max_cost=0.02),
                ).fit(X, y, **kw)
                err = path_reach(edit, Xt, yt, st, metric, g)
                refits = FairReweighter(
                    LogisticRegression(max_iter=1000),
                    fairness=args.fairness,
                    selection=MaxGap(g_val, max_cost=0.02),
                    n_rounds=6,
                    refit_candidates=5,
                ).fit(X, y, **kw)
            cells = [
                ("ok " if est.fit_status_ != "target_not_reached" else "short ")
                + scored(est.predict(Xt), yt, st)
                for est in (edit, refits)
            ]
            print(
                f"{name:28s} {seed:4d} {scored(model.predict(Xt), yt, st):>11} "
                f"{f'{g:.3f}/{e:.3f}':>11} {'—' if err is None else f'{err - e:+.3f}':>7} "
                f"{cells[0]:>17} {cells[1]:>17}",
                flush=True,
            )


if __name__ == "__main__":
    main()
