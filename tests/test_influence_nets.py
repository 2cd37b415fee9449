"""The influence engine on skorch nets and plain torch modules."""

import numpy as np
import pytest
import torch
from skorch import NeuralNetBinaryClassifier, NeuralNetClassifier

from skfair_ij.adapters import SkorchAdapter, TorchModuleAdapter, get_adapter
from skfair_ij.datasets import make_biased_classification
from skfair_ij.influence import (
    Curvature,
    Exact,
    fairness_influence,
    fairness_surrogate,
    fairness_value_and_gradient,
    ij_parameter_change,
    per_sample_grads,
)
from skfair_ij.weighting import IJack


class MLP(torch.nn.Module):
    def __init__(self, n_features=5, n_hidden=16, n_out=1, softmax=False):
        super().__init__()
        self.hidden = torch.nn.Linear(n_features, n_hidden)
        self.out = torch.nn.Linear(n_hidden, n_out)
        self.softmax = softmax

    def forward(self, X):
        z = self.out(torch.selu(self.hidden(X)))
        if self.softmax:
            return torch.softmax(z, dim=-1)
        return z.squeeze(-1) if z.shape[-1] == 1 else z


@pytest.fixture(scope="module")
def data():
    # one draw of the problem (its coefficients depend on random_state), split in two
    X, y, s = make_biased_classification(600, 5, bias=2.0, random_state=0)
    X, y, s, Xv, yv, sv = X[:300], y[:300], s[:300], X[300:], y[300:], s[300:]
    return X.astype(np.float32), y, s, Xv.astype(np.float32), yv, sv


@pytest.fixture(scope="module")
def binary_net(data):
    X, y, *_ = data
    torch.manual_seed(0)
    net = NeuralNetBinaryClassifier(
        MLP,
        max_epochs=30,
        lr=0.05,
        optimizer=torch.optim.SGD,
        optimizer__weight_decay=1e-3,
        train_split=None,
        verbose=0,
    )
    return net.fit(X, y.astype(np.float32))


def test_per_sample_grads_equal_loop(binary_net, data):
    X, y, *_ = data
    adapter = get_adapter(binary_net)
    assert isinstance(adapter, SkorchAdapter) and adapter.weight_decay == 1e-3
    X_t, y_t = adapter.to_tensor(X[:20]), torch.as_tensor(y[:20], dtype=torch.float32)
    batched = per_sample_grads(adapter.logit_fn, adapter.theta, X_t, y_t)
    module = binary_net.module_
    loss_fn = torch.nn.BCEWithLogitsLoss()
    for n in range(20):
        module.zero_grad()
        loss_fn(module(X_t[n : n + 1]), y_t[n : n + 1]).backward()
        expected = torch.cat([p.grad.reshape(-1) for p in module.parameters()])
        torch.testing.assert_close(batched[n], expected, rtol=1e-5, atol=1e-6)
    # the problem's Jacobian route gives the same gradients
    problem = adapter.make_problem(X, y)
    rows, J = next(problem.jacobians())
    grads = problem.residual[rows, None] * J
    torch.testing.assert_close(grads[:20], batched, rtol=1e-5, atol=1e-6)
    torch.testing.assert_close(problem.per_sample_grads(slice(0, 20)), batched)


def _dp_value_and_gradient(adapter, Xv, yv, sv):
    """Demographic-parity surrogate on the validation data and its gradient."""
    return fairness_value_and_gradient(
        adapter.logit_fn,
        adapter.theta,
        adapter.to_tensor(Xv),
        torch.as_tensor(yv),
        torch.as_tensor(sv),
        "demographic_parity",
    )


def _surrogate(net, Xv, yv, sv):
    proba = torch.as_tensor(net.predict_proba(Xv)[:, 1], dtype=torch.float64)
    return float(
        fairness_surrogate(
            proba, torch.as_tensor(yv).double(), torch.as_tensor(sv), "demographic_parity"
        )
    )


