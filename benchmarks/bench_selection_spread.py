"""Spread of the selection over repeated fits of identical data.

With ``random_state=None`` every fit draws its own validation split (and, for a
net, its own initialisation and shuffling). Fit ``--repeats`` times on the same
synthetic data and report, for each setting, the spread (min, max, standard
deviation) of the selected λ, of the size of the edit ‖w − 1‖∞ and of the test
demographic-parity gap and accuracy.

    python benchmarks/bench_selection_spread.py --repeats 10
"""

import argparse
import warnings

import numpy as np
from sklearn.linear_model import LogisticRegression

from skfair_ij import FairIJClassifier
from skfair_ij.benchmark import make_mlp
from skfair_ij.datasets import make_biased_classification
from skfair_ij.influence import CG
from skfair_ij.metrics import DemographicParity, demographic_parity_difference
from skfair_ij.weighting import IJack

SETTINGS = {
    "previous defaults": dict(
        solver=CG(damping=1e-2),
        weighting=IJack(update="jackknife"),
        fairness=DemographicParity(gap_data="validation"),
    ),
    "defaults": dict(),
}


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeats", type=int, default=10)
    parser.add_argument("--rows", type=int, default=6000)
    args = parser.parse_args()
    X, y, s = make_biased_classification(
        args.rows + 4000, 10, bias=2.0, proxy_strength=1.0, random_state=0
    )
    X = X.astype(np.float32)
    train, test = slice(0, args.rows), slice(args.rows, None)
    print(
        "model    setting             λ min..max (sd)        ‖w−1‖∞ sd   test DP mean±sd"
        "    test acc mean±sd"
    )
    for model_name, make in (
        ("logreg", lambda: LogisticRegression()),
        ("mlp", lambda: make_mlp(X.shape[1], None, max_epochs=10, n_hidden=32)),
    ):
        for name, params in SETTINGS.items():
            lams, sizes, gaps, accs = [], [], [], []
            for _ in range(args.repeats):
                with warnings.catch_warnings():
                    warnings.simplefilter("ignore")
                    clf = FairIJClassifier(make(), **params)
                    clf.fit(X[train], y[train], sensitive_features=s[train])
                pred = clf.predict(X[test])
                lams.append(clf.lambda_)
                sizes.append(np.abs(clf.sample_weight_ - 1).max())
                gaps.append(
                    demographic_parity_difference(y[test], pred, sensitive_features=s[test])
                )
                accs.append(np.mean(pred == y[test]))
            lams, sizes, gaps, accs = map(np.asarray, (lams, sizes, gaps, accs))
            print(
                f"{model_name:8s} {name:19s} {lams.min():6.3g}..{lams.max():<6.3g} "
                f"({lams.std():.3g})   {sizes.std():9.3g}   {gaps.mean():.3f}±{gaps.std():.3f}"
                f"        {accs.mean():.3f}±{accs.std():.3f}"
            )


if __name__ == "__main__":
    main()
