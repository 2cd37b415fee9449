"""The package's layout: small constructors, small modules, model types known only
to the adapters."""

import inspect
import re
from pathlib import Path

import pytest

import skfair_ij
from skfair_ij import FairIJClassifier, FairReweighter

PACKAGE = Path(skfair_ij.__file__).parent


@pytest.mark.parametrize("Estimator", [FairIJClassifier, FairReweighter])
def test_constructors_take_at_most_13_parameters(Estimator):
    parameters = inspect.signature(Estimator.__init__).parameters
    assert len(parameters) - 1 <= 13  # without self
    assert set(Estimator._parameter_constraints) == set(parameters) - {"self"}


def test_no_module_over_400_lines():
    long = {
        str(path.relative_to(PACKAGE)): n
        for path in PACKAGE.rglob("*.py")
        if (n := len(path.read_text().splitlines())) > 400
    }
    assert not long


def test_model_types_are_asked_only_in_adapters():
    asking = re.compile(
        r"_is_skorch|isinstance\([^)]*(NeuralNet|nn\.Module|LogisticRegression|SGDClassifier)"
    )
    offenders = [
        str(path.relative_to(PACKAGE))
        for path in PACKAGE.rglob("*.py")
        if "adapters" not in path.parts and asking.search(path.read_text())
    ]
    assert not offenders
