"""One table per data set and sensitive attribute from ``skfair-ij benchmark`` runs.

Reads the ``summary.csv`` of runs named ``{model}_{fairness}_{attribute}`` (as
written by ``--out``) under a folder and prints, per attribute, the test error
and the test gap of the compared criterion of every method (mean over the
seeds), for each model and criterion, with the median fitting time as a
multiple of ours (``×ijack``). Run the benchmarks first, e.g.::

    for model in logreg mlp; do for fairness in dp eo; do
      skfair-ij benchmark --model $model --fairness $fairness --sensitive race \\
          --seeds 3 --methods erm ijack expgrad threshold oxonfair oxonfair_inferred \\
          --out runs/${model}_${fairness}_race
    done; done
    python benchmarks/collect_results.py runs

Missing runs and methods are left blank; a method that failed on every seed
(OxonFair beyond four groups) shows ``—``.
"""

import argparse
from pathlib import Path

import numpy as np
import pandas as pd

GAP = {"dp": "test_dp", "eo": "test_eo", "deo": "test_deo"}
MODELS = ("logreg", "mlp")


def collect(folder):
    """``{attribute: {(model, fairness): summary DataFrame}}`` of the runs in folder."""
    runs = {}
    for summary in sorted(Path(folder).glob("*/summary.csv")):
        model, fairness, attribute = summary.parent.name.split("_", 2)
        if model in MODELS and fairness in GAP:
            frame = pd.read_csv(summary, index_col=0)
            runs.setdefault(attribute, {})[(model, fairness)] = frame
    return runs


def table(runs):
    """A plain-text table of one attribute's runs: rows are methods, columns the
    (model, criterion) runs, each cell ``error / gap (×ijack)``."""
    keys = [(m, f) for m in MODELS for f in GAP if (m, f) in runs]
    methods = list(dict.fromkeys(m for key in keys for m in runs[key].index))
    width = 25
    header = f"{'method':18}" + "".join(f"{m + ' ' + f.upper():>{width}}" for m, f in keys)
    lines = [header, "-" * len(header)]
    for method in methods:
        cells = []
        for key in keys:
            frame = runs[key]
            if method not in frame.index:
                cells.append("")
                continue
            row = frame.loc[method]
            if not np.isfinite(row["test_error"]):
                cells.append("—")
                continue
            ratio = row.get("fit_vs_ijack", np.nan)
            shown = f"{ratio:.0f}" if ratio >= 10 else f"{ratio:.2g}"
            times = f" ({shown}×)" if np.isfinite(ratio) and method != "ijack" else ""
            cells.append(f"{row['test_error']:.3f} / {row[GAP[key[1]]]:.3f}{times}")
        lines.append(f"{method:18}" + "".join(f"{c:>{width}}" for c in cells))
    return "\n".join(lines)


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("folder", help="folder holding the benchmark runs")
    args = parser.parse_args()
    for attribute, runs in collect(args.folder).items():
        print(f"\n{attribute}: test error / test gap (fitting time as a multiple of ijack's)")
        print(table(runs))


if __name__ == "__main__":
    main()
