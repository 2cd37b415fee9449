"""Tables whose X hides the group, made from the bundled data, for the benchmark.

``semi_adult.csv``: 3,000 rows of Adult's features (sex, relationship and
marital-status kept as columns, for ``--sensitive``/``--hide``) with a
semi-synthetic label: a logistic model of the standardised numeric features
plus a direct effect of the group (women less often labelled
positive), so that the label's dependence on the group is known and only
partly carried by the features that stay in X.

German credit needs no file: ``--dataset german_credit --sensitive sex --hide
sex personal_status_and_sex`` hides the group and its proxy (1,000 rows, 31 %
women: small cells).

    python benchmarks/make_hidden_tables.py --out tables
    for fairness in dp eo; do
      skfair-ij benchmark --data tables/semi_adult.csv --target y --sensitive sex \\
          --hide sex relationship marital-status --model logreg --fairness $fairness \\
          --seeds 3 --target-gap 0.05 \\
          --methods erm ijack_max_gap expgrad expgrad_deterministic oxonfair_inferred \\
          --out semi_$fairness
      skfair-ij benchmark --dataset german_credit --sensitive sex \\
          --hide sex personal_status_and_sex --model logreg --fairness $fairness \\
          --seeds 5 --target-gap 0.05 \\
          --methods erm ijack_max_gap expgrad expgrad_deterministic oxonfair_inferred \\
          --out german_hidden_$fairness
    done
"""

import argparse
from pathlib import Path

import numpy as np
from scipy.special import expit

from skfair_ij.benchmark._table import adult_frame


def semi_adult(n_rows=3000, group_effect=1.2, seed=0):
    """Adult's features with a semi-synthetic label ``y`` (see the module)."""
    rng = np.random.default_rng(seed)
    frame = adult_frame().drop(columns=["income"])
    frame = frame.iloc[rng.choice(len(frame), n_rows, replace=False)].reset_index(drop=True)
    numeric = frame.select_dtypes("number")
    z = (numeric - numeric.mean()) / numeric.std()
    weights = rng.normal(0, 1.5, z.shape[1])
    logit = z.to_numpy() @ weights
    logit -= group_effect * (frame["sex"].astype(str).str.strip() == "Female").to_numpy()
    frame["y"] = (rng.random(n_rows) < expit(logit)).astype(int)
    return frame


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", default="tables")
    args = parser.parse_args()
    out = Path(args.out)
    out.mkdir(parents=True, exist_ok=True)
    frame = semi_adult()
    frame.to_csv(out / "semi_adult.csv", index=False)
    share = frame.groupby("sex")["y"].mean().round(3).to_dict()
    print(f"{out / 'semi_adult.csv'}: {len(frame)} rows, positive rate by sex {share}")


if __name__ == "__main__":
    main()
