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
    utility_constrained_weights,
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


# ---------------------------------------------------------------- no utility cost
def test_utility_constrained_weights_solve_the_linear_programme():
    rng = np.random.default_rng(0)
    influences, utility = rng.normal(size=8), rng.normal(size=8)
    for budget in (0.5, 2.0, 8.0):
        delta = 1 - utility_constrained_weights(influences, utility, budget)
        assert np.all((delta >= 0) & (delta <= 1)) and delta.sum() <= budget + 1e-9
        assert delta @ utility >= -1e-9  # the validation loss does not rise (first order)
        # no vertex of the feasible set does better (brute force over the 0/1 corners
        # and the single fractional row an LP optimum may have)
        best = delta @ influences
        for mask in range(2**8):
            d = np.array([(mask >> i) & 1 for i in range(8)], dtype=float)
            if d.sum() <= budget and d @ utility >= 0:
                assert d @ influences <= best + 1e-9
    assert np.all(utility_constrained_weights(influences, utility, 0.0) == 1)
    with pytest.raises(ValueError, match="budget"):
        utility_constrained_weights(influences, utility, -1.0)


def test_utility_constrained_path_keeps_the_validation_loss():
    """Every point of the path lowers the fairness surrogate's linearisation and
    does not raise the validation loss to first order."""
    import torch

    from skfair_ij import FairIJClassifier
    from skfair_ij.adapters import get_adapter
    from skfair_ij.datasets import make_biased_classification
    from skfair_ij.influence import Exact, validation_loss_gradient

    X, y, s = make_biased_classification(3000, 5, bias=2.0, proxy_strength=1.0, random_state=0)
    tr, va = slice(0, 2000), slice(2000, None)
    kw = dict(sensitive_features=s[tr], X_val=X[va], y_val=y[va], sensitive_features_val=s[va])
    clf = FairIJClassifier(weighting="utility_constrained", solver=Exact(), random_state=0)
    clf.fit(X[tr], y[tr], **kw)
    assert clf.fit_status_ == "edited" and clf.lambda_ > 0
    adapter = get_adapter(clf.initial_estimator_)
    g_loss = validation_loss_gradient(
        adapter.logit_fn, adapter.theta, torch.as_tensor(X[va]), y[va]
    )
    steps = clf.path_thetas_ - adapter.theta[None, :]
    assert torch.all(steps @ g_loss <= 1e-10)
    np.testing.assert_allclose(clf.sample_weight_, clf.path_.weights(clf.best_index_))
    assert np.all((clf.sample_weight_ >= 0) & (clf.sample_weight_ <= 1))
    budget = (1 - clf.sample_weight_).sum()
    assert budget == pytest.approx(clf.lambda_, rel=1e-6) or budget < clf.lambda_


def test_a_new_rule_is_one_class():
    """The user guide's rule (doc/extending.rst): one subclass fits end to end,
    its weights are the ones its segment moved the model by."""
    import torch

    from skfair_ij import FairIJClassifier
    from skfair_ij.datasets import make_biased_classification
    from skfair_ij.weighting import Segment, WeightingRule

    class PositiveIJack(WeightingRule):
        name = "positive_ijack"

        def weights(self, influences, lam, *, features=None):
            return 1.0 - lam * np.clip(influences, 0, None)

        def segments(self, problem, curvature, terms, lambdas, **context):
            a = terms.influences.clamp(min=0)
            u = curvature.solve(problem.weighted_gradient_sum(a)) / problem.n_samples
            scale = 1.0 / max(float(a.abs().max()), 1e-12)
            lambdas = np.linspace(0, scale, 20) if lambdas is None else lambdas
            lam = torch.as_tensor(lambdas, dtype=problem.dtype)
            thetas = problem.theta[None, :] + lam[:, None] * u[None, :]
            return [Segment(np.asarray(lambdas, float), thetas, {}, direction=problem.host(a))]

        def path_weights(self, path, index):
            return 1.0 - path["lambda_step"][index] * path.segments[0].direction

    X, y, s = make_biased_classification(1500, 5, bias=2.0, random_state=0)
    clf = FairIJClassifier(weighting=PositiveIJack(), random_state=0)
    clf.fit(X, y, sensitive_features=s)
    assert clf.fit_status_ == "edited" and clf.path_.rule.name == "positive_ijack"
    assert clf.path_["val_gap"][clf.best_index_] < clf.path_["val_gap"][0]
    w = clf.sample_weight_
    np.testing.assert_allclose(w, clf.weighting_rule_.weights(clf.influences_, clf.lambda_))
    assert w.min() >= 0 and w.max() <= 1
