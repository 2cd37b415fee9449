"""Adapters for PyTorch modules and skorch nets."""

import copy

import numpy as np
import torch
from torch.func import functional_call

from ..backends import is_distributed
from ..influence._forward import InputLayer
from ..influence._problem import PREDICT_CHUNK
from ..influence._sparse import as_rows
from ._base import ModelAdapter
from ._input_layer import input_layer, layer_output, path_logits, span

MODULE_OUTPUTS = ("logit", "two_logits", "two_log_proba", "two_proba")
BAD_OUTPUT_SHAPE = (
    "The module output has shape {shape}; output={output!r} expects {expected}. Say what "
    "the module returns with adapter_kwargs={{'output': ...}}: 'logit' (the positive "
    "class's logit, (n,) or (n, 1)), or 'two_logits', 'two_log_proba', 'two_proba' "
    "(two columns, (n, 2))."
)


class ModuleOutputError(ValueError):
    """A plain module's output does not have the shape its ``output`` setting says."""


class TorchModuleAdapter(ModelAdapter):
    """A trained ``torch.nn.Module`` binary classifier.

    Parameters
    ----------
    module : torch.nn.Module
        Maps a float tensor (n, p) to scores; never modified (a private copy in
        eval mode is used).
    output : {"logit", "two_logits", "two_log_proba", "two_proba"}, default="logit"
        What the module returns: the logit of the positive class, shape (n,) or
        (n, 1) (loss ``BCEWithLogitsLoss``); two class logits (``CrossEntropyLoss``);
        two log-probabilities (``LogSoftmax`` + ``NLLLoss``); or two probabilities
        (``Softmax``). All are turned into the logit of the positive class, so the
        loss is the logistic loss in every case.
    weight_decay : float, default=0.0
        L2 coefficient the module was trained with (``weight_decay`` of
        ``torch.optim.SGD``/``Adam``: the objective ``mean ℓ + wd/2 ‖θ‖²``).
    device : str or torch.device, default="cpu"

    Examples
    --------
    >>> import torch
    >>> from skfair_ij.adapters import TorchModuleAdapter
    >>> module = torch.nn.Sequential(torch.nn.Linear(3, 4), torch.nn.SELU(),
    ...                              torch.nn.Linear(4, 1))
    >>> adapter = TorchModuleAdapter(module, weight_decay=1e-4)
    >>> adapter.theta.shape  # 3*4 + 4 + 4 + 1 parameters
    torch.Size([21])
    >>> edited = adapter.with_parameters(torch.zeros(21))
    >>> type(edited) is type(module), float(edited(torch.ones(2, 3)).abs().sum())
    (True, 0.0)
    """

    learns_codes = True
    trainable = False
    native_predict = False

    @classmethod
    def fit_inputs(cls, model, X, y=None):
        if is_distributed(X):  # rows on a cluster: cast block by block
            return _float32_rows(X), y
        return np.asarray(X, dtype=np.float32), None if y is None else np.asarray(y)

    def __init__(self, module, *, output="logit", weight_decay=0.0, device="cpu"):
        super().__init__(module, device=device)
        if output not in MODULE_OUTPUTS:
            raise ValueError(f"output must be one of {MODULE_OUTPUTS}, got {output!r}.")
        self.output = output
        self.weight_decay = float(weight_decay)
        self._module = copy.deepcopy(self._torch_module(module)).to(self.device).eval()
        named = [(n, p) for n, p in self._module.named_parameters() if p.requires_grad]
        if not named:
            raise ValueError("The module has no trainable parameters.")
        self._names = [n for n, _ in named]
        self._shapes = [p.shape for _, p in named]
        self._sizes = [p.numel() for _, p in named]
        self.dtype = named[0][1].dtype
        self.theta = torch.cat([p.detach().reshape(-1) for _, p in named])

    @staticmethod
    def _torch_module(model):
        return model

    def _params(self, theta):
        pieces = torch.split(theta, self._sizes)
        return {n: t.view(s) for n, t, s in zip(self._names, pieces, self._shapes, strict=True)}

    def logit_fn(self, theta, X):
        out = functional_call(self._module, self._params(theta), (X,))
        if isinstance(out, tuple):
            out = out[0]
        if self.output == "logit":
            if out.ndim == 2 and out.shape[1] == 1:
                return out[:, 0]
            if out.ndim != 1:
                raise ModuleOutputError(
                    BAD_OUTPUT_SHAPE.format(
                        shape=tuple(out.shape), output=self.output, expected="(n,) or (n, 1)"
                    )
                )
            return out
        if out.ndim != 2 or out.shape[1] != 2:
            raise ModuleOutputError(
                BAD_OUTPUT_SHAPE.format(
                    shape=tuple(out.shape), output=self.output, expected="(n, 2)"
                )
            )
        if self.output == "two_proba":
            out = torch.log(out.clamp(min=torch.finfo(out.dtype).tiny))
        return out[:, 1] - out[:, 0]

    def l2_penalty(self, n_samples):
        return torch.full_like(self.theta, self.weight_decay)

    def positive(self, X, thetas):
        """Which rows of X each parameter vector predicts positive, bool (k, n).

        When the module's input goes through one ``nn.Linear`` first and the
        thetas lie on a few lines (a λ path), that layer's products with X are
        taken once per line, not once per point (see ``_input_layer``).
        """
        X = self.to_tensor(X)
        if not isinstance(thetas, torch.Tensor) or len(thetas) < 3 or not torch.is_tensor(X):
            return super().positive(X, thetas)
        if self._input_layer_name(X) is None:
            return super().positive(X, thetas)
        thetas = thetas.to(self.device, self.dtype)
        layer_at = self._layer_at(self._input_layer)
        lines = span(thetas[:, layer_at[0]])
        if lines is None:  # not a few lines: every point runs the whole net
            return super().positive(X, thetas)
        blocks = [
            path_logits(
                self._module,
                self._input_layer,
                self.logit_fn,
                thetas,
                X[start : start + PREDICT_CHUNK].to(self.device),
                layer_at,
                lines,
            )
            > 0
            for start in range(0, len(X), PREDICT_CHUNK)
        ]
        return torch.cat(blocks, dim=1).cpu().numpy()

    def _input_layer_name(self, X):
        """The name of the trainable ``nn.Linear`` that takes the input (found
        once, from the first rows of X), or None."""
        if not hasattr(self, "_input_layer"):
            name = input_layer(self._module, self.logit_fn, self.theta, X)
            trainable = name is not None and _prefixed(name, "weight") in self._names
            self._input_layer = name if trainable else None
        return self._input_layer

    def input_layer(self, X):
        X = self.to_tensor(X)
        name = self._input_layer_name(X) if torch.is_tensor(X) and len(X) else None
        if name is None:
            return None
        layer = self._module.get_submodule(name)
        weight, bias = self._slices(name)
        if layer.bias is not None and bias is None:  # a frozen bias: not in θ
            return None

        def rest_fn(theta, X, Z):
            with layer_output(layer, Z):
                return self.logit_fn(theta, X)

        return InputLayer(weight, bias, tuple(layer.weight.shape), rest_fn)

    def _slices(self, name):
        """The slices of θ holding a layer's weight and its bias (None if not in θ)."""
        ends = np.cumsum(self._sizes).tolist()
        at = {n: slice(e - s, e) for n, e, s in zip(self._names, ends, self._sizes, strict=True)}
        return at[_prefixed(name, "weight")], at.get(_prefixed(name, "bias"))

    def _layer_at(self, name):
        """Positions in θ of a layer's weight then bias, and the weight's size."""
        pieces = [torch.arange(s.start, s.stop) for s in self._slices(name) if s is not None]
        return torch.cat(pieces), len(pieces[0])

    def _write_parameters(self, model, theta):
        target = self._torch_module(model)
        pieces = torch.split(theta.to(self.dtype), self._sizes)
        params = dict(target.named_parameters())
        with torch.no_grad():
            for name, piece, shape in zip(self._names, pieces, self._shapes, strict=True):
                params[name].copy_(piece.view(shape).to(params[name].device))

    def features(self, X):
        """Input of the module's last ``nn.Linear`` layer (penultimate features)."""
        linears = [m for m in self._module.modules() if isinstance(m, torch.nn.Linear)]
        if not linears:
            return super().features(X)
        captured = []
        handle = linears[-1].register_forward_hook(
            lambda module, inputs, output: captured.append(inputs[0].detach().cpu())
        )
        X = self.to_tensor(X)
        try:
            with torch.no_grad():
                for start in range(0, len(X), 2**14):
                    self._module(X[start : start + 2**14].to(self.device))
        finally:
            handle.remove()
        return torch.cat(captured)


