"""How low can the edit's λ path go on test data, against ThresholdOptimizer?

A selection rule picks one point of the λ path from validation data. This
script asks what the best possible rule could pick: on Adult's 50/25/25 table
split (the CLI's ``--sensitive`` protocol) and the CLI's models, it scores
every point of the path on the test rows and reports

* fairlearn's ``ThresholdOptimizer`` (needs the group at predict time): test
  error / test gap;
* for the default edit (``FairIJClassifier(prefit=True)``) and the
  benchmark's ``ijack_lowest_gap`` (``IJack(n_steps=3)``, ``WithinTolerance``):
  the selected point, and the **path's best**: the lowest test gap among the
  path points whose test error is at most ``ThresholdOptimizer``'s. When the
  path's best is above ``ThresholdOptimizer``'s gap, no selection rule can
  reach it with that path.

    python benchmarks/bench_path_oracle.py [--models logreg mlp] [--fairness eo]
        [--sensitive sex race] [--seeds 0 1 2]
"""

import argparse
import time
import warnings

import numpy as np
from bench_step import trained  # the CLI's models, as bench_step trains them

from skfair_ij import FairIJClassifier, WithinTolerance
from skfair_ij.benchmark._methods import FAIRNESS, Context, threshold_optimizer
from skfair_ij.benchmark._table import adult_frame, table_splits
from skfair_ij.weighting import IJack

SETTINGS = {
    "default": {},
    "ijack_lowest_gap": {"weighting": IJack(n_steps=3), "selection": WithinTolerance()},
}


def run(model, fairness, sensitive, seed, frame):
    split = table_splits(frame, "income", sensitive, seed)
    (X, y, s), (Xv, yv, sv), (Xt, yt, st) = split["train"], split["val"], split["test"]
    erm = trained(model, split, seed)
    ctx = Context(seed, FAIRNESS[fairness], split["train"], split["val"], split["test"], erm)
    fitted = threshold_optimizer(ctx)
    predicted = np.asarray(fitted.predict(Xt, st))
    to_error = float(np.mean(predicted != yt))
    row = {"threshold": (to_error, None)}
    for name, settings in SETTINGS.items():
        est = FairIJClassifier(erm, prefit=True, fairness=FAIRNESS[fairness], **settings)
        est.fit(X, y, sensitive_features=s, X_val=Xv, y_val=yv, sensitive_features_val=sv)
        gaps, accuracy = est.score_path(Xt, yt, sensitive_features=st)
        error = 1 - accuracy
        within = np.flatnonzero(error <= to_error)
        best = within[np.argmin(gaps[within])]
        row[name] = (error[est.best_index_], gaps[est.best_index_])
        row[name + " path's best"] = (error[best], gaps[best])
    # the threshold's test gap, with the same metric as the path's
    criterion = est.criterion_
    row["threshold"] = (to_error, criterion.gap(yt, predicted, sensitive_features=st))
    return row


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--models", nargs="+", default=["logreg", "mlp"])
    parser.add_argument("--fairness", default="eo")
    parser.add_argument("--sensitive", nargs="+", default=["sex", "race"])
    parser.add_argument("--seeds", nargs="+", type=int, default=[0, 1, 2])
    args = parser.parse_args()
    frame = adult_frame()
    for model in args.models:
        rows = []
        for seed in args.seeds:
            with warnings.catch_warnings():
                warnings.simplefilter("ignore")
                rows.append(run(model, args.fairness, args.sensitive, seed, frame))
        print(
            f"\n{model}, {args.fairness}, Adult by {' × '.join(args.sensitive)}: "
            "test error / test gap per split, and their mean"
        )
        for name in rows[0]:
            cells = [f"{r[name][0]:.3f}/{r[name][1]:.3f}" for r in rows]
            mean = np.mean([r[name] for r in rows], axis=0)
            print(f"  {name:30s} {'  '.join(cells)}   mean {mean[0]:.3f}/{mean[1]:.3f}", flush=True)


if __name__ == "__main__":
    start = time.perf_counter()
    main()
    print(f"({time.perf_counter() - start:.0f} s)")
