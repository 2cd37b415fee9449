"""A net facing the user's labels (skfair_ij/_labels.py)."""

import numpy as np

from skfair_ij import LabelledClassifier
from skfair_ij._labels import decoded, speaks_codes


def test_labels_that_are_the_codes_need_no_wrapper():
    assert speaks_codes(np.array([0, 1]))
    assert not speaks_codes(np.array(["no", "yes"]))
    assert not speaks_codes(np.array([1, 2]))


def test_a_net_predicting_codes_speaks_the_users_labels():
    from skfair_ij.benchmark import make_mlp

    rng = np.random.default_rng(0)
    X = rng.normal(size=(200, 3)).astype(np.float32)
    codes = (X[:, 0] > 0).astype(np.float32)
    net = make_mlp(3, 0).fit(X, codes)
    classes = np.array(["no", "yes"])
    model = decoded(net, classes)
    assert isinstance(model, LabelledClassifier)
    np.testing.assert_array_equal(model.classes_, classes)
    predicted = model.predict(X)
    assert set(predicted) <= {"no", "yes"}
    np.testing.assert_array_equal(predicted == "yes", np.rint(net.predict(X)) == 1)
    assert decoded(net, np.array([0, 1])) is net
