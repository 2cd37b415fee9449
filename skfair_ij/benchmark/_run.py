"""``skfair-ij benchmark``: the Adult protocol, every method, tables and a Pareto plot."""

import importlib.util
import time
import warnings
from pathlib import Path

import numpy as np
import pandas as pd
import torch

from ..metrics import (
    demographic_parity_difference,
    equal_opportunity_difference,
    equalized_odds_difference,
)
from ._methods import (
    FAIRNESS,
    METHODS,
    NEEDS_FAIRLEARN,
    NEEDS_OXONFAIR,
    QUICK_METHODS,
    Context,
)
from ._protocol import adult_splits, make_mlp
from ._table import adult_frame, german_frame, read_table, table_splits

GAP_COLUMN = {"dp": "test_dp", "eo": "test_eo", "deo": "test_deo"}


def _scores(y, y_pred, s, prefix):
    y_pred = np.asarray(y_pred).astype(int)
    tpr = np.mean(y_pred[y == 1] == 1)
    tnr = np.mean(y_pred[y == 0] == 0)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", UserWarning)
        return {
            f"{prefix}_error": float(np.mean(y_pred != y)),
            f"{prefix}_balanced_accuracy": float((tpr + tnr) / 2),
            f"{prefix}_dp": demographic_parity_difference(y, y_pred, sensitive_features=s),
            f"{prefix}_eo": equalized_odds_difference(y, y_pred, sensitive_features=s),
            f"{prefix}_deo": equal_opportunity_difference(y, y_pred, sensitive_features=s),
        }


def available_methods(methods):
    """Drop the peers whose package is not installed (with a note)."""
    methods = list(methods)
    for package, needs, extra in (
        ("fairlearn", NEEDS_FAIRLEARN, "bench"),
        ("oxonfair", NEEDS_OXONFAIR, "oxonfair"),
    ):
        if importlib.util.find_spec(package) is not None:
            continue
        missing = [m for m in methods if m in needs]
        if missing:
            print(
                f"{package} is not installed (pip install 'skfair-ij[{extra}]'): "
                f"skipping {', '.join(missing)}"
            )
        methods = [m for m in methods if m not in needs]
    return methods


