"""skfair_ij: fairer classifiers by influence-based re-weighting of training data."""

__version__ = "0.1.0.dev0"

__all__ = ["__version__"]
