"""The benchmark's report: the summary over seeds, the table and the Pareto plot."""

import numpy as np
import pandas as pd

GAP_COLUMN = {"dp": "test_dp", "eo": "test_eo", "deo": "test_deo"}


IJ_EDITS = (
    "fair_ij",
    "drop_upweight",
    "ijack",
    "ijack_jackknife",
    "ijack_fisher",
    "ijack_fisher_pooled",
    "simjack",
    "ijack_diagonal",
    "ijack_max_gap",
    "ijack_max_gap_randomized",
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
    summary["needs_s"] = grouped["needs_s"].first().fillna(False).astype(bool)
    if "status" in results:  # our estimators' fit_status_ over the seeds
        summary["status"] = grouped["status"].agg(_statuses)
    summary["n_seeds"] = n
    if "failed" in results:  # seeds on which a method raised (its means skip them)
        summary["n_failed"] = grouped["failed"].count()
        summary["failure"] = grouped["failed"].first()
    return summary


def _statuses(values):
    """``"edited"``, or each status with its number of seeds (``"edited 2, accuracy_cost 1"``)."""
    counts = pd.Series([v for v in values if isinstance(v, str) and v]).value_counts()
    if len(counts) == 1:
        return counts.index[0]
    return ", ".join(f"{status} {n}" for status, n in counts.items())


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
        f"{'DEO':>15} {'fit s':>7} {'×ijack':>7} {'whole×':>7} {'s@predict':>9}  status"
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
            f"{'yes' if row['needs_s'] else 'no':>9}  {row.get('status', '') or '-'}"
        )
    if summary["n_seeds"].max() < 2:
        lines.append("(one seed: no standard errors; use --seeds N for N > 1)")
    failed = summary[summary["n_failed"] > 0] if "n_failed" in summary else summary[:0]
    for method, row in failed.iterrows():
        lines.append(
            f"{method} failed on {row['n_failed']} of {row['n_seeds']} seeds: {row['failure']}"
        )
    return "\n".join(lines)


def plot_pareto(summary, fairness, path, *, data_name="Adult"):
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
            _draw_method(ax, method, row, gap, colours, k, zoom)
        ax.set_xlabel(f"test {fairness.upper()} gap (lower is fairer)")
        ax.set_ylabel("test error")
        ax.grid(alpha=0.3)
        if zoom:
            _zoom(ax, summary, gap, erm_error)
        else:
            ax.set_title(f"{data_name}, {int(summary['n_seeds'].max())} seeds, mean ± 2 s.e.")
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


def _draw_method(ax, method, row, gap, colours, k, label):
    """One method's point with its ±2 s.e. bars (named next to it when ``label``)."""
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
    if label:
        ax.annotate(
            method,
            (row[gap], row["test_error"]),
            fontsize=7,
            xytext=(4, 4),
            textcoords="offset points",
        )


def _zoom(ax, summary, gap, erm_error):
    """Limits on the methods within 0.03 error of ERM whose gap is near the lowest."""
    near = summary[summary["test_error"] <= erm_error + 0.03]
    best = float(near[gap].min())
    focus = near[near[gap] <= max(3 * best, best + 0.03)]
    gap_hi = focus[gap] + focus[gap + "_2se"].fillna(0)
    err_lo = focus["test_error"] - focus["test_error_2se"].fillna(0)
    err_hi = focus["test_error"] + focus["test_error_2se"].fillna(0)
    ax.set_xlim(0, max(0.02, float(gap_hi.max()) * 1.15))
    ax.set_ylim(float(err_lo.min()) - 0.002, float(err_hi.max()) + 0.002)
    ax.set_title("zoom: near the best trade-offs")
