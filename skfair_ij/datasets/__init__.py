"""Datasets: the bundled Adult census and German credit data, and a synthetic biased
problem."""

from ._adult import load_adult
from ._german import load_german_credit
from ._synthetic import make_biased_classification

__all__ = ["load_adult", "load_german_credit", "make_biased_classification"]