@pytest.mark.parametrize("method", ["cg", "exact", "diagonal"])
def test_edited_net_moves_as_predicted(binary_net, data, method):
    X, y, s, Xv, yv, sv = data
    adapter = get_adapter(binary_net)
    problem = adapter.make_problem(X, y)
    value, g_F = _dp_value_and_gradient(adapter, Xv, yv, sv)
    curvature = Curvature(problem, method, damping=1e-2, maxiter=500)
    influences = fairness_influence(problem, curvature, g_F)
    direction = ij_parameter_change(problem, curvature, -influences)  # I-JACK, λ = 1
    predicted_slope = float(g_F @ direction)
    assert predicted_slope < 0  # removing harmful weight lowers the gap to first order
    lam = 0.2 * value / -predicted_slope  # a step that should remove ~20% of the gap
    edited = adapter.with_parameters(adapter.theta + lam * direction)
    assert type(edited) is NeuralNetBinaryClassifier
    before = _surrogate(binary_net, Xv, yv, sv)
    after = _surrogate(edited, Xv, yv, sv)
    assert before == pytest.approx(value, rel=1e-4)
    assert after < before
    assert (after - before) == pytest.approx(lam * predicted_slope, rel=0.5)
    # the original net is untouched
    torch.testing.assert_close(get_adapter(binary_net).theta, adapter.theta)


def test_two_class_skorch_classifier(data):
    X, y, s, Xv, yv, sv = data
    torch.manual_seed(0)
    net = NeuralNetClassifier(
        MLP,
        module__n_out=2,
        module__softmax=True,
        max_epochs=10,
        lr=0.1,
        train_split=None,
        verbose=0,
    ).fit(X, y)
    adapter = get_adapter(net)
    assert adapter.output == "two_proba"
    proba = net.predict_proba(X)[:, 1]
    np.testing.assert_allclose(
        torch.sigmoid(torch.as_tensor(adapter.decision_function(X))).numpy(),
        proba,
        rtol=1e-4,
        atol=1e-6,
    )
    edited = adapter.with_parameters(adapter.theta)
    np.testing.assert_allclose(edited.predict_proba(X), net.predict_proba(X), rtol=1e-6)


def test_plain_torch_module(data):
    X, y, *_ = data
    torch.manual_seed(0)
    module = MLP()
    optimizer = torch.optim.Adam(module.parameters(), lr=0.01)
    X_t, y_t = torch.as_tensor(X), torch.as_tensor(y, dtype=torch.float32)
    for _ in range(100):
        optimizer.zero_grad()
        torch.nn.functional.binary_cross_entropy_with_logits(module(X_t), y_t).backward()
        optimizer.step()
    adapter = get_adapter(module, weight_decay=0.0)
    assert isinstance(adapter, TorchModuleAdapter)
    np.testing.assert_allclose(
        adapter.decision_function(X), module(X_t).detach().numpy(), rtol=1e-5, atol=1e-6
    )
    features = adapter.features(X)
    assert features.shape == (len(X), 16)
    edited = adapter.with_parameters(torch.zeros_like(adapter.theta))
    assert isinstance(edited, MLP)
    assert torch.count_nonzero(edited(X_t)) == 0 and torch.count_nonzero(module(X_t)) > 0


def test_bad_models(data):
    from sklearn.exceptions import NotFittedError
    from sklearn.linear_model import LogisticRegression
    from sklearn.svm import SVC

    X, y, s, *_ = data
    with pytest.raises(TypeError, match="SVC is not supported.*LogisticRegression"):
        get_adapter(SVC().fit(X, y))
    with pytest.raises(NotFittedError, match="not fitted"):
        get_adapter(LogisticRegression())
    with pytest.raises(NotFittedError, match="not fitted"):
        get_adapter(NeuralNetBinaryClassifier(MLP))
    y3 = np.arange(len(X)) % 3
    with pytest.raises(ValueError, match="3 classes"):
        get_adapter(LogisticRegression().fit(X, y3))
    with pytest.raises(ValueError, match="L1 or elastic-net"):
        get_adapter(LogisticRegression(l1_ratio=1.0, solver="saga").fit(X, y))


