"""
SIM-JACK with features from an auxiliary encoder
================================================

SIM-JACK makes similar training points receive similar weights:
``w = 1 − λ C I`` with ``C = Φ Φᵀ / m + ε I``. Φ may come from an auxiliary
encoder instead of the model itself — in the seed paper a RoBERTa encoder for
text. Any transformer or callable ``X -> Φ`` works; here an encoder fitted on
the training inputs (PCA followed by a random-feature map) stands in for a
pre-trained one. The weights it gives are compared with I-JACK's.
"""

# %%
import matplotlib.pyplot as plt
import numpy as np
from sklearn.decomposition import PCA
from sklearn.kernel_approximation import RBFSampler
from sklearn.linear_model import LogisticRegression
from sklearn.pipeline import make_pipeline

from skfair_ij import FairIJClassifier
from skfair_ij.datasets import make_biased_classification
from skfair_ij.metrics import demographic_parity_difference
from skfair_ij.weighting import SimJack

X_all, y_all, s_all = make_biased_classification(
    7000, 8, bias=2.0, proxy_strength=3.0, random_state=0
)
train, val, test = slice(0, 3000), slice(3000, 5000), slice(5000, None)
X, y, s = X_all[train], y_all[train], s_all[train]
X_val, y_val, s_val = X_all[val], y_all[val], s_all[val]
X_test, y_test, s_test = X_all[test], y_all[test], s_all[test]
fit_kw = dict(sensitive_features=s, X_val=X_val, y_val=y_val, sensitive_features_val=s_val)

encoder = make_pipeline(PCA(4, random_state=0), RBFSampler(n_components=64, random_state=0))
models = {
    "I-JACK": FairIJClassifier(LogisticRegression(), weighting="ijack"),
    "SIM-JACK (encoder)": FairIJClassifier(
        LogisticRegression(),
        weighting=SimJack(features=encoder, epsilon=1.0),
    ),
}
for model in models.values():
    model.fit(X, y, **fit_kw)
for name, model in {"ERM": models["I-JACK"].initial_estimator_, **models}.items():
    pred = model.predict(X_test)
    gap = demographic_parity_difference(y_test, pred, sensitive_features=s_test)
    print(f"{name:20} test error {np.mean(pred != y_test):.3f}  test DP {gap:.3f}")

# %%
fig, ax = plt.subplots(figsize=(6, 4))
for name, model in models.items():
    ax.hist(model.sample_weight_, bins=60, alpha=0.6, label=name)
ax.set_xlabel("sample weight at the selected λ")
ax.set_ylabel("training points")
ax.legend()
plt.show()
