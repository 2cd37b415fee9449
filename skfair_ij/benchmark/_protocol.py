"""The Adult protocol of Ghosh et al.: splits, features and the ERM MLP."""

import numpy as np
import torch

from ..datasets import load_adult

SPLIT_SIZES = (21_815, 10_746, 12_661)  # train / validation / test (Ghosh et al.)


class SeluMLP(torch.nn.Module):
    """One hidden layer of SELU units, one logit out (Ghosh et al.'s Adult model).

    Examples
    --------
    >>> import torch
    >>> from skfair_ij.benchmark import SeluMLP
    >>> SeluMLP(n_features=5)(torch.zeros(2, 5)).shape
    torch.Size([2])
    """

    def __init__(self, n_features, n_hidden=100):
        super().__init__()
        self.hidden = torch.nn.Linear(n_features, n_hidden)
        self.out = torch.nn.Linear(n_hidden, 1)

    def forward(self, X):
        return self.out(torch.selu(self.hidden(X))).squeeze(-1)


def adult_splits(seed, *, sizes=SPLIT_SIZES):
    """A random train/validation/test split of Adult, standardised on the train part.

    Returns
    -------
    dict
        ``{"train": (X, y, s), "val": (X, y, s), "test": (X, y, s)}`` with X float32
        (one-hot categories, numeric columns standardised with train statistics),
        y in {0, 1} and s = 1 for women.

    Examples
    --------
    >>> from skfair_ij.benchmark import adult_splits
    >>> split = adult_splits(seed=0)
    >>> [len(split[part][1]) for part in ("train", "val", "test")]
    [21815, 10746, 12661]
    """
    adult = load_adult()
    X, y = adult.data, adult.target
    s = (adult.sensitive == "Female").astype(np.int64)
    order = np.random.default_rng(seed).permutation(len(y))
    bounds = np.cumsum(sizes)
    parts = {
        "train": order[: bounds[0]],
        "val": order[bounds[0] : bounds[1]],
        "test": order[bounds[1] : bounds[2]],
    }
    mean = X[parts["train"]].mean(0)
    std = X[parts["train"]].std(0)
    std[std == 0] = 1.0
    Xs = ((X - mean) / std).astype(np.float32)
    return {name: (Xs[idx], y[idx], s[idx]) for name, idx in parts.items()}


def make_mlp(n_features, seed, *, max_epochs=20, n_hidden=100):
    """The ERM MLP as a skorch ``NeuralNetBinaryClassifier`` (Adam, 20 epochs).

    Examples
    --------
    >>> from skfair_ij.benchmark import make_mlp
    >>> net = make_mlp(n_features=104, seed=0)
    >>> net.max_epochs, net.batch_size
    (20, 128)
    """
    from skorch import NeuralNetBinaryClassifier

    if seed is not None:  # None: the initialisation is left to torch's global state
        torch.manual_seed(seed)
    return NeuralNetBinaryClassifier(
        SeluMLP,
        module__n_features=n_features,
        module__n_hidden=n_hidden,
        max_epochs=max_epochs,
        lr=1e-3,
        batch_size=128,
        optimizer=torch.optim.Adam,
        train_split=None,
        verbose=0,
        iterator_train__shuffle=True,
    )
