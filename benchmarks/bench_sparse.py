"""Sparse hashed features at scale: the fairness step never makes them dense.

N rows × 2^18 hashed features (``--tokens`` non-zeros per row, drawn the way a
HashingVectorizer spreads words; one token in three of a group-correlated
vocabulary, so the group leaks into the features), binary labels that depend
on the tokens and the group. ``LogisticRegression.fit`` against
``FairIJClassifier(prefit=True).fit`` with the defaults (10% more rows for
validation), the peak resident memory, and what the dense matrix would take.

    python benchmarks/bench_sparse.py --rows 1000000
"""

import argparse
import resource
import time
import warnings

import numpy as np
import scipy.sparse
from sklearn.linear_model import LogisticRegression

from skfair_ij import FairIJClassifier
from skfair_ij.metrics import demographic_parity_difference

N_FEATURES = 2**18


def hashed(n, tokens, rng):
    s = rng.integers(0, 2, n)
    cols = rng.integers(0, N_FEATURES, size=(n, tokens))
    # a third of the tokens come from a small vocabulary whose use depends on the group
    k = tokens // 3
    cols[:, :k] = rng.integers(0, 200, size=(n, k)) + 200 * s[:, None]
    X = scipy.sparse.csr_matrix(
        (np.ones(n * tokens), cols.ravel(), np.arange(0, n * tokens + 1, tokens)),
        shape=(n, N_FEATURES),
    )
    X.sum_duplicates()
    weights = rng.normal(0, 1, N_FEATURES) / np.sqrt(tokens)
    y = (X @ weights + 0.8 * s + rng.normal(0, 1, n) > 0.4).astype(int)
    return X, y, s


def peak_mb():
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, default=1_000_000)
    parser.add_argument("--tokens", type=int, default=30)
    args = parser.parse_args()
    rng = np.random.default_rng(0)
    n_val = args.rows // 10
    X, y, s = hashed(args.rows + n_val, args.tokens, rng)
    Xv, yv, sv = X[args.rows :], y[args.rows :], s[args.rows :]
    X, y, s = X[: args.rows], y[: args.rows], s[: args.rows]
    print(
        f"{args.rows:,} × {N_FEATURES:,} features, {X.nnz:,} non-zeros "
        f"({X.data.nbytes + X.indices.nbytes + X.indptr.nbytes:,} bytes; dense float64 "
        f"would take {args.rows * N_FEATURES * 8 / 2**40:.1f} TiB); data peak {peak_mb():.0f} MB"
    )
    start = time.perf_counter()
    model = LogisticRegression(max_iter=200).fit(X, y)
    t_lr = time.perf_counter() - start
    print(f"LogisticRegression.fit   {t_lr:7.1f} s   peak {peak_mb():7.0f} MB")
    start = time.perf_counter()
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        fair = FairIJClassifier(model, prefit=True, verbose=1).fit(
            X, y, sensitive_features=s, X_val=Xv, y_val=yv, sensitive_features_val=sv
        )
    t_ij = time.perf_counter() - start
    status = fair.fit_status_
    print(f"FairIJClassifier.fit     {t_ij:7.1f} s   peak {peak_mb():7.0f} MB  ({status})")
    before = demographic_parity_difference(yv, model.predict(Xv), sensitive_features=sv)
    after = demographic_parity_difference(yv, fair.predict(Xv), sensitive_features=sv)
    acc0, acc1 = np.mean(model.predict(Xv) == yv), np.mean(fair.predict(Xv) == yv)
    print(f"validation DP {before:.3f} → {after:.3f}, accuracy {acc0:.3f} → {acc1:.3f}")
    print(f"ratio fairness step / training: {t_ij / t_lr:.2f}")


if __name__ == "__main__":
    main()
