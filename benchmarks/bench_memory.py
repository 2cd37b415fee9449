"""Peak memory of a fit above the data and the trained model.

A logistic regression on N × 50 standard-normal features (float64) is trained
first; then ``FairIJClassifier(prefit=True, solver=CG(memory_budget=B))`` is fitted with
held-out validation rows, and the resident set size is sampled every 5 ms. The
figure reported is the peak RSS during the fair fit minus the RSS just before it
(data, validation data and the trained model are already in memory).

    python benchmarks/bench_memory.py --rows 1000000 --budgets 64 1024
"""

import argparse
import gc
import threading
import time

import numpy as np
from sklearn.linear_model import LogisticRegression

from skfair_ij import FairIJClassifier
from skfair_ij.influence import CG

MiB = 2**20


def rss():
    with open("/proc/self/status") as f:
        for line in f:
            if line.startswith("VmRSS:"):
                return int(line.split()[1]) * 1024
    raise RuntimeError("no VmRSS in /proc/self/status (Linux only)")


class PeakSampler(threading.Thread):
    def __init__(self):
        super().__init__(daemon=True)
        self.peak, self.running = rss(), True

    def run(self):
        while self.running:
            self.peak = max(self.peak, rss())
            time.sleep(0.005)


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, default=1_000_000)
    parser.add_argument("--features", type=int, default=50)
    parser.add_argument("--budgets", type=int, nargs="+", default=[64, 1024], help="MiB")
    args = parser.parse_args()
    rng = np.random.default_rng(0)
    n, p = args.rows, args.features
    n_val = n // 10
    X = rng.normal(size=(n + n_val, p))
    s = rng.integers(0, 2, n + n_val)
    X[:, 0] += s
    y = (X[:, :5].sum(1) + s + rng.normal(size=n + n_val) > 0.5).astype(int)
    X, Xv, y, yv, s, sv = X[:n], X[n:], y[:n], y[n:], s[:n], s[n:]
    model = LogisticRegression().fit(X, y)
    data_mib = (X.nbytes + Xv.nbytes) / MiB
    print(f"{n:,} x {p} rows: data {data_mib:.0f} MiB (float64)")
    print("budget MiB | peak above data and model MiB | budget + 200 MiB | fit s")
    for budget in args.budgets:
        gc.collect()
        sampler = PeakSampler()
        start_rss = rss()
        sampler.start()
        start = time.perf_counter()
        FairIJClassifier(model, prefit=True, solver=CG(memory_budget=budget * MiB)).fit(
            X, y, sensitive_features=s, X_val=Xv, y_val=yv, sensitive_features_val=sv
        )
        seconds = time.perf_counter() - start
        sampler.running = False
        sampler.join()
        above = (sampler.peak - start_rss) / MiB
        print(f"{budget:10d} | {above:29.0f} | {budget + 200:16d} | {seconds:5.1f}")


if __name__ == "__main__":
    main()
