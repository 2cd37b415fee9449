"""Training a skorch net with sample weights, without changing its module."""

import numpy as np
import torch


def fit_skorch_weighted(net, X, y, sample_weight):
    """Fit a skorch net so that row n counts ``sample_weight[n]`` times on average.

    skorch losses take no per-sample weights, and routing weights through ``X``
    would reach the module's ``forward``. Instead the training iterator draws rows
    with a ``WeightedRandomSampler`` (probability ∝ weight, N draws per epoch),
    whose expected gradient is that of the weighted loss. When the net has its
    own ``train_split`` (for ``EarlyStopping`` and other callbacks that watch the
    validation loss), the split is made once here, the sampler draws from its
    training part with those rows' weights, and the validation part is kept, as
    a predefined split, for the callbacks.

    Parameters
    ----------
    net : skorch.NeuralNet
        An unfitted clone; it is fitted in place and returned.
    X, y : array-like
    sample_weight : array-like of shape (n_samples,)
        Non-negative weights, not all zero.
    """
    from skorch.helper import predefined_split

    weight = np.clip(np.asarray(sample_weight, dtype=np.float64), 0, None)
    if weight.sum() <= 0:
        raise ValueError("All sample weights are zero; nothing to train on.")
    generator = torch.Generator().manual_seed(int(np.random.default_rng(0).integers(2**31)))
    data, split, target = X, None, y
    if net.train_split is not None:
        dataset = net.get_dataset(X, y)
        data, valid = net.train_split(dataset, y)
        indices = np.asarray(getattr(data, "indices", np.arange(len(data))))
        weight = weight[indices]
        if weight.sum() <= 0:
            raise ValueError("All sample weights of the net's training split are zero.")
        split, target = predefined_split(valid), None
    sampler = torch.utils.data.WeightedRandomSampler(
        torch.as_tensor(weight), num_samples=len(weight), replacement=True, generator=generator
    )
    net.set_params(
        iterator_train__sampler=sampler, iterator_train__shuffle=False, train_split=split
    )
    return net.fit(data, target)
