"""The trained binary classifier as the influence kernels see it.

A model is reduced to a flat parameter vector ``theta`` (D,), a functional
forward ``logit_fn(theta, X) -> logits`` (logit of the positive class) and an L2
penalty ``½ Σ_d ρ_d θ_d²`` (the model's own regulariser, in the convention
of the *mean* loss). The training objective is

    L(θ, w) = (1/N) Σ_n w_n b_n ℓ(y_n, f(θ, x_n)) + ½ Σ_d ρ_d θ_d²

with ℓ the logistic loss and b_n the weights the model was trained with (ones
by default). Everything below is streamed over chunks of rows (their size set by a
memory budget); no N × D matrix is built unless it fits in that budget.
"""

import torch
from torch.func import grad, vmap

from ._blas import dense_affine_rows
from ._forward import InputLayerProducts, forward_jvp, fused_gauss_newton
from ._grads import logistic_loss, logit_jacobian, per_sample_grads
from ._objective import TrainingObjective

DEFAULT_MEMORY_BUDGET = 512 * 2**20  # bytes
PREDICT_CHUNK = 2**15  # rows per forward pass when predicting
CPU_CACHE_BYTES = 1 << 21  # rows of X per chunk of a linear product: about an L2 cache


class BinaryModelProblem(TrainingObjective):
    """A trained binary classifier and its training data, for the kernels.

    Parameters
    ----------
    logit_fn : callable
        ``logit_fn(theta (D,), X (n, p)) -> (n,)``, differentiable with torch.func.
    theta : Tensor of shape (D,)
        Trained parameters; their dtype and device are used throughout.
    X : Tensor of shape (N, p)
        Training inputs (may live on the CPU; chunks are moved to ``theta``'s
        device).
    y : Tensor of shape (N,)
        Training labels in {0, 1}.
    l2_penalty : Tensor of shape (D,), default=None
        ρ of the penalty ``½ Σ ρ_d θ_d²`` (zeros when None).
    weight : Tensor of shape (N,), default=None
        Training weights ``b_n`` of the fitted model (ones when None).
    jacobian_products : tuple of callables, default=None
        ``(jvp, vjp)`` with ``jvp(X, V) = J V`` (n, k) and ``vjp(X, U) = Jᵀ U``
        (D, k) for a model whose logit is affine in θ (its Jacobian J depends
        on X only): the products are then plain matrix products, without
        automatic differentiation or a cached Jacobian.
    logits : Tensor of shape (N,), default=None
        The logits of the rows at ``theta`` when they are already known (one
        pass over the data less).
    memory_budget : int, default=512 MiB
        Bytes allowed for the per-chunk gradient blocks (a chunk's Jacobian
        takes an eighth of it). If the whole N × D Jacobian fits in a quarter of
        the budget, it is computed once and cached; otherwise Jacobian-vector
        products are streamed (Gauss-Newton products with forward-mode AD and a
        backward pass of the same graph, in chunks of ``product_chunk_size``).
    cache_jacobian : bool, default=True
        Whether a Jacobian that fits the budget is cached (a problem made for
        one pass, such as a block of a cluster backend, gains nothing by it).
    input_layer : InputLayer, default=None
        The linear layer that takes the model's input: streamed Gauss-Newton products
        keep its output (up to a quarter of the budget) and run the rest only.

    Examples
    --------
    >>> import torch
    >>> from skfair_ij.influence import BinaryModelProblem
    >>> X = torch.randn(100, 3, dtype=torch.float64)
    >>> y = (X[:, 0] > 0).double()
    >>> problem = BinaryModelProblem(lambda th, X: X @ th, torch.zeros(3, dtype=torch.float64),
    ...                              X, y)
    >>> problem.n_samples, problem.n_params
    (100, 3)
    >>> v = torch.ones(3, dtype=torch.float64)
    >>> torch.allclose(problem.gauss_newton_product(v), problem.dense_gauss_newton() @ v)
    True
    """

    def __init__(
        self,
        logit_fn,
        theta,
        X,
        y,
        *,
        l2_penalty=None,
        weight=None,
        jacobian_products=None,
        memory_budget=DEFAULT_MEMORY_BUDGET,
        logits=None,
        cache_jacobian=True,
        input_layer=None,
    ):
        self.logit_fn = logit_fn
        self._set_model(theta, len(X), l2_penalty, memory_budget, jacobian_products)
        self.X = X
        self.y = y.to(self.dtype)
        self.weight = None if weight is None else weight.to(self.dtype)
        itemsize = torch.finfo(self.dtype).bits // 8
        # a chunk's Jacobian takes an eighth of the budget: vmap's temporaries take
        # a few times as much again, and a cached Jacobian may hold half of it
        per_row = max(1, 8 * self.n_params * itemsize)
        self.chunk_size = max(1, min(self.n_samples, self.memory_budget // per_row))
        self.jacobian_chunk_size = self.chunk_size  # rows of a materialised Jacobian
        # A Gauss-Newton product holds activations and their tangents, not
        # Jacobian rows: when the parameters far outnumber the inputs of a row
        # (nets), larger chunks stay in the budget and run faster.
        n_inputs = max(1, X[:1].numel())
        widen = min(4, max(1, self.n_params // (16 * n_inputs)))
        self.product_chunk_size = min(self.n_samples, widen * self.chunk_size)
        if jacobian_products is not None:
            # explicit products never form the Jacobian: a chunk is its rows of X
            # (sparse rows hold their non-zeros only)
            row_bytes = getattr(X, "row_bytes", n_inputs * itemsize)
            self.chunk_size = max(
                1, min(self.n_samples, self.memory_budget // (8 * row_bytes + 64))
            )
            self.product_chunk_size = self.chunk_size
            if self.device.type == "cpu" and not hasattr(X, "row_bytes"):
                # dense X v then Xᵀ(s ⊙ X v): a chunk that stays in the CPU cache
                # between the two is read from memory once, not twice (sparse
                # chunks scatter into all D parameters: the larger the better)
                cache_rows = max(64, CPU_CACHE_BYTES // row_bytes)
                self.product_chunk_size = min(self.product_chunk_size, cache_rows)
        # loss derivatives with respect to the logit: r = dℓ/df, s = d²ℓ/df² (N floats)
        residual, curvature = [], []
        for rows in self.chunks():
            X, y, b = self._rows(rows)
            with torch.no_grad():
                f = self.logit_fn(self.theta, X) if logits is None else logits[rows]
                p = torch.sigmoid(f.reshape(-1).to(self.device, self.dtype))
            residual.append((p - y) * b)
            curvature.append(p * (1 - p) * b)
        self.residual, self.curvature = torch.cat(residual), torch.cat(curvature)
        self._jacobian = None
        self._fused_products = True
        self._linear = jacobian_products
        self._layer_products = None
        if input_layer is not None:
            budget = self.memory_budget // 4
            self._layer_products = InputLayerProducts(input_layer, self.theta, budget)
        # a dense linear model on the CPU: the fused NumPy kernels (None otherwise)
        self._dense = dense_affine_rows(
            self.X, jacobian_products, self.dtype, self.product_chunk_size
        )
        if (
            cache_jacobian
            and jacobian_products is None
            and self.n_samples * self.n_params * itemsize <= self.memory_budget // 4
        ):
            cache = torch.empty(
                (self.n_samples, self.n_params), dtype=self.dtype, device=self.device
            )
            for rows, J in self._compute_jacobians():
                cache[rows] = J
            self._jacobian = cache

    # ------------------------------------------------------------------ streaming
    def chunks(self, size=None):
        """Yield the row slices of the streamed passes (``chunk_size`` rows)."""
        size = self.chunk_size if size is None else size
        for start in range(0, self.n_samples, size):
            yield slice(start, min(start + size, self.n_samples))

    def _rows(self, rows):
        X = self.X[rows].to(self.device, self.dtype)
        y = self.y[rows].to(self.device)
        b = 1.0 if self.weight is None else self.weight[rows].to(self.device)
        return X, y, b

    def _compute_jacobians(self):
        for rows in self.chunks(self.jacobian_chunk_size):
            X = self._rows(rows)[0]
            if self._linear is not None:  # J = J I
                yield rows, self._linear[0](X, self.theta.new_ones(self.n_params).diag())
            else:
                yield rows, logit_jacobian(self.logit_fn, self.theta, X).detach()

    def jacobians(self):
        """Yield ``(rows, J)`` per chunk, J (n, D) the logit Jacobian of the rows
        (per-sample gradients: ``residual[rows, None] * J``)."""
        if self._jacobian is not None:
            return ((rows, self._jacobian[rows]) for rows in self.chunks(self.jacobian_chunk_size))
        return self._compute_jacobians()

    def _jvp(self, rows, V):
        """``J_rows V`` for V (D, k) -> (n, k), without forming J unless cached."""
        if self._jacobian is not None:
            return self._jacobian[rows] @ V
        X = self._rows(rows)[0]
        if self._linear is not None:
            return self._linear[0](X, V)
        if self._fused_products:
            try:
                return forward_jvp(self.logit_fn, self.theta, X, V)
            except (RuntimeError, NotImplementedError):
                self._fused_products = False

        def forward(th):
            return self.logit_fn(th, X).reshape(-1)

        def jvp_fn(v):
            return torch.func.jvp(forward, (self.theta,), (v,))[1]

        return vmap(jvp_fn, in_dims=1, out_dims=1)(V)

    def _vjp(self, rows, U):
        """``J_rowsᵀ U`` for U (n, k) -> (D, k), without forming J unless cached."""
        if self._jacobian is not None:
            return self._jacobian[rows].T @ U
        X = self._rows(rows)[0]
        if self._linear is not None:
            return self._linear[1](X, U)
        _, vjp_fn = torch.func.vjp(lambda th: self.logit_fn(th, X).reshape(-1), self.theta)
        return vmap(lambda u: vjp_fn(u)[0], in_dims=1, out_dims=1)(U)

    def per_sample_grads(self, rows):
        """Per-sample gradients of the rows ``rows`` (a slice), shape (n, D)."""
        X, y, b = self._rows(rows)
        return per_sample_grads(self.logit_fn, self.theta, X, y, None if self.weight is None else b)

    # ------------------------------------------------------------------ products
    def gradient_products(self, V):
        """``Gᵀ V``: the inner product of every per-sample gradient with V.

        V is (D,) or (D, k); returns (N,) or (N, k).
        """
        columns = V.reshape(self.n_params, -1)
        out = torch.empty((self.n_samples, columns.shape[1]), dtype=self.dtype, device=self.device)
        for rows in self.chunks():
            out[rows] = self.residual[rows, None] * self._jvp(rows, columns)
        return out.reshape(self.n_samples, *V.shape[1:])

    def loss_gradient_sum(self):
        """``[Σ_n b_n ℓ_n, Σ_n g_n]`` (D + 1,): the data part of the training
        loss and of its gradient at θ (what a weighted L-BFGS fit reduces)."""
        loss = torch.zeros((), dtype=self.dtype, device=self.device)
        for rows in self.chunks():
            X, y, b = self._rows(rows)
            with torch.no_grad():
                loss += (logistic_loss(self.logit_fn(self.theta, X).reshape(-1), y) * b).sum()
        gradient = self.weighted_gradient_sum(torch.ones(self.n_samples, dtype=self.dtype))
        return torch.cat([loss[None], gradient])

    def weighted_gradient_sum(self, A):
        """``G A = Σ_n A_n g_n``; A is (N,) or (N, k); returns (D,) or (D, k)."""
        A = A.to(self.device, self.dtype)
        columns = A.reshape(self.n_samples, -1)
        total = torch.zeros((self.n_params, columns.shape[1]), dtype=self.dtype, device=self.device)
        for rows in self.chunks():
            total += self._vjp(rows, self.residual[rows, None] * columns[rows])
        return total.reshape(self.n_params, *A.shape[1:])

    def prefix_gradient_sums(self, order, signs, cuts):
        """Prefix sums of signed per-sample gradients along an ordering.

        Column j is ``Σ_{i < cuts[j]} signs[order[i]] g_{order[i]}`` — the
        ``G (w - 1)`` of the drop-K (and up-weight-M) rules for every K at once, in
        one streamed pass.

        Parameters
        ----------
        order : LongTensor of shape (N,)
            Points by decreasing priority.
        signs : Tensor of shape (N,)
            Sign of each point's weight change, indexed by point.
        cuts : LongTensor of shape (k,)
            Increasing prefix lengths.

        Returns
        -------
        Tensor of shape (D, k)
        """
        rank = torch.empty_like(order)
        rank[order] = torch.arange(len(order), device=order.device)
        rank, cuts = rank.to(self.device), cuts.to(self.device)
        coef = self.residual * signs.to(self.device, self.dtype)
        total = torch.zeros((self.n_params, len(cuts)), dtype=self.dtype, device=self.device)
        for rows in self.chunks():
            inside = (rank[rows, None] < cuts[None, :]).to(self.dtype)  # (n, k) prefixes
            total += self._vjp(rows, coef[rows, None] * inside)
        return total

    def threshold_gradient_sums(self, key, signs, thresholds):
        """``Σ_{n: key_n > t_j} signs_n g_n`` for every threshold ``t_j`` (D, k).

        The changes of the drop-K rules written with thresholds instead of a
        sort (a cut that splits no tie is a threshold), so that row blocks can
        be summed independently.
        """
        key, thresholds = key.to(self.device, self.dtype), thresholds.to(self.device, self.dtype)
        coef = self.residual * signs.to(self.device, self.dtype)
        total = torch.zeros((self.n_params, len(thresholds)), dtype=self.dtype, device=self.device)
        for rows in self.chunks():
            inside = (key[rows, None] > thresholds[None, :]).to(self.dtype)
            total += self._vjp(rows, coef[rows, None] * inside)
        return total

    def gauss_newton_sum(self, V):
        """``Σ_n s_n J_nᵀ J_n V`` for V (D, k), the data part of the product."""
        if self._dense is not None:
            return self._dense.gauss_newton(self.curvature, V)
        out = torch.zeros_like(V)
        for rows in self.chunks(self.product_chunk_size):
            out += self._gauss_newton_chunk(rows, V)
        return out

    def gauss_newton_diagonal(self, every=1):
        """The Gauss-Newton diagonal (D,) from every ``every``-th row of a dense linear model."""
        if self._dense is None:
            return None
        squares = self._dense.squares(self.curvature, every).to(self.theta)
        return squares / self.n_samples + self.l2_penalty

    def _gauss_newton_chunk(self, rows, columns):
        """``J_rowsᵀ diag(s_rows) J_rows V`` for V (D, k)."""
        if self._jacobian is not None:
            J = self._jacobian[rows]
            return J.T @ (self.curvature[rows, None] * (J @ columns))
        if self._linear is not None:
            jvp, vjp = self._linear[:2]
            X = self._rows(rows)[0]
            return vjp(X, self.curvature[rows, None] * jvp(X, columns))
        if self._fused_products:
            X, weight = self._rows(rows)[0], self.curvature[rows]
            try:
                if self._layer_products is not None:
                    return self._layer_products((rows.start, rows.stop), X, weight, columns)
                return fused_gauss_newton(self.logit_fn, self.theta, X, weight, columns)
            except (RuntimeError, NotImplementedError):
                # an operation of the model without a forward-mode derivative
                self._fused_products = False
        return self._vjp(rows, self.curvature[rows, None] * self._jvp(rows, columns))

    def hessian_sum(self, V):
        """The data part of :meth:`hessian_product` for V (D, k)."""
        out = torch.zeros_like(V)
        for rows in self.chunks():
            grad_fn = grad(self._chunk_loss(rows))
            for j in range(V.shape[1]):
                out[:, j] += torch.func.jvp(grad_fn, (self.theta,), (V[:, j],))[1]
        return out

    def _chunk_loss(self, rows):
        X, y, b = self._rows(rows)

        def loss(theta):
            return (logistic_loss(self.logit_fn(theta, X).reshape(-1), y) * b).sum()

        return loss

    # ------------------------------------------------------------------ dense
    def dense_gauss_newton_sum(self):
        """``Σ_n s_n J_nᵀ J_n`` (D, D)."""
        H = torch.zeros((self.n_params, self.n_params), dtype=self.dtype, device=self.device)
        for rows, J in self.jacobians():
            H += J.T @ (self.curvature[rows, None] * J)
        return H

    def dense_hessian_sum(self):
        """The data part of :meth:`dense_hessian` (D, D)."""
        H = torch.zeros((self.n_params, self.n_params), dtype=self.dtype, device=self.device)
        for rows in self.chunks():
            H += torch.func.hessian(self._chunk_loss(rows))(self.theta)
        return H

    @property
    def batched_products(self):
        """Whether a k-column product costs about one pass (matrix products), not k
        forward and backward passes (a model differentiated automatically)."""
        return self._jacobian is not None or self._linear is not None

    @property
    def exact_trace(self):
        """Whether :meth:`mean_curvature` computes the trace exactly (with J at hand)."""
        return self.batched_products

    def hutchinson_sum(self, rows, V):
        """``Σ_k Σ_{n ∈ rows} s_n (J_n v_k)²`` for the probes V (D, k)."""
        JV = self._jvp(rows, V)  # (n, k)
        s = self.curvature[rows.to(self.curvature.device)]
        return float((s[:, None] * JV**2).sum())

    def curvature_trace_sum(self):
        """``Σ_n s_n ‖J_n‖²``, the data part of the trace of the Gauss-Newton matrix."""
        if self._dense is not None:  # one pass, no Jacobian chunks
            return float(self._dense.squares(self.curvature).sum())
        return sum(float((self.curvature[rows, None] * J**2).sum()) for rows, J in self.jacobians())

    def fisher_sum(self):
        """``Σ_n g_n²`` (D,)."""
        if self._dense is not None:
            return self._dense.squares(self.residual**2).to(self.theta)
        diag = torch.zeros_like(self.theta)
        for rows, J in self.jacobians():
            diag += (self.residual[rows, None] ** 2 * J**2).sum(0)
        return diag