def _prefixed(module_name, parameter):
    return f"{module_name}.{parameter}" if module_name else parameter


class SkorchAdapter(TorchModuleAdapter):
    """A fitted skorch ``NeuralNetBinaryClassifier`` or two-class ``NeuralNetClassifier``.

    The output convention is read from the net (binary nets output a logit;
    ``NeuralNetClassifier`` outputs probabilities with ``NLLLoss`` — skorch's
    default — or logits with ``CrossEntropyLoss``) and the weight decay from
    its optimizer. ``with_parameters`` returns a fitted net of the same class.

    Examples
    --------
    >>> import numpy as np
    >>> import torch
    >>> from skorch import NeuralNetBinaryClassifier
    >>> from skfair_ij.adapters import SkorchAdapter
    >>> from skfair_ij.benchmark import SeluMLP
    >>> X = np.random.default_rng(0).normal(size=(64, 3)).astype(np.float32)
    >>> y = (X[:, 0] > 0).astype(np.float32)
    >>> net = NeuralNetBinaryClassifier(SeluMLP, module__n_features=3, module__n_hidden=8,
    ...                                 max_epochs=2, train_split=None, verbose=0).fit(X, y)
    >>> adapter = SkorchAdapter(net)
    >>> copy = adapter.with_parameters(adapter.theta)
    >>> type(copy) is NeuralNetBinaryClassifier
    True
    >>> np.allclose(copy.predict_proba(X), net.predict_proba(X))
    True
    """

    trainable = True
    native_predict = True

    @classmethod
    def fit_inputs(cls, model, X, y=None):
        from skorch import NeuralNetBinaryClassifier

        if is_distributed(X):
            return _float32_rows(X), y
        X = np.asarray(X, dtype=np.float32)
        if y is not None:
            binary = isinstance(model, NeuralNetBinaryClassifier)
            y = np.asarray(y, dtype=np.float32 if binary else np.int64)
        return X, y

    @classmethod
    def accepts_weights(cls, model):
        return True  # through a weighted sampler

    @classmethod
    def fit_weighted(cls, model, X, y, sample_weight):
        from ._skorch_weights import fit_skorch_weighted

        return fit_skorch_weighted(model, X, y, sample_weight)

    def __init__(self, net, *, device="cpu"):
        from skorch import NeuralNetBinaryClassifier

        if isinstance(net, NeuralNetBinaryClassifier):
            output = "logit"
        else:
            criterion = getattr(net, "criterion_", None)
            if isinstance(criterion, torch.nn.CrossEntropyLoss):
                output = "two_logits"
            elif isinstance(criterion, torch.nn.NLLLoss):
                output = "two_proba"
            else:
                raise TypeError(
                    "NeuralNetClassifier needs criterion NLLLoss (module outputs "
                    "probabilities) or CrossEntropyLoss (module outputs logits); got "
                    f"{type(criterion).__name__}."
                )
        weight_decay = 0.0
        optimizer = getattr(net, "optimizer_", None)
        if optimizer is not None and optimizer.param_groups:
            weight_decay = float(optimizer.param_groups[0].get("weight_decay", 0.0) or 0.0)
        super().__init__(net, output=output, weight_decay=weight_decay, device=device)

    @staticmethod
    def _torch_module(model):
        return model.module_

    def to_tensor(self, X):
        if is_distributed(X):
            return as_rows(X, self.dtype)
        if isinstance(X, torch.Tensor):
            return X.to(self.dtype)
        return torch.as_tensor(np.asarray(X, dtype=np.float64), dtype=self.dtype)


def _float32_rows(X):
    return X if X.dtype == np.float32 else X.astype(np.float32)