def run_benchmark(
    *,
    dataset="adult",
    model="mlp",
    fairness="dp",
    seeds=3,
    methods=None,
    out="benchmark_results",
    quick=False,
    progress=True,
    data=None,
    target=None,
    sensitive=None,
    positive=None,
):
    """Run the protocol and write ``results.csv``, ``summary.csv`` and a Pareto plot.

    Parameters
    ----------
    dataset : {"adult", "german_credit"}
        The bundled data when ``data`` is None: Adult (Ghosh et al.'s
        protocol), or German credit (raw columns, random 50/25/25 splits,
        sensitive ``sex`` unless ``sensitive=["age_group"]``).
    model : {"mlp", "logreg"}
        The ERM model: Ghosh et al.'s MLP (skorch) or a logistic regression.
    fairness : {"dp", "eo", "deo"}
        The gap the methods reduce (and the x axis of the plot).
    seeds : int
        Number of random splits.
    methods : list of str or None
        Subset of :data:`METHODS` (None: all; ``quick``: a small subset).
    out : str or Path
        Output folder.
    quick : bool
        One seed and a few methods.
    data : str, Path or DataFrame, default=None
        A table of raw columns (``.csv`` or ``.parquet``) to run the protocol
        on instead of Adult (random 50/25/25 splits, see
        :func:`table_splits`); needs ``target`` and ``sensitive``.
    target : str, default=None
        Its label column.
    sensitive : list of str, default=None
        Its sensitive columns. With ``data=None``, Adult's raw table with these
        sensitive columns (e.g. ``["race"]`` or ``["sex", "race"]``).
    positive : object, default=None
        The favourable label (default: the greater one).

    Returns
    -------
    results : DataFrame
        One row per method and seed.

    Examples
    --------
    >>> import tempfile
    >>> from skfair_ij.benchmark import format_table, run_benchmark, summarize
    >>> with tempfile.TemporaryDirectory() as out:
    ...     results = run_benchmark(model="logreg", seeds=1, methods=["erm"], out=out,
    ...                             progress=False)
    >>> results[["method", "seed"]].values.tolist()
    [['erm', 0]]
    >>> summary = summarize(results)
    >>> print(format_table(summary, "dp").splitlines()[0].split()[:3])
    ['method', 'error', 'bal.']
    """
    if dataset not in ("adult", "german_credit"):
        raise ValueError(f"Unknown dataset {dataset!r}; 'adult' and 'german_credit' are bundled.")
    splits = adult_splits
    if dataset == "german_credit" and data is None:
        data, target, sensitive = german_frame(), "good_credit", sensitive or ["sex"]
    if data is not None or sensitive:
        if data is not None and not (target and sensitive):
            raise ValueError("A table needs target= and sensitive= (its column names).")
        if data is None:
            frame, target = adult_frame(), "income"
        else:
            frame = data if isinstance(data, pd.DataFrame) else read_table(data)

        def splits(seed):
            return table_splits(frame, target, list(sensitive), seed, positive=positive)

    if model not in ("mlp", "logreg"):
        raise ValueError(f"Unknown model {model!r}; choose 'mlp' or 'logreg'.")
    if fairness not in FAIRNESS:
        raise ValueError(f"Unknown fairness {fairness!r}; choose from {list(FAIRNESS)}.")
    if not quick and (isinstance(seeds, bool) or not isinstance(seeds, int | np.integer)):
        raise TypeError(f"seeds must be an integer (number of splits), got {seeds!r}.")
    if not quick and seeds < 1:
        raise ValueError(f"seeds must be at least 1, got {seeds}.")
    if quick:
        seeds = 1
        methods = methods or list(QUICK_METHODS)
    methods = available_methods(methods or list(METHODS))
    unknown = set(methods) - set(METHODS)
    if unknown:
        raise ValueError(f"Unknown methods {sorted(unknown)}; choose from {list(METHODS)}.")
    criterion = FAIRNESS[fairness]
    out = Path(out)
    out.mkdir(parents=True, exist_ok=True)
    torch.set_num_threads(max(1, torch.get_num_threads()))

    from tqdm.auto import tqdm

    rows = []
    bar = tqdm(total=seeds * len(methods), disable=not progress, desc="benchmark")
    for seed in range(seeds):
        split = splits(seed)
        ctx = Context(seed, criterion, split["train"], split["val"], split["test"])
        X, y, _ = ctx.train
        bar.set_postfix_str(f"seed {seed}: training ERM {model}")
        start = time.perf_counter()
        if model == "mlp":
            ctx.erm = make_mlp(X.shape[1], seed).fit(X, y.astype(np.float32))
        else:
            from sklearn.linear_model import LogisticRegression

            ctx.erm = LogisticRegression(max_iter=2000).fit(X.astype(np.float64), y)
        ctx.erm_seconds = time.perf_counter() - start
        for name in methods:
            bar.set_postfix_str(f"seed {seed}: {name}")
            with warnings.catch_warnings():
                warnings.simplefilter("ignore")
                fitted = METHODS[name](ctx)
                row = {
                    "method": name,
                    "seed": seed,
                    "fairness": fairness,
                    "fit_seconds": fitted.seconds,
                    # the whole fit: with the ERM training when the method starts from it
                    "whole_seconds": fitted.seconds
                    + (0.0 if fitted.trains_own_model or name == "erm" else ctx.erm_seconds),
                    "needs_s": fitted.needs_s,
                }
                for part in ("val", "test"):
                    Xp, yp, sp = getattr(ctx, part)
                    row.update(_scores(yp, fitted.predict(Xp, sp), sp, part))
            rows.append(row)
            bar.update()
    bar.close()
    results = pd.DataFrame(rows)
    results.to_csv(out / "results.csv", index=False)
    summary = summarize(results)
    summary.to_csv(out / "summary.csv")
    plot_pareto(summary, fairness, out / f"pareto_{model}_{fairness}.png")
    return results


