"""
Which training points move the fairness gap?
============================================

The fairness influence ``I_n = −g_Fᵀ H⁻¹ g_n`` of a training point says how the
demographic-parity gap on validation data would change if the point were
removed (positive: removing it lowers the gap). For an L2 logistic regression
it is exact to first order. We fit :class:`~skfair_ij.FairIJClassifier` with a
fixed λ = 0 (no edit) to read the influences, and draw them.
"""

# %%
import matplotlib.pyplot as plt
import numpy as np
from sklearn.linear_model import LogisticRegression

from skfair_ij import FairIJClassifier
from skfair_ij.datasets import make_biased_classification
from skfair_ij.weighting import IJack

X_all, y_all, s_all = make_biased_classification(
    1200, 2, bias=2.0, proxy_strength=2.0, random_state=0
)
X, y, s = X_all[:600], y_all[:600], s_all[:600]
X_val, y_val, s_val = X_all[600:], y_all[600:], s_all[600:]
clf = FairIJClassifier(LogisticRegression(), solver="exact", weighting=IJack(lambdas=[0.0]))
clf.fit(X, y, sensitive_features=s, X_val=X_val, y_val=y_val, sensitive_features_val=s_val)
influence = clf.influences_

# %%
# Points of the favoured group (s = 1) with a positive label, and points of the
# other group with a negative label, push the model towards the bias: removing
# them lowers the gap (red). The opposite cells hold the helpful points (blue).
fig, axes = plt.subplots(1, 2, figsize=(10, 4))
limit = np.abs(influence).max()
for ax, group in zip(axes, (0, 1), strict=True):
    mine = s == group
    scatter = ax.scatter(
        X[mine, 0],
        X[mine, 1],
        c=influence[mine],
        cmap="coolwarm",
        vmin=-limit,
        vmax=limit,
        marker="o",
        s=18,
        edgecolors=np.where(y[mine] == 1, "k", "none"),
    )
    ax.set_title(f"group s = {group} (black edge: y = 1)")
    ax.set_xlabel("x0 (proxy of s)")
axes[0].set_ylabel("x1")
fig.colorbar(scatter, ax=axes, label="influence on the DP gap")
plt.show()

# %%
# The mean influence per (group, label) cell shows the pattern.
for group in (0, 1):
    for label in (0, 1):
        cell = (s == group) & (y == label)
        print(f"s={group} y={label}: mean influence {influence[cell].mean():+.3f}")
