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
    args = parser.parse_args(argv)
    if args.seeds < 1:
        parser.error(f"--seeds must be at least 1, got {args.seeds}")

    from .benchmark import format_table, run_benchmark, summarize

    results = run_benchmark(
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
    )
    print()
    print(format_table(summarize(results), args.fairness))
    print(f"\nresults.csv, summary.csv and the Pareto plot are in {args.out}/")
    return 0


if __name__ == "__main__":
    sys.exit(main())
