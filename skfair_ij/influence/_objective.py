"""What the kernels ask of a training objective, from the sums over its rows.

``L(θ) = (1/N) Σ_n b_n ℓ(y_n, f(θ, x_n)) + ½ Σ_d ρ_d θ_d²``: every curvature
quantity is a sum over the rows divided by N, plus the penalty's part. A
backend provides the sums (the methods ending in ``_sum``) — a loop over row
chunks in memory (:class:`~skfair_ij.influence.BinaryModelProblem`) or a tree
reduction over the row blocks of a cluster backend (:mod:`skfair_ij.backends`)
— and this class adds the rest.
"""

import torch


class TrainingObjective:
    """Curvature products and summaries of ``L`` from its row sums.

    Subclasses set ``n_samples``, ``n_params``, ``l2_penalty`` (D,), ``theta``,
    ``dtype``, ``device`` and implement ``gauss_newton_sum``, ``hessian_sum``,
    ``dense_gauss_newton_sum``, ``dense_hessian_sum``, ``fisher_sum``,
    ``curvature_trace_sum``, ``hutchinson_sum`` and ``exact_trace``.
    """

    # whether a product with k columns costs about one pass over the rows (matrix
    # products, blocks of a cluster) rather than k (automatic differentiation)
    batched_products = True

    def _set_model(self, theta, n_samples, l2_penalty, memory_budget, jacobian_products=None):
        """θ (its dtype and device are used throughout), N, ρ (zeros when None),
        the memory budget and the intercept: what every backend holds."""
        self.theta = theta.detach()
        self.device, self.dtype = theta.device, theta.dtype
        self.n_samples, self.n_params = int(n_samples), theta.numel()
        self.l2_penalty = (
            torch.zeros_like(self.theta)
            if l2_penalty is None
            else l2_penalty.to(self.device, self.dtype)
        )
        self.memory_budget = int(memory_budget)
        # coordinates of θ whose Jacobian column is 1 on every row (the intercept
        # of a linear model): conjugate gradient is deflated on them
        intercept = getattr(jacobian_products, "intercept", False)
        self.bias_coordinates = [self.n_params - 1] if intercept else []

    def host(self, values):
        """Per-row values (N,) or (N, k) as the estimators hold them: numpy."""
        return values.detach().cpu().numpy()

    def keep(self, values):
        """Per-row values held for later passes (in memory: as they are)."""
        return values

    def gauss_newton_product(self, V):
        """``(1/N) Σ_n s_n J_nᵀ J_n V + diag(ρ) V`` for V (D,) or (D, k)."""
        columns = V.reshape(self.n_params, -1)
        out = self.gauss_newton_sum(columns) / self.n_samples + self.l2_penalty[:, None] * columns
        return out.reshape(V.shape)

    def hessian_product(self, V):
        """Exact Hessian of the training objective times V (D,) or (D, k)."""
        columns = V.reshape(self.n_params, -1)
        out = self.hessian_sum(columns) / self.n_samples + self.l2_penalty[:, None] * columns
        return out.reshape(V.shape)

    def dense_gauss_newton(self):
        """The D × D Gauss-Newton matrix (equal to the Hessian for linear models)."""
        return self.dense_gauss_newton_sum() / self.n_samples + torch.diag(self.l2_penalty)

    def dense_hessian(self):
        """The exact D × D Hessian of the training objective."""
        return self.dense_hessian_sum() / self.n_samples + torch.diag(self.l2_penalty)

    def fisher_diagonal(self):
        """Diagonal of the empirical Fisher ``(1/N) Σ g_n²`` plus ρ."""
        return self.fisher_sum() / self.n_samples + self.l2_penalty

    def mean_curvature(self, n_probes=8, max_rows=4096, seed=0):
        """Mean eigenvalue ``tr(H) / D`` of the Gauss-Newton matrix.

        Exact when the Jacobian is cheap (a linear model, or a cached
        Jacobian). Otherwise Hutchinson's estimate ``mean_k v_kᵀ H v_k / D``
        with ``n_probes`` Rademacher vectors, on at most ``max_rows`` rows drawn
        at random (both from a generator seeded with ``seed``, so every call,
        and every backend, gives the same value): one Jacobian-vector product
        of a few thousand rows, whatever N.

        Examples
        --------
        >>> import torch
        >>> from skfair_ij.influence import BinaryModelProblem
        >>> X = torch.randn(200, 3, dtype=torch.float64)
        >>> problem = BinaryModelProblem(lambda th, X: X @ th,
        ...     torch.zeros(3, dtype=torch.float64), X, (X[:, 0] > 0).double())
        >>> H = problem.dense_gauss_newton()
        >>> abs(problem.mean_curvature() - float(torch.trace(H)) / 3) < 1e-12
        True
        """
        penalty = float(self.l2_penalty.sum())
        if self.exact_trace:
            return (self.curvature_trace_sum() / self.n_samples + penalty) / self.n_params
        generator = torch.Generator().manual_seed(seed)
        rows = torch.randperm(self.n_samples, generator=generator)[:max_rows]
        V = torch.randint(0, 2, (self.n_params, n_probes), generator=generator)
        V = (2 * V - 1).to(self.device, self.dtype)
        quadratic = self.hutchinson_sum(rows, V) / (len(rows) * n_probes)
        return (quadratic + penalty) / self.n_params
