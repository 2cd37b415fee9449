"""What a fit produces as values (skfair_ij/_outcome.py): the status of every
outcome, the model facing the user, and nothing set on the estimator before
``_set_fitted``."""

import numpy as np
import pytest

from skfair_ij import FairIJClassifier, FairReweighter, MaxGap, OneSE
from skfair_ij._outcome import NOT_MEASURABLE, fit_status
from skfair_ij.datasets import make_biased_classification


def _path(gaps, accuracies):
    n = len(gaps)
    return {
        "lambda": np.linspace(0, 1, n),
        "val_gap": np.asarray(gaps, float),
        "val_gap_se": np.full(n, 0.005),
        "val_accuracy": np.asarray(accuracies, float),
        "val_positive_rate": np.full(n, 0.3),
    }


def test_statuses_of_the_outcomes():
    assert fit_status(None, None, None, "one group") == (
        "gap_not_measurable",
        NOT_MEASURABLE.format(reason="one group"),
    )
    assert fit_status(OneSE(), _path([0.2], [0.8]), 0) == ("fixed_lambda", "")
    edited = _path([0.2, 0.1, 0.02], [0.80, 0.80, 0.795])
    status, message = fit_status(OneSE(), edited, OneSE().select(edited, warn=False))
    assert status == "edited" and message == ""
    costly = _path([0.2, 0.1, 0.02], [0.80, 0.70, 0.60])
    status, message = fit_status(OneSE(), costly, 0)
    assert status == "accuracy_cost" and message
    # an earlier round edited: an unedited last round still ends an edit
    assert fit_status(OneSE(), costly, 0, earlier_edits=True) == ("edited", "")
    target = MaxGap(0.01)
    status, _ = fit_status(target, edited, target.select(edited, warn=False))
    assert status == "target_not_reached"


@pytest.mark.parametrize("Estimator", [FairIJClassifier, FairReweighter])
def test_a_failed_fit_sets_no_attribute(Estimator):
    """Validation fails before anything is set: a refit keeps the earlier fit."""
    X, y, s = make_biased_classification(600, 4, bias=2.0, random_state=0)
    clf = Estimator(random_state=0).fit(X, y, sensitive_features=s)
    before = dict(vars(clf))
    with pytest.raises(ValueError, match="sensitive_features"):
        clf.fit(X, y, sensitive_features=s[:10])
    assert vars(clf).keys() == before.keys()
    assert clf.lambda_ == before["lambda_"] and clf.path_ is before["path_"]