IJ_EDITS = (
    "fair_ij",
    "drop_upweight",
    "ijack",
    "ijack_jackknife",
    "ijack_fisher",
    "ijack_fisher_pooled",
    "simjack",
    "ijack_diagonal",
)


def summarize(results):
    """Mean and two standard errors per method (in the order first seen).

    Examples
    --------
    >>> import pandas as pd
    >>> from skfair_ij.benchmark import summarize
    >>> cols = ["test_error", "test_balanced_accuracy", "test_dp", "test_eo", "test_deo",
    ...         "val_error", "val_dp", "fit_seconds"]
    >>> rows = [dict(method="erm", seed=k, needs_s=False, **{c: 0.1 * (k + 1) for c in cols})
    ...         for k in range(2)]
    >>> round(float(summarize(pd.DataFrame(rows)).loc["erm", "test_error"]), 2)
    0.15
    """
    columns = [
        "test_error",
        "test_balanced_accuracy",
        "test_dp",
        "test_eo",
        "test_deo",
        "val_error",
        "val_dp",
        "fit_seconds",
    ]
    grouped = results.groupby("method", sort=False)
    mean = grouped[columns].mean()
    n = grouped.size()
    # NaN with a single seed: there is no standard error to report
    two_se = grouped[columns].std(ddof=1).div(np.sqrt(n), axis=0) * 2
    summary = mean.join(two_se.add_suffix("_2se"))
    summary["fit_seconds_median"] = grouped["fit_seconds"].median()
    # the fairness step's time as a multiple of ours (I-JACK with the defaults)
    ours = summary["fit_seconds_median"].get("ijack", np.nan)
    summary["fit_vs_ijack"] = summary["fit_seconds_median"] / ours
    if "whole_seconds" in results:  # the whole fit (training included) against ours
        whole = grouped["whole_seconds"].median()
        summary["whole_vs_ijack"] = whole / whole.get("ijack", np.nan)
    summary["needs_s"] = grouped["needs_s"].first()
    summary["n_seeds"] = n
    return summary


def format_table(summary, fairness):
    """Plain-text table: mean ± 2 s.e. over seeds.

    Examples
    --------
    >>> import pandas as pd
    >>> from skfair_ij.benchmark import format_table, summarize
    >>> cols = ["test_error", "test_balanced_accuracy", "test_dp", "test_eo", "test_deo",
    ...         "val_error", "val_dp", "fit_seconds"]
    >>> rows = [dict(method="erm", seed=k, needs_s=False, **{c: 0.1 for c in cols})
    ...         for k in range(2)]
    >>> print(format_table(summarize(pd.DataFrame(rows)), "dp").splitlines()[2][:38])
    erm                      0.100 ± 0.000
    """
    width = max(22, *(len(str(m)) for m in summary.index))
    header = (
        f"{'method':{width}} {'error':>15} {'bal. acc':>8} {'DP':>15} {'EO':>15} "
        f"{'DEO':>15} {'fit s':>7} {'×ijack':>7} {'whole×':>7} {'s@predict':>9}"
    )
    lines = [header, "-" * len(header)]
    for method, row in summary.iterrows():

        def cell(col, row=row):
            spread = row[col + "_2se"]
            return f"{row[col]:.3f} ± {spread:.3f}" if np.isfinite(spread) else f"{row[col]:.3f}"

        lines.append(
            f"{method:{width}} {cell('test_error'):>15} {row['test_balanced_accuracy']:>8.3f} "
            f"{cell('test_dp'):>15} {cell('test_eo'):>15} {cell('test_deo'):>15} "
            f"{row['fit_seconds_median']:>7.1f} {row['fit_vs_ijack']:>7.2f} "
            f"{row.get('whole_vs_ijack', np.nan):>7.2f} "
            f"{'yes' if row['needs_s'] else 'no':>9}"
        )
    if summary["n_seeds"].max() < 2:
        lines.append("(one seed: no standard errors; use --seeds N for N > 1)")
    return "\n".join(lines)


