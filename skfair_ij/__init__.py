"""skfair_ij: fairer classifiers by influence-based re-weighting of training data.

Public API: :class:`FairIJClassifier` (edit a trained model with the
infinitesimal jackknife), :class:`FairReweighter` (re-weight and refit),
:mod:`skfair_ij.metrics` (fairness metrics and scorers), :mod:`skfair_ij.datasets`
(bundled Adult data, synthetic biased data), :mod:`skfair_ij.weighting` (the
rules), :mod:`skfair_ij.influence` (the kernels and the curvature solvers),
:mod:`skfair_ij.backends` (where the training rows live: in memory or on a cluster).
"""

from ._base import BaseFairInfluence, FairnessWarning
from ._classifier import FairIJClassifier
from ._display import FairnessPathDisplay
from ._labels import LabelledClassifier
from ._reweighter import FairReweighter
from .path import LambdaPath, MaxGap, MinGap, OneSE, Selection, WithinTolerance

__version__ = "0.1.0.dev0"

__all__ = [
    "BaseFairInfluence",
    "FairIJClassifier",
    "FairReweighter",
    "FairnessPathDisplay",
    "FairnessWarning",
    "LabelledClassifier",
    "LambdaPath",
    "MaxGap",
    "MinGap",
    "OneSE",
    "Selection",
    "WithinTolerance",
    "__version__",
]
