"""Training a skorch net with sample weights, without changing its module."""

import numpy as np
import torch


def fit_skorch_weighted(net, X, y, sample_weight):
    """Fit a skorch net so that row n counts ``sample_weight[n]`` times on average.

    skorch losses take no per-sample weights, and routing weights through ``X``
    would reach the module's ``forward``. Instead the training iterator draws rows
    with a ``WeightedRandomSampler`` (probability ∝ weight, N draws per epoch),
    whose expected gradient is that of the weighted loss. The internal
    ``train_split`` is switched off (the sampler indexes every row).

    Parameters
    ----------
    net : skorch.NeuralNet
        An unfitted clone; it is fitted in place and returned.
    X, y : array-like
    sample_weight : array-like of shape (n_samples,)
        Non-negative weights, not all zero.
    """
    weight = np.clip(np.asarray(sample_weight, dtype=np.float64), 0, None)
    if weight.sum() <= 0:
        raise ValueError("All sample weights are zero; nothing to train on.")
    generator = torch.Generator().manual_seed(int(np.random.default_rng(0).integers(2**31)))
    sampler = torch.utils.data.WeightedRandomSampler(
        torch.as_tensor(weight), num_samples=len(weight), replacement=True, generator=generator
    )
    net.set_params(iterator_train__sampler=sampler, iterator_train__shuffle=False, train_split=None)
    return net.fit(X, y)