def plot_pareto(summary, fairness, path):
    """Test error against the chosen test gap, one point per method, ±2 s.e. bars.

    Two panels: every method, and a zoom on the methods near the best trade-off.
    Filled stars are this library's IJ edits, circles its refits, squares need
    the sensitive attribute at prediction time.

    Examples
    --------
    >>> import tempfile, os
    >>> import pandas as pd
    >>> from skfair_ij.benchmark import plot_pareto
    >>> summary = pd.DataFrame({"test_error": [0.15], "test_error_2se": [0.01],
    ...     "test_dp": [0.2], "test_dp_2se": [0.01], "needs_s": [False], "n_seeds": [3]},
    ...     index=["erm"])
    >>> with tempfile.TemporaryDirectory() as out:
    ...     path = plot_pareto(summary, "dp", os.path.join(out, "p.png"))
    ...     print(os.path.exists(path))
    True
    """
    try:
        import matplotlib

        matplotlib.use("Agg")
        import matplotlib.pyplot as plt
    except ImportError:
        print("matplotlib is not installed (pip install 'skfair-ij[bench]'): no plot")
        return None
    gap = GAP_COLUMN[fairness]
    colours = plt.get_cmap("tab20").colors
    fig, axes = plt.subplots(1, 2, figsize=(13, 5.5))
    erm_error = summary["test_error"].get("erm", summary["test_error"].min())
    for ax, zoom in zip(axes, (False, True), strict=True):
        for k, (method, row) in enumerate(summary.iterrows()):
            if row["needs_s"]:
                marker = "s"
            elif method.endswith("_refit"):
                marker = "o"
            elif method in IJ_EDITS:
                marker = "*"
            else:
                marker = "D"
            ax.errorbar(
                row[gap],
                row["test_error"],
                xerr=np.nan_to_num(row[gap + "_2se"]),
                yerr=np.nan_to_num(row["test_error_2se"]),
                fmt=marker,
                # tab20 pairs dark and light shades of a hue: neighbours get other hues
                color=colours[(2 * k) % 20 + (2 * k // 20) % 2],
                capsize=3,
                markersize=11 if marker == "*" else 7,
                label=method,
            )
            if zoom:
                ax.annotate(
                    method,
                    (row[gap], row["test_error"]),
                    fontsize=7,
                    xytext=(4, 4),
                    textcoords="offset points",
                )
        ax.set_xlabel(f"test {fairness.upper()} gap (lower is fairer)")
        ax.set_ylabel("test error")
        ax.grid(alpha=0.3)
        if zoom:  # the methods within 0.03 error of ERM whose gap is near the lowest
            near = summary[summary["test_error"] <= erm_error + 0.03]
            best = float(near[gap].min())
            focus = near[near[gap] <= max(3 * best, best + 0.03)]
            gap_hi = focus[gap] + focus[gap + "_2se"].fillna(0)
            err_lo = focus["test_error"] - focus["test_error_2se"].fillna(0)
            err_hi = focus["test_error"] + focus["test_error_2se"].fillna(0)
            ax.set_xlim(0, max(0.02, float(gap_hi.max()) * 1.15))
            ax.set_ylim(float(err_lo.min()) - 0.002, float(err_hi.max()) + 0.002)
            ax.set_title("zoom: near the best trade-offs")
        else:
            ax.set_title(f"Adult, {int(summary['n_seeds'].max())} seeds, mean ± 2 s.e.")
            ax.legend(fontsize=7, ncol=2)
    fig.suptitle(
        "stars: IJ edit (skfair_ij), circles: refit with weights, squares: need s "
        "at predict time, diamonds: other baselines",
        fontsize=9,
    )
    fig.tight_layout()
    fig.savefig(path, dpi=110)
    plt.close(fig)
    return path