def test_single_group_validation(binary_net, data):
    X, y, s, Xv, yv, sv = data
    adapter = get_adapter(binary_net)
    with pytest.raises(ValueError, match="single group"):
        fairness_value_and_gradient(
            adapter.logit_fn,
            adapter.theta,
            adapter.to_tensor(Xv),
            torch.as_tensor(yv),
            torch.zeros(len(Xv), dtype=torch.long),
            "demographic_parity",
        )


def _dense_gauss_newton(problem):
    J = torch.func.jacrev(lambda th: problem.logit_fn(th, problem.X))(problem.theta)
    H = J.T @ (problem.curvature[:, None] * J) / problem.n_samples
    return H + torch.diag(problem.l2_penalty)


class _TiedMLP(torch.nn.Module):
    """The input layer's weight also serves a second layer."""

    def __init__(self, n_features=5, n_hidden=16):
        super().__init__()
        self.first, self.second = (torch.nn.Linear(n_features, n_hidden) for _ in range(2))
        self.second.weight = self.first.weight
        self.out = torch.nn.Linear(n_hidden, 1)

    def forward(self, X):
        hidden = torch.selu(self.first(X)) * torch.tanh(self.second(X**2))
        return self.out(hidden).squeeze(-1)


def _frozen_bias():
    module = MLP()
    module.hidden.bias.requires_grad_(False)
    return module


@pytest.mark.parametrize(
    ("make_module", "mode"),
    [
        (MLP, "input_layer"),  # the input layer's output kept, the rest differentiated
        (MLP, "input_layer_partly"),  # kept for the first chunk only (memory budget)
        (MLP, "fused"),  # forward mode and a backward pass over the whole net
        (MLP, "fallback"),  # torch.func's jvp and vjp
        (_TiedMLP, "input_layer"),
        (_frozen_bias, "fused"),  # a bias outside θ: the whole net
    ],
)
def test_gauss_newton_product_streamed_equals_dense(data, make_module, mode, monkeypatch):
    """Each streamed product equals the dense Gauss-Newton matrix, with several
    chunks and columns."""
    X, y, *_ = data
    torch.manual_seed(0)
    adapter = TorchModuleAdapter(make_module().double(), weight_decay=1e-3)
    # a small budget forces several chunks and no cached Jacobian
    problem = adapter.make_problem(X.astype(np.float64), y, memory_budget=64 * 8 * 8 * 200)
    assert problem._jacobian is None and problem.chunk_size < problem.n_samples
    assert (problem._layer_products is not None) == (make_module is not _frozen_bias)
    if mode == "fused":
        problem._layer_products = None
    if mode == "input_layer_partly":
        problem._layer_products.max_bytes = problem.product_chunk_size * 16 * 8
    if mode == "fallback":  # a model with an operation that has no forward-mode derivative

        def no_forward_ad(*args):
            raise NotImplementedError("no forward AD formula")

        monkeypatch.setattr(problem, "_layer_products", no_forward_ad)
    V = torch.randn(problem.n_params, 3, dtype=torch.float64)
    expected = _dense_gauss_newton(problem) @ V
    torch.testing.assert_close(problem.gauss_newton_product(V), expected)
    assert problem._fused_products is (mode != "fallback")  # a fallback is taken once, kept
    if mode == "input_layer_partly":
        assert (
            len(problem._layer_products._outputs)
            == 1
            < problem.n_samples // problem.product_chunk_size
        )
    # per-sample gradients times V: forward-mode tangents, or torch.func's jvp
    J = torch.func.jacrev(lambda th: problem.logit_fn(th, problem.X))(problem.theta)
    torch.testing.assert_close(problem.gradient_products(V), problem.residual[:, None] * (J @ V))


