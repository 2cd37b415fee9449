"""What the option objects (criteria, rules, solvers, selections) share: their
settings are scikit-learn parameters, validated against ``_parameter_constraints``,
and a name in a registry stands for the object with its defaults."""

from sklearn.base import BaseEstimator
from sklearn.utils._param_validation import validate_parameter_constraints


class Options(BaseEstimator):
    """Base class of the option objects."""

    _parameter_constraints = {}

    def validate(self):
        """Check the settings; returns self."""
        validate_parameter_constraints(
            self._parameter_constraints, self.get_params(deep=False), type(self).__name__
        )
        return self


def resolve(value, base, registry, param, *, also=""):
    """The validated object ``value`` stands for: itself, or ``registry[value]()``."""
    if isinstance(value, base):
        return value.validate()
    if isinstance(value, str) and value in registry:
        return registry[value]().validate()
    raise ValueError(
        f"{param} must be one of {tuple(registry)}, a {base.__name__}{also}, got {value!r}."
    )
