"""Path predictions of a net whose inputs go through an ``nn.Linear`` first.

Along a λ path the parameters move on a line (a few lines for a multi-step
path): ``θ_k = θ_0 + Σ_j c_kj b_j``. The output of a linear first layer is then
``Z_k = Z_0 + Σ_j c_kj Z_j``: its products with X cost r + 1 instead of k, and
only the rest of the net runs once per point. This is where the time of a path
goes for a wide first layer (the benchmark MLP: 104 inputs, 100 units).
"""

from contextlib import contextmanager

import torch

MAX_RANK = 4  # lines of a path handled this way (one per step)
RESIDUAL = 1e-6  # what the span may leave of the layer's parameter changes (relative)


def input_layer(module, logit_fn, theta, X):
    """The name of the ``nn.Linear`` that takes the module's input itself, once
    per forward pass, or None (then every point runs the whole net)."""
    probe = X[:2]
    calls = []

    def record(name):
        return lambda layer, inputs: calls.append((name, inputs[0] is probe))

    hooks = [
        layer.register_forward_pre_hook(record(name))
        for name, layer in module.named_modules()
        if isinstance(layer, torch.nn.Linear)
    ]
    try:
        with torch.no_grad():
            logit_fn(theta, probe)
    finally:
        for hook in hooks:
            hook.remove()
    names = [name for name, takes_input in calls if takes_input]
    if len(names) != 1 or sum(name == names[0] for name, _ in calls) != 1:
        return None
    return names[0]


def span(P):
    """``P (k, p) = P_0 + C B`` with B (r, p) of rank r ≤ MAX_RANK, or None.

    The rank is the smallest that leaves at most ``RESIDUAL`` of the largest
    entry of P: the rounding of parameters computed in float32 is not a line
    of its own. Returns the coefficients C (k, r), with a zero first row, and B.
    """
    P = P.double()
    differences = P - P[:1]
    bound = RESIDUAL * float(P.abs().max())
    if float(differences.abs().max()) <= bound:
        return torch.zeros((len(P), 0), dtype=P.dtype), P[:0]
    # the leading right singular vectors from the k × k Gram matrix (the path's
    # few points against the layer's many parameters: an SVD of the k × p block
    # is ten times slower), made orthonormal by a QR of the p × r block
    values, U = torch.linalg.eigh(differences @ differences.T)
    keep = torch.argsort(values, descending=True)[: min(MAX_RANK, len(values))]
    vectors = torch.linalg.qr((U[:, keep].T @ differences).T).Q.T
    for rank in range(1, len(vectors) + 1):
        basis = vectors[:rank]
        coefficients = differences @ basis.T
        if float((differences - coefficients @ basis).abs().max()) <= bound:
            return coefficients, basis
    return None


def path_logits(module, layer_name, logit_fn, thetas, X, layer_at, lines):
    """Logits (k, n) of X at every θ_k, the layer ``layer_name`` computed from
    the span of its parameters.

    ``layer_at``: ``(index, n_weights)``, the positions in θ of the layer's
    weight (the first ``n_weights``) and bias (the rest, if any); ``lines``:
    :func:`span` of ``thetas[:, index]``.
    """
    index, n_weights = layer_at
    coefficients, basis = (t.to(thetas.dtype) for t in lines)
    layer = module.get_submodule(layer_name)

    def parts(vector):
        weight = vector[:n_weights].view(layer.weight.shape)
        return weight, (vector[n_weights:] if len(vector) > n_weights else None)

    with torch.no_grad():
        outputs = [torch.nn.functional.linear(X, *parts(thetas[0, index]))]
        outputs += [torch.nn.functional.linear(X, *parts(b)) for b in basis]
        logits = []
        buffer = torch.empty_like(outputs[0])  # one allocation for every point
        for theta, c in zip(thetas, coefficients, strict=True):
            Z = outputs[0]
            for j, Z_j in enumerate(outputs[1:]):
                Z = torch.add(Z, Z_j, alpha=float(c[j]), out=buffer)
            with layer_output(layer, Z):
                logits.append(logit_fn(theta, X).reshape(-1).clone())  # may view the buffer
    return torch.stack(logits)


@contextmanager
def layer_output(layer, Z):
    """Within the block, ``layer`` returns Z whatever its input."""
    layer.forward = lambda inputs: Z
    try:
        yield
    finally:
        layer.__dict__.pop("forward", None)  # the class's forward again
