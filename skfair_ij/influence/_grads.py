"""Per-sample quantities of a functional model: the logistic loss, the Jacobian
of the logits and the per-sample loss gradients (``torch.func`` vmaps)."""

import torch
from torch.func import grad, vmap


def logistic_loss(logits, y):
    """Per-sample logistic loss ``softplus(f) - y f`` (numerically stable).

    Examples
    --------
    >>> import torch
    >>> from skfair_ij.influence import logistic_loss
    >>> logistic_loss(torch.tensor([0.0, 100.0]), torch.tensor([1.0, 1.0]))
    tensor([0.6931, 0.0000])
    """
    return torch.nn.functional.softplus(logits) - y * logits


def logit_jacobian(logit_fn, theta, X):
    """Per-sample gradients of the logit with respect to the parameters.

    Parameters
    ----------
    logit_fn : callable
        ``logit_fn(theta (D,), X (n, p)) -> (n,)``.
    theta : Tensor of shape (D,)
    X : Tensor of shape (n, p)

    Returns
    -------
    Tensor of shape (n, D)
        Row n is ``∇θ f(θ, x_n)``, computed directly (never recovered from a loss
        gradient, which fails when probabilities saturate).

    Examples
    --------
    >>> import torch
    >>> from skfair_ij.influence import logit_jacobian
    >>> X = torch.tensor([[1.0, 2.0], [3.0, 4.0]])
    >>> logit_jacobian(lambda th, X: X @ th, torch.zeros(2), X)  # linear: J = X
    tensor([[1., 2.],
            [3., 4.]])
    """

    def single(th, x):
        return logit_fn(th, x.unsqueeze(0)).reshape(())

    return vmap(grad(single), in_dims=(None, 0))(theta, X)


def per_sample_grads(logit_fn, theta, X, y, weight=None):
    """Per-sample gradients of the training loss with ``torch.func``.

    Parameters
    ----------
    logit_fn : callable
        ``logit_fn(theta (D,), X (n, p)) -> (n,)``.
    theta : Tensor of shape (D,)
    X : Tensor of shape (n, p)
    y : Tensor of shape (n,) with values in {0, 1}
    weight : Tensor of shape (n,), default=None
        Per-sample training weights ``b_n``.

    Returns
    -------
    Tensor of shape (n, D)
        Row n is ``b_n ∇θ ℓ(y_n, f(θ, x_n))``.

    Examples
    --------
    >>> import torch
    >>> from skfair_ij.influence import per_sample_grads
    >>> X = torch.tensor([[1.0, 2.0], [3.0, 4.0]])
    >>> per_sample_grads(lambda th, X: X @ th, torch.zeros(2), X, torch.tensor([1.0, 0.0]))
    tensor([[-0.5000, -1.0000],
            [ 1.5000,  2.0000]])
    """

    def single(th, x, target):
        return logistic_loss(logit_fn(th, x.unsqueeze(0)).reshape(()), target)

    grads = vmap(grad(single), in_dims=(None, 0, 0))(theta, X, y)
    return grads if weight is None else grads * weight[:, None]
