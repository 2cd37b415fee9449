"""The λ path of a fit: built step by step from the rule's segments
(:func:`influence_path`), evaluated on validation rows (:func:`evaluate_path`),
held as a value (:class:`LambdaPath`) and selected from (:mod:`._selection`)."""

from ._engine import InfluenceResult, Settings, influence_path
from ._evaluate import evaluate_path, score_points
from ._lambda_path import MIN_VALIDATION_CELL, LambdaPath, check_lambdas
from ._selection import (
    SELECTION_RULES,
    SELECTIONS,
    UNEDITED,
    CustomSelection,
    MaxGap,
    MinGap,
    OneSE,
    Selection,
    WithinTolerance,
    check_selection,
)

__all__ = [
    "MIN_VALIDATION_CELL",
    "SELECTIONS",
    "SELECTION_RULES",
    "UNEDITED",
    "CustomSelection",
    "InfluenceResult",
    "LambdaPath",
    "MaxGap",
    "MinGap",
    "OneSE",
    "Selection",
    "Settings",
    "WithinTolerance",
    "check_lambdas",
    "check_selection",
    "evaluate_path",
    "influence_path",
    "score_points",
]
