"""``skfair-ij benchmark``: the Adult protocol, every method, tables and a Pareto plot."""

import importlib.util
import time
import warnings
from pathlib import Path

import numpy as np
import pandas as pd
import torch

from ..adapters import interrupts_reach_caller
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
from ._report import plot_pareto, summarize
from ._table import adult_frame, german_frame, missing_rows, read_table, table_splits


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
    hide=(),
    target_gap=None,
):
    """Run the protocol and write ``results.csv``, ``summary.csv`` and a Pareto plot.

    Parameters
    ----------
    dataset : {"adult", "german_credit"}
        The bundled data when ``data`` is None: Adult (Ghosh et al.'s protocol)
        or German credit (50/25/25 splits; ``sex``, or ``sensitive=["age_group"]``).
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
        A table of raw columns (``.csv``, ``.parquet``) instead of Adult (random
        50/25/25 splits, :func:`table_splits`), with its ``target`` column and
        ``sensitive`` columns (with ``data=None``: Adult's, e.g. ``["race"]``).
    target : str, default=None
    sensitive : list of str, default=None
    positive : object, default=None
        The favourable label (default: the greater one).
    hide : list of str, default=()
        Columns left out of the inputs (the sensitive ones and their proxies).
    target_gap : float, default=None
        A stated target: the bound of ``ijack_max_gap``, ``expgrad``,
        ``expgrad_deterministic`` and OxonFair (their defaults without it).

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
    data_name, splits = _splits_of(dataset, data, target, sensitive, positive, hide)
    seeds, methods = _check_options(model, fairness, seeds, methods, quick, target_gap)
    out = Path(out)
    out.mkdir(parents=True, exist_ok=True)
    torch.set_num_threads(max(1, torch.get_num_threads()))
    rows = _run_all(splits, seeds, methods, model, fairness, target_gap, progress)
    results = pd.DataFrame(rows)
    results.to_csv(out / "results.csv", index=False)
    summary = summarize(results)
    summary.to_csv(out / "summary.csv")
    plot_pareto(summary, fairness, out / f"pareto_{model}_{fairness}.png", data_name=data_name)
    return results


def _run_all(splits, seeds, methods, model, fairness, target_gap, progress):
    """The rows of every method on every split, with a progress bar."""
    from tqdm.auto import tqdm

    rows = []
    bar = tqdm(total=seeds * len(methods), disable=not progress, desc="benchmark")
    for seed in range(seeds):
        split = splits(seed)
        ctx = Context(seed, FAIRNESS[fairness], split["train"], split["val"], split["test"])
        ctx.target_gap = target_gap
        bar.set_postfix_str(f"seed {seed}: training ERM {model}")
        _train_erm(ctx, model, seed)
        for name in methods:
            bar.set_postfix_str(f"seed {seed}: {name}")
            rows.append(_run_method(name, ctx, fairness, seed, tqdm.write))
            bar.update()
    bar.close()
    return rows


def _splits_of(dataset, data, target, sensitive, positive, hide):
    """The data's name (for the plot's title) and ``splits(seed)``."""
    if dataset not in ("adult", "german_credit"):
        raise ValueError(f"Unknown dataset {dataset!r}; 'adult' and 'german_credit' are bundled.")
    if data is None:
        data_name = "German credit" if dataset == "german_credit" else "Adult"
        data_name += f" by {' × '.join(sensitive)}" if sensitive else ""
    else:
        data_name = Path(data).name if isinstance(data, str | Path) else "table"
    data_name += f" (X without {', '.join(hide)})" if hide else ""
    if dataset == "german_credit" and data is None:
        data, target, sensitive = german_frame(), "good_credit", sensitive or ["sex"]
    if hide and not (data is not None or sensitive):
        raise ValueError("hide= names columns of a table: give sensitive= (or data=) too.")
    if data is None and not sensitive:
        return data_name, adult_splits
    if data is not None and not (target and sensitive):
        raise ValueError("A table needs target= and sensitive= (its column names).")
    if data is None:
        frame, target = adult_frame(), "income"
    else:
        frame = data if isinstance(data, pd.DataFrame) else read_table(data)
    dropped = missing_rows(frame, target, list(sensitive))
    if dropped:
        print(
            f"{dropped} of {len(frame)} rows have no label or no group "
            f"({', '.join([target, *sensitive])}): they are left out."
        )

    def splits(seed):
        return table_splits(
            frame, target, list(sensitive), seed, positive=positive, hide=list(hide)
        )

    return data_name, splits


def _check_options(model, fairness, seeds, methods, quick, target_gap):
    """The number of seeds and the methods to run, validated."""
    if target_gap is not None and not 0 < target_gap < 1:
        raise ValueError(f"target_gap must be between 0 and 1, got {target_gap}.")
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
    return seeds, methods


def _train_erm(ctx, model, seed):
    """Train the ERM model of a split (``ctx.erm``, ``ctx.erm_seconds``)."""
    X, y, _ = ctx.train
    start = time.perf_counter()
    if model == "mlp":
        with interrupts_reach_caller():  # skorch would swallow Ctrl-C
            ctx.erm = make_mlp(X.shape[1], seed).fit(X, y.astype(np.float32))
    else:
        from sklearn.linear_model import LogisticRegression

        ctx.erm = LogisticRegression(max_iter=2000).fit(X.astype(np.float64), y)
    ctx.erm_seconds = time.perf_counter() - start


def _run_method(name, ctx, fairness, seed, write):
    """One method on one split: its row of the results (a failure is said and
    recorded, the others go on)."""
    with warnings.catch_warnings(), interrupts_reach_caller():
        warnings.simplefilter("ignore")  # our outcome is in the status column
        try:
            fitted = METHODS[name](ctx)
        except Exception as exc:  # a peer's own failure: said, the others go on
            failure = f"{type(exc).__name__}: {exc}".splitlines()[0][:200]
            write(f"{name} failed on seed {seed}: {failure}")
            return {"method": name, "seed": seed, "failed": failure}
        row = {
            "method": name,
            "seed": seed,
            "fairness": fairness,
            "fit_seconds": fitted.seconds,
            # the whole fit: with the ERM training when the method starts from it
            "whole_seconds": fitted.seconds
            + (0.0 if fitted.trains_own_model or name == "erm" else ctx.erm_seconds),
            "needs_s": fitted.needs_s,
            "status": fitted.status,
        }
        for part in ("val", "test"):
            Xp, yp, sp = getattr(ctx, part)
            row.update(_scores(yp, fitted.predict(Xp, sp), sp, part))
    return row