def test_recycled_solves_match_cold_solves(binary_net, data):
    """Warm starts from earlier CG directions change the iterations, not the result."""
    X, y, _, Xv, yv, sv = data
    adapter = get_adapter(binary_net)
    problem = adapter.make_problem(X, y)
    _, g_F = _dp_value_and_gradient(adapter, Xv, yv, sv)
    warm = Curvature(problem, "cg", damping=1e-2, tol=1e-6, maxiter=500)
    v = warm.solve(g_F)
    cold_iterations = warm.info_["n_iter"]
    influences = -problem.gradient_products(v)
    b = problem.weighted_gradient_sum(influences) / problem.n_samples
    second = warm.solve(b)
    warm_iterations = warm.info_["n_iter"]
    cold = Curvature(problem, "cg", damping=1e-2, tol=1e-6, maxiter=500)
    expected = cold.solve(b)
    torch.testing.assert_close(second, expected, rtol=1e-3, atol=1e-5 * float(expected.abs().max()))
    assert warm_iterations < cold.info_["n_iter"]
    assert cold_iterations > 0


def test_right_hand_sides_of_a_net_solved_in_turn(data, monkeypatch):
    """A net's product costs a forward and a backward pass per column, so its
    right-hand sides are solved one after another, each from the search
    directions of the previous ones: the dense solutions, in fewer column
    products than solving the columns together."""
    from skfair_ij.influence import BinaryModelProblem

    X, y, *_ = data
    torch.manual_seed(0)
    adapter = TorchModuleAdapter(MLP().double(), weight_decay=1e-3)
    problem = adapter.make_problem(X.astype(np.float64), y, memory_budget=64 * 8 * 8 * 200)
    assert not problem.batched_products  # streamed automatic differentiation
    B = torch.randn(problem.n_params, 6, dtype=torch.float64)
    expected = torch.linalg.solve(_dense_gauss_newton(problem) + 1e-2 * torch.eye(len(B)), B)
    products = {}
    original = problem.gauss_newton_product

    def counted(V):
        products[mode] += V.shape[1]
        return original(V)

    monkeypatch.setattr(problem, "gauss_newton_product", counted)
    for mode in ("in turn", "together"):
        if mode == "together":
            monkeypatch.setattr(BinaryModelProblem, "batched_products", True)
        products[mode] = 0
        curvature = Curvature(problem, "cg", damping=1e-2, tol=1e-8, maxiter=500)
        solution = curvature.solve(B)
        torch.testing.assert_close(
            solution, expected, rtol=1e-4, atol=1e-6 * float(expected.abs().max())
        )
        assert curvature.info_["residual"].shape == (6,)
    assert products["in turn"] < 0.75 * products["together"]


def test_fisher_update_of_a_net_is_the_newton_step(binary_net, data):
    """update="fisher" edits a skorch net by −λ (H + δI)⁻¹ g_F (dense check)."""
    from skfair_ij import FairIJClassifier

    X, y, s, Xv, yv, sv = data
    adapter = get_adapter(binary_net)
    lam = 0.5
    clf = FairIJClassifier(
        binary_net,
        prefit=True,
        weighting=IJack(lambdas=[lam], update="fisher"),
        solver=Exact(damping=1e-2),
    ).fit(X, y, sensitive_features=s, X_val=Xv, y_val=yv, sensitive_features_val=sv)
    _, g_F = _dp_value_and_gradient(adapter, Xv, yv, sv)
    problem = adapter.make_problem(X, y)
    H = _dense_gauss_newton(problem).double() + 1e-2 * torch.eye(problem.n_params)
    expected = -lam * torch.linalg.solve(H, g_F.double().reshape(-1))
    change = (get_adapter(clf.estimator_).theta - adapter.theta).double()
    torch.testing.assert_close(change, expected, rtol=1e-3, atol=1e-4 * float(expected.abs().max()))
    np.testing.assert_allclose(clf.sample_weight_, 1 - lam * clf.influences_, rtol=1e-6)
