"""Several linearisations along the path against one, when a target gap is stated.

A logistic regression on synthetic data (bias 3, proxy strength 2, 8,000
training rows, 4,000 test rows), ``FairIJClassifier`` with
``selection=MaxGap(eps, max_cost=0.1)`` and ``IJack(n_steps=1)`` against
``IJack(n_steps=4)``: the status, the selected validation gap, the test gap and
the test error, for equalized odds (eps 0.03) and demographic parity (eps 0.02),
on three seeds.

    python benchmarks/bench_segments.py
"""

import warnings

import numpy as np
from sklearn.linear_model import LogisticRegression

from skfair_ij import FairIJClassifier, MaxGap
from skfair_ij.datasets import make_biased_classification
from skfair_ij.metrics import demographic_parity_difference, equalized_odds_difference
from skfair_ij.weighting import IJack

CASES = (
    ("equalized_odds", equalized_odds_difference, 0.03),
    ("demographic_parity", demographic_parity_difference, 0.02),
)


def main():
    for fairness, metric, eps in CASES:
        for seed in (0, 1, 2):
            X, y, s = make_biased_classification(
                12000, 8, bias=3.0, proxy_strength=2.0, random_state=seed
            )
            train, test = slice(0, 8000), slice(8000, None)
            cells = []
            for n_steps in (1, 4):
                with warnings.catch_warnings():
                    warnings.simplefilter("ignore")
                    clf = FairIJClassifier(
                        LogisticRegression(max_iter=1000),
                        fairness=fairness,
                        weighting=IJack(n_steps=n_steps),
                        selection=MaxGap(eps, max_cost=0.1),
                        random_state=0,
                    ).fit(X[train], y[train], sensitive_features=s[train])
                pred = clf.predict(X[test])
                gap = metric(y[test], pred, sensitive_features=s[test])
                cells.append(
                    f"n_steps={n_steps}: {clf.fit_status_:18s} validation "
                    f"{clf.path_[clf.path_.gap][clf.best_index_]:.3f} test {gap:.3f} "
                    f"error {np.mean(pred != y[test]):.3f}"
                )
            print(f"{fairness:18s} seed {seed}  " + "  |  ".join(cells), flush=True)


if __name__ == "__main__":
    main()
