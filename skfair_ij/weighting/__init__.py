"""Re-weighting rules: closed forms of the influence vector, and the rule objects
the estimators take as ``weighting``.

Ghosh et al.'s rules minimise ``Iᵀ(w − 1) + (1/λ) D(w, 1)`` over a set of
weights W (their Propositions 3.1–3.3 and C.1):

=============== ========== ============================ ==============================
rule            W          proximal term D              closed form
=============== ========== ============================ ==============================
``fair_ij``     {0, 1}     Hamming                      w_n = 0 iff I_n > 1/λ
``drop_upweight`` {0,1,2}  Hamming                      0 iff I_n > 1/λ; 2 iff I_n < −1/λ
``ijack``       R          ½‖w − 1‖²                    w = 1 − λ I
``simjack``     R          ½ (w−1)ᵀ C⁻¹ (w−1)           w = 1 − λ C I
=============== ========== ============================ ==============================

``I_n = −g_Fᵀ H⁻¹ g_n`` is the influence of point n on the fairness gap
(positive: removing the point lowers the gap). ``utility_constrained`` (Li &
Liu, 2022) solves a linear programme that also keeps the validation loss from
rising.

Each rule also builds its own segment of the λ path (:meth:`WeightingRule.segments`,
returning :class:`Segment` values from the :class:`StepTerms` of one
linearisation of the gap).

The estimators take a rule as an object — :class:`IJack`, :class:`SimJack`,
:class:`FairIJ`, :class:`DropUpweight`, :class:`UtilityConstrained` — or as its
name (``"ijack"`` for ``IJack()``).
"""

from ._functions import (
    WEIGHTING_RULES,
    drop_upweight_weights,
    fair_ij_weights,
    ijack_weights,
    rule_weights,
    similarity_product,
    simjack_weights,
)
from ._rules import (
    DropUpweight,
    FairIJ,
    IJack,
    SimJack,
    UtilityConstrained,
    WeightingRule,
    check_rule,
)
from ._segments import Segment, StepTerms
from ._utility import utility_constrained_weights

__all__ = [
    "WEIGHTING_RULES",
    "DropUpweight",
    "FairIJ",
    "IJack",
    "Segment",
    "StepTerms",
    "SimJack",
    "UtilityConstrained",
    "WeightingRule",
    "check_rule",
    "drop_upweight_weights",
    "fair_ij_weights",
    "ijack_weights",
    "rule_weights",
    "similarity_product",
    "simjack_weights",
    "utility_constrained_weights",
]
