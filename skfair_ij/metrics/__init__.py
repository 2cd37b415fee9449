"""Group-fairness metrics for binary classifiers and their scikit-learn scorers.

All metrics take ``(y_true, y_pred, *, sensitive_features, sample_weight=None)``
and return the largest gap between any two groups (0 is perfectly fair).
"""

from ._criteria import (
    DemographicParity,
    EqualizedOdds,
    EqualOpportunity,
    ErrorRateParity,
    FairnessCriterion,
)
from ._fairness import (
    demographic_parity_difference,
    equal_opportunity_difference,
    equalized_odds_difference,
    error_rate_difference,
)
from ._scorers import constrained_refit, make_fairness_scorer

__all__ = [
    "DemographicParity",
    "EqualOpportunity",
    "EqualizedOdds",
    "ErrorRateParity",
    "FairnessCriterion",
    "constrained_refit",
    "demographic_parity_difference",
    "equal_opportunity_difference",
    "equalized_odds_difference",
    "error_rate_difference",
    "make_fairness_scorer",
]
