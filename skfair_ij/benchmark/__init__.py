"""The main job: Ghosh et al.'s Adult protocol against ERM and fairlearn."""

from ._methods import FAIRNESS, METHODS, PREVIOUS
from ._protocol import SPLIT_SIZES, SeluMLP, adult_splits, make_mlp
from ._report import format_table, plot_pareto, summarize
from ._run import run_benchmark
from ._table import table_splits

__all__ = [
    "FAIRNESS",
    "METHODS",
    "PREVIOUS",
    "SPLIT_SIZES",
    "SeluMLP",
    "adult_splits",
    "format_table",
    "make_mlp",
    "plot_pareto",
    "run_benchmark",
    "summarize",
    "table_splits",
]
