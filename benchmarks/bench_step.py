"""How long the fairness step takes against OxonFair and ThresholdOptimizer.

The benchmark CLI times each method once per split, in one process, after the
ERM training: single values that varied by 1.5× between identical runs on a
2-core machine. This script times the step itself, warm, with the methods
alternating, on Adult's 50/25/25 table split (the CLI's ``--sensitive``
protocol) and the CLI's models (``LogisticRegression(max_iter=2000)``, the
benchmark MLP):

* ``ours``: ``FairIJClassifier(prefit=True)`` with the defaults (influences,
  the whole λ path and the selection, from the trained model);
* ``oxonfair``: OxonFair's per-group thresholds with the true groups (needs
  the group at predict time); ``oxonfair_inferred``: with groups inferred from
  X by a logistic regression (X only at predict time, as ours); both with
  accuracy under a gap ≤ 0.02 on the validation rows, as in the benchmark;
* ``threshold``: fairlearn's ``ThresholdOptimizer`` (needs the group).

Each method runs once untimed (so that no method pays a first call: torch's
and the libraries' set-up costs in a fresh process are timed apart by
``--cold``), then ``--repeats`` times in turn. The table gives medians and, for
each peer, ours ÷ its time (2: ours takes twice as long).

    python benchmarks/bench_step.py [--models logreg mlp] [--fairness dp eo]
        [--sensitive sex] [--repeats 5] [--cold]
"""

import argparse
import subprocess
import sys
import time
import warnings

import numpy as np
import torch

from skfair_ij.benchmark._methods import FAIRNESS, METHODS, Context
from skfair_ij.benchmark._protocol import make_mlp
from skfair_ij.benchmark._table import adult_frame, table_splits

PEERS = ("oxonfair", "oxonfair_inferred", "threshold")


def trained(model, split, seed):
    X, y, _ = split["train"]
    if model == "mlp":
        return make_mlp(X.shape[1], seed).fit(X, y.astype(np.float32))
    from sklearn.linear_model import LogisticRegression

    return LogisticRegression(max_iter=2000).fit(X.astype(np.float64), y)


def time_steps(ctx, methods, repeats):
    """Median seconds of each method's fit, the methods alternating (NaN for a
    method that raises, e.g. OxonFair beyond four groups)."""
    seconds = {}
    for name in methods:  # untimed: first calls
        try:
            METHODS[name](ctx)
            seconds[name] = []
        except Exception as exc:  # a peer's own refusal or failure: said, the others go on
            print(f"{name}: {type(exc).__name__}: {exc}".splitlines()[0][:160], file=sys.stderr)
    for _ in range(repeats):
        for name in seconds:
            seconds[name].append(METHODS[name](ctx).seconds)
    return {name: float(np.median(seconds.get(name, np.nan))) for name in methods}


def cold_first_fit(model, fairness, sensitive, seed):
    """Seconds of our first fit in a fresh process (after the ERM training)."""
    out = subprocess.run(
        [sys.executable, __file__, "--_cold", model, fairness, ",".join(sensitive), str(seed)],
        capture_output=True,
        text=True,
        check=True,
    )
    return float(out.stdout.strip().splitlines()[-1])


def main():
    if len(sys.argv) > 1 and sys.argv[1] == "--_cold":  # the child of cold_first_fit
        model, fairness, sensitive, seed = sys.argv[2:6]
        split = table_splits(adult_frame(), "income", sensitive.split(","), int(seed))
        ctx = Context(int(seed), FAIRNESS[fairness], split["train"], split["val"], split["test"])
        ctx.erm = trained(model, split, int(seed))
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            print(METHODS["ijack"](ctx).seconds)
        return
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--models", nargs="+", default=["logreg", "mlp"])
    parser.add_argument("--fairness", nargs="+", default=["dp", "eo"])
    parser.add_argument("--sensitive", nargs="+", default=["sex"])
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--repeats", type=int, default=5)
    parser.add_argument("--cold", action="store_true", help="also our first fit in a new process")
    args = parser.parse_args()
    torch.set_num_threads(max(1, torch.get_num_threads()))
    split = table_splits(adult_frame(), "income", args.sensitive, args.seed)
    header = f"{'model':7s} {'fair':4s} {'ours':>6s}" + "".join(
        f" {name:>17s} {'÷':>5s}" for name in PEERS
    )
    if args.cold:
        header += f" {'ours, first fit':>16s}"
    print(header)
    for model in args.models:
        erm = trained(model, split, args.seed)
        for fairness in args.fairness:
            ctx = Context(
                args.seed, FAIRNESS[fairness], split["train"], split["val"], split["test"], erm
            )
            with warnings.catch_warnings():
                warnings.simplefilter("ignore")
                median = time_steps(ctx, ("ijack", *PEERS), args.repeats)
            ours = median["ijack"]
            line = f"{model:7s} {fairness:4s} {ours:6.2f}" + "".join(
                f" {'—':>17s} {'—':>5s}"
                if np.isnan(median[name])
                else f" {median[name]:17.2f} {ours / median[name]:4.1f}×"
                for name in PEERS
            )
            if args.cold:
                line += f" {cold_first_fit(model, fairness, args.sensitive, args.seed):16.2f}"
            print(line, flush=True)


if __name__ == "__main__":
    start = time.perf_counter()
    main()
    if sys.argv[1:2] != ["--_cold"]:
        print(f"({time.perf_counter() - start:.0f} s)")
