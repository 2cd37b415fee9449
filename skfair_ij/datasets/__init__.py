"""Datasets: the bundled Adult census data and a synthetic biased problem."""

from ._adult import load_adult
from ._synthetic import make_biased_classification

__all__ = ["load_adult", "make_biased_classification"]
