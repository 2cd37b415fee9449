"""Command line: ``skfair-ij benchmark`` (also ``python -m skfair_ij benchmark``)."""

import argparse
import sys


def main(argv=None):
    parser = argparse.ArgumentParser(
        prog="skfair-ij", description="Influence-based fairness for scikit-learn models."
    )
    commands = parser.add_subparsers(dest="command", required=True)
    bench = commands.add_parser(
        "benchmark",
        help="run the Adult protocol: ERM, the influence rules and fairlearn baselines",
    )
    bench.add_argument(
        "--dataset",
        default="adult",
        choices=["adult", "german_credit"],
        help="a bundled data set (german_credit: --sensitive sex or age_group)",
    )
    bench.add_argument("--model", default="mlp", choices=["mlp", "logreg"])
    bench.add_argument("--fairness", default="dp", choices=["dp", "eo", "deo"])
    bench.add_argument("--seeds", type=int, default=3, help="random splits (default 3)")
    bench.add_argument(
        "--methods", nargs="+", default=None, help="subset of methods (default: all)"
    )
    bench.add_argument("--out", default="benchmark_results", help="output folder")
    bench.add_argument(
        "--quick", action="store_true", help="one seed, five methods (under a minute)"
    )
    bench.add_argument("--no-progress", action="store_true", help="no progress bar")
    bench.add_argument("--data", default=None, help="a table (.csv or .parquet) instead of Adult")
    bench.add_argument("--target", default=None, help="the label column of --data")
    bench.add_argument(
        "--sensitive",
        nargs="+",
        default=None,
        help="sensitive column(s) of --data, or of Adult (e.g. race, or sex race)",
    )
    bench.add_argument("--positive", default=None, help="the favourable label (default: greater)")
    bench.add_argument(
        "--target-gap",
        type=float,
        default=None,
        help="a stated gap: the bound of ijack_max_gap, expgrad(_deterministic) and OxonFair",
    )
    bench.add_argument(
        "--hide",
        nargs="+",
        default=(),
        help="columns left out of X (e.g. the sensitive ones and their proxies)",
    )
    args = parser.parse_args(argv)
    if args.seeds < 1:
        parser.error(f"--seeds must be at least 1, got {args.seeds}")
    if args.data is not None and not (args.target and args.sensitive):
        parser.error("--data needs --target (its label column) and --sensitive (its groups)")
    if args.data is None and args.target is not None:
        parser.error("--target names a column of --data; pass --data too")

    from .benchmark import format_table, run_benchmark, summarize

    try:
        results = _run(run_benchmark, args)
    except KeyboardInterrupt:
        print("skfair-ij: interrupted", file=sys.stderr)
        return 130
    except BAD_INPUT as exc:  # one line naming the fix, never a traceback
        message = str(exc).strip().strip("'\"") or type(exc).__name__
        if isinstance(exc, OSError) and exc.strerror:
            message = f"{exc.strerror}: {exc.filename}" if exc.filename else exc.strerror
        if isinstance(exc, ImportError):
            message = f"{message} (pip install the missing package)"
        parser.exit(2, f"skfair-ij: error: {message.splitlines()[0]}\n")
    print()
    print(format_table(summarize(results), args.fairness))
    print(f"\nresults.csv, summary.csv and the Pareto plot are in {args.out}/")
    return 0


# what bad input (a file, a column, a label, an option) raises
BAD_INPUT = (ValueError, TypeError, KeyError, OSError, ImportError)


def _run(run_benchmark, args):
    return run_benchmark(
        dataset=args.dataset,
        model=args.model,
        fairness=args.fairness,
        seeds=args.seeds,
        methods=args.methods,
        out=args.out,
        quick=args.quick,
        progress=not args.no_progress,
        data=args.data,
        target=args.target,
        sensitive=args.sensitive,
        positive=args.positive,
        hide=args.hide,
        target_gap=args.target_gap,
    )


if __name__ == "__main__":
    sys.exit(main())
