"""skfair_ij: fairer classifiers by influence-based re-weighting of training data.

Public API: :class:`FairIJClassifier` (edit a trained model with the
infinitesimal jackknife), :class:`FairReweighter` (re-weight and refit),
:mod:`skfair_ij.metrics` (fairness metrics and scorers), :mod:`skfair_ij.datasets`
(bundled Adult data, synthetic biased data), :mod:`skfair_ij.weighting` (the rules).
"""

from ._base import FairnessWarning
from ._classifier import FairIJClassifier
from ._display import FairnessPathDisplay
from ._reweighter import FairReweighter

__version__ = "0.1.0.dev0"

__all__ = [
    "FairIJClassifier",
    "FairReweighter",
    "FairnessPathDisplay",
    "FairnessWarning",
    "__version__",
]
