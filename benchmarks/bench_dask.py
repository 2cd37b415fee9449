"""The fit on a Dask cluster: time linear in N, memory per worker bounded.

Rows are generated lazily by Dask on a ``LocalCluster`` (2 workers of one
thread): 50 features, a binary group that leaks into the first feature
(``--proxy``), labels that depend on the features and the group. Validation
rows (20,000) are in memory. For each N:

* ``LogisticRegression`` trained on the cluster (the weighted L-BFGS of
  ``FairReweighter``/``FairIJClassifier``, each step one reduction);
* ``FairIJClassifier(prefit=True)`` with the defaults (CG, I-JACK,
  demographic parity on the validation rows);

with the passes over the training rows, the peak resident memory of each
worker, and the validation gap before and after. ``--mlp`` adds the benchmark
MLP (pre-trained on 50,000 rows in memory), edited on the cluster's rows.

    python benchmarks/bench_dask.py --rows 1000000 3000000 10000000 --mlp 1000000
"""

import argparse
import time
import warnings

import numpy as np
import torch

N_FEATURES = 50
CHUNK = 250_000


def _block(seed, n, proxy):
    """One block of rows: X (n, 50), y, s from its own seed."""
    rng = np.random.default_rng(seed)
    s = (rng.random(n) < 0.3).astype(np.int64)
    X = rng.standard_normal((n, N_FEATURES))
    X[:, 0] += proxy * s
    beta = np.linspace(1.0, -1.0, N_FEATURES) / np.sqrt(N_FEATURES)
    y = ((X @ beta + 1.5 * s + rng.standard_normal(n)) > 0.5).astype(np.int64)
    return X, y, s


def generate(n, seed, proxy, *, lazy=True):
    """X (n, 50), y, s: Dask arrays generated block by block from per-block
    seeds, never held (numpy arrays when not lazy)."""
    if not lazy:
        return _block(seed, n, proxy)
    import dask.array as da

    sizes = [min(CHUNK, n - start) for start in range(0, n, CHUNK)]
    seeds = [(seed, i) for i in range(len(sizes))]

    def part(index, which, width=None):
        pieces = []
        for block_seed, size in zip(seeds, sizes, strict=True):
            shape = (size,) if width is None else (size, width)
            value = _delayed_part(block_seed, size, proxy, index)
            pieces.append(da.from_delayed(value, shape=shape, dtype=which))
        return da.concatenate(pieces)

    return part(0, float, N_FEATURES), part(1, np.int64), part(2, np.int64)


def _delayed_part(seed, n, proxy, index):
    from dask import delayed

    def take(seed, n, proxy, index):
        return _block(np.random.SeedSequence(list(seed)), n, proxy)[index]

    return delayed(take, pure=True)(seed, n, proxy, index)


def worker_peak_rss(client):
    import resource

    def peak():
        return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * 1024

    return max(client.run(peak).values())


def run(n, client, validation, model, label):
    from skfair_ij import FairIJClassifier
    from skfair_ij.metrics import DemographicParity

    X, y, s = generate(n, 0, ARGS.proxy)
    Xv, yv, sv = validation
    criterion = DemographicParity(gap_data="validation")
    row = {"model": label, "rows": n}
    if model is None:  # a logistic regression trained on the cluster
        from sklearn.linear_model import LogisticRegression

        from skfair_ij.adapters import fit_on_backend
        from skfair_ij.backends.dask import BACKEND

        start = time.perf_counter()
        model = fit_on_backend(
            BACKEND, LogisticRegression(), X, y.astype(float), None, np.array([0, 1])
        )
        row["train_s"] = time.perf_counter() - start
        row["train_iter"] = int(model.n_iter_[0])  # one pass per L-BFGS evaluation
    start = time.perf_counter()
    clf = FairIJClassifier(model, fairness=criterion, prefit=True)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        clf.fit(X, y, sensitive_features=s, X_val=Xv, y_val=yv, sensitive_features_val=sv)
    row["fair_s"] = time.perf_counter() - start
    row["fair_passes"] = clf.n_passes_
    row["status"] = clf.fit_status_
    gaps = clf.path_["val_demographic_parity"]
    row["val_dp"] = f"{gaps[0]:.3f} -> {gaps[clf.best_index_]:.3f}"
    row["worker_peak_MB"] = worker_peak_rss(client) / 2**20
    return row


def main():
    from distributed import Client, LocalCluster

    from skfair_ij.benchmark import make_mlp

    torch.set_num_threads(1)
    cluster = LocalCluster(
        n_workers=2, threads_per_worker=1, processes=True, dashboard_address=None
    )
    client = Client(cluster)
    validation = generate(20_000, 1, ARGS.proxy, lazy=False)
    rows = []
    for n in ARGS.rows:
        rows.append(run(n, client, validation, None, "logreg"))
        print(rows[-1], flush=True)
    for n in ARGS.mlp:
        Xs, ys, _ = generate(50_000, 2, ARGS.proxy, lazy=False)
        net = make_mlp(N_FEATURES, 0, max_epochs=5)
        net.fit(Xs.astype(np.float32), ys.astype(np.float32))
        rows.append(run(n, client, validation, net, "mlp"))
        print(rows[-1], flush=True)
    client.close()
    cluster.close()
    keys = ["model", "rows", "train_s", "train_iter", "fair_s", "fair_passes", "val_dp"]
    keys += ["worker_peak_MB", "status"]
    print("| " + " | ".join(keys) + " |")
    print("|" + "---|" * len(keys))
    for row in rows:
        cells = [row.get(k, "") for k in keys]
        print(
            "| " + " | ".join(f"{c:.1f}" if isinstance(c, float) else str(c) for c in cells) + " |"
        )


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, nargs="*", default=[1_000_000])
    parser.add_argument("--mlp", type=int, nargs="*", default=[])
    parser.add_argument("--proxy", type=float, default=1.0, help="group shift of feature 0")
    ARGS = parser.parse_args()
    main()
