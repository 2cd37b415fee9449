"""The weighting rules (skfair_ij/weighting.py): closed forms and the rule objects."""

import numpy as np
import pytest

from skfair_ij.weighting import (
    DropUpweight,
    FairIJ,
    IJack,
    SimJack,
    check_rule,
    drop_upweight_weights,
    fair_ij_weights,
    ijack_weights,
    similarity_product,
    simjack_weights,
)

INFL = np.array([3.0, 0.5, -2.0, 0.0])


def test_closed_forms():
    np.testing.assert_array_equal(fair_ij_weights(INFL, 1.0), [0, 1, 1, 1])
    np.testing.assert_array_equal(drop_upweight_weights(INFL, 1.0), [0, 1, 2, 1])
    np.testing.assert_allclose(ijack_weights(INFL, 0.1), 1 - 0.1 * INFL)
    phi = np.eye(4)
    np.testing.assert_allclose(
        simjack_weights(INFL, 0.1, phi), 1 - 0.1 * similarity_product(phi, INFL)
    )
    with pytest.raises(ValueError, match="non-negative"):
        ijack_weights(INFL, -1.0)


def test_rule_objects_give_their_weights():
    phi = np.random.default_rng(0).normal(size=(4, 2))
    assert np.array_equal(FairIJ().weights(INFL, 1.0), fair_ij_weights(INFL, 1.0))
    assert np.array_equal(DropUpweight().weights(INFL, 1.0), drop_upweight_weights(INFL, 1.0))
    assert np.array_equal(IJack().weights(INFL, 0.1), ijack_weights(INFL, 0.1))
    np.testing.assert_allclose(
        SimJack(epsilon=2.0).weights(INFL, 0.1, features=phi), simjack_weights(INFL, 0.1, phi, 2.0)
    )
    with pytest.raises(ValueError, match="needs the features"):
        SimJack().weights(INFL, 0.1)


def test_rule_settings():
    assert IJack().resolve_update(convex=True) == "jackknife"
    assert IJack().resolve_update(convex=False) == "fisher"
    assert IJack(update="jackknife").resolve_update(convex=False) == "jackknife"
    assert SimJack().resolve_update(convex=False) == "jackknife"
    assert IJack(n_steps=3).n_segments == 3
    assert IJack(n_steps=3, lambdas=[0.1]).n_segments == 1  # a fixed grid: one segment
    assert FairIJ().n_segments == 1 and not FairIJ().linear and IJack().linear
    for name, cls in (("ijack", IJack), ("simjack", SimJack), ("fair_ij", FairIJ)):
        assert isinstance(check_rule(name), cls)
    assert isinstance(check_rule("drop_upweight"), DropUpweight)
    with pytest.raises(ValueError, match="weighting must be one of"):
        check_rule("drop")
    with pytest.raises(ValueError, match="'epsilon' parameter of SimJack"):
        check_rule(SimJack(epsilon=0))
