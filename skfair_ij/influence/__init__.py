"""Torch kernels: per-sample gradients, fairness surrogates, curvature, influence.

No scikit-learn logic lives here; adapters translate concrete models into a
:class:`BinaryModelProblem` and estimators call these functions.
"""

from ..metrics._criteria import FAIRNESS_CRITERIA
from ._curvature import (
    CURVATURE_METHODS,
    CURVATURE_PRODUCTS,
    Curvature,
    InfluenceConvergenceWarning,
    conjugate_gradient,
)
from ._grads import logistic_loss, logit_jacobian, per_sample_grads
from ._influence import (
    discrete_path_parameter_changes,
    fairness_influence,
    ij_parameter_change,
    threshold_parameter_changes,
    validation_loss_gradient,
)
from ._problem import DEFAULT_MEMORY_BUDGET, BinaryModelProblem
from ._solvers import CG, DiagonalFisher, Exact, Identity, Solver
from ._sparse import SparseRows
from ._surrogates import (
    fairness_surrogate,
    fairness_value_and_gradient,
    gap_constraints,
    gap_from_cell_means,
)

__all__ = [
    "CG",
    "DiagonalFisher",
    "Exact",
    "Identity",
    "Solver",
    "SparseRows",
    "CURVATURE_METHODS",
    "CURVATURE_PRODUCTS",
    "DEFAULT_MEMORY_BUDGET",
    "FAIRNESS_CRITERIA",
    "BinaryModelProblem",
    "Curvature",
    "InfluenceConvergenceWarning",
    "conjugate_gradient",
    "discrete_path_parameter_changes",
    "fairness_influence",
    "fairness_surrogate",
    "fairness_value_and_gradient",
    "gap_constraints",
    "gap_from_cell_means",
    "ij_parameter_change",
    "logistic_loss",
    "logit_jacobian",
    "per_sample_grads",
    "threshold_parameter_changes",
    "validation_loss_gradient",
]
