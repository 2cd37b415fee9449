"""Time and peak memory of the influence engine as N grows.

Each size runs in a fresh process; the peak resident memory of the influence
computation alone is measured by resetting the kernel's high-water mark
(``/proc/self/clear_refs``) after the data and the model are in memory.

    python benchmarks/bench_influence_scaling.py --model logreg --sizes 250000 500000 1000000
    python benchmarks/bench_influence_scaling.py --model mlp --sizes 50000 100000 200000

Reports, per N: seconds for (fairness gradient + curvature solve + influences + one
IJ edit), and the peak memory above the data, against the memory budget.
"""

import argparse
import json
import subprocess
import sys
import time


def _rss_mb(field):
    with open("/proc/self/status") as status:
        for line in status:
            if line.startswith(field):
                return int(line.split()[1]) / 1024
    return float("nan")


def run_one(model_kind, n, budget_mb, n_features, hessian):
    import numpy as np
    import torch
    from sklearn.linear_model import LogisticRegression

    from skfair_ij.adapters import get_adapter
    from skfair_ij.influence import (
        Curvature,
        fairness_influence,
        fairness_value_and_gradient,
        ij_parameter_change,
    )

    torch.set_num_threads(2)
    rng = np.random.default_rng(0)
    X = rng.normal(size=(n, n_features))
    s = (rng.uniform(size=n) < 0.5).astype(np.int64)
    X[:, 0] += s
    y = X @ rng.normal(size=n_features) / np.sqrt(n_features) + s + rng.normal(size=n) > 0
    y = y.astype(np.int64)
    n_val = min(n // 5, 50_000)
    if model_kind == "logreg":
        model = LogisticRegression(max_iter=200).fit(X, y)
        adapter = get_adapter(model)
    else:
        X = X.astype(np.float32)
        hidden = 10_000 // (n_features + 2)
        module = torch.nn.Sequential(
            torch.nn.Linear(n_features, hidden), torch.nn.SELU(), torch.nn.Linear(hidden, 1)
        )
        adapter = get_adapter(module, weight_decay=1e-4)
    X_val, y_val, s_val = X[:n_val], y[:n_val], s[:n_val]
    base = _rss_mb("VmRSS")
    with open("/proc/self/clear_refs", "w") as handle:
        handle.write("5")  # reset the peak-RSS counter
    start = time.perf_counter()
    problem = adapter.make_problem(X, y, memory_budget=budget_mb * 2**20)
    value, g_F = fairness_value_and_gradient(
        adapter.logit_fn,
        adapter.theta,
        adapter.to_tensor(X_val),
        torch.as_tensor(y_val),
        torch.as_tensor(s_val),
        "demographic_parity",
    )
    curvature = Curvature(problem, hessian, damping=1e-3, maxiter=50, tol=1e-4)
    influences = fairness_influence(problem, curvature, g_F)
    ij_parameter_change(problem, curvature, -influences)
    seconds = time.perf_counter() - start
    peak = _rss_mb("VmHWM")
    return {
        "model": model_kind,
        "n": n,
        "n_params": problem.n_params,
        "seconds": seconds,
        "peak_above_data_mb": peak - base,
        "budget_mb": budget_mb,
        "chunk_rows": problem.chunk_size,
        "jacobian_cached": problem._jacobian is not None,
    }


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--model", choices=["logreg", "mlp"], default="logreg")
    parser.add_argument("--sizes", type=int, nargs="+", default=[250_000, 500_000, 1_000_000])
    parser.add_argument("--budget-mb", type=int, default=256)
    parser.add_argument("--n-features", type=int, default=50)
    parser.add_argument("--hessian", default="cg")
    parser.add_argument("--one", action="store_true", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.one:
        result = run_one(args.model, args.sizes[0], args.budget_mb, args.n_features, args.hessian)
        print(json.dumps(result))
        return
    print(f"{'model':7} {'N':>9} {'D':>7} {'seconds':>8} {'peak MB':>8} {'budget':>7} {'chunk':>7}")
    for n in args.sizes:
        out = subprocess.run(
            [
                sys.executable,
                __file__,
                "--one",
                "--model",
                args.model,
                "--sizes",
                str(n),
                "--budget-mb",
                str(args.budget_mb),
                "--n-features",
                str(args.n_features),
                "--hessian",
                args.hessian,
            ],
            capture_output=True,
            text=True,
            check=True,
        )
        r = json.loads(out.stdout.strip().splitlines()[-1])
        print(
            f"{r['model']:7} {r['n']:>9} {r['n_params']:>7} {r['seconds']:>8.1f} "
            f"{r['peak_above_data_mb']:>8.0f} {r['budget_mb']:>7} {r['chunk_rows']:>7}",
            flush=True,
        )


if __name__ == "__main__":
    main()
