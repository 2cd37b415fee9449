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

X, y, s = make_biased_classification(3000, 8, bias=2.0, random_state=0)
X_val, y_val, s_val = make_biased_classification(2000, 8, bias=2.0, random_state=1)
X_test, y_test, s_test = make_biased_classification(2000, 8, bias=2.0, random_state=2)
fit_kw = dict(sensitive_features=s, X_val=X_val, y_val=y_val, sensitive_features_val=s_val)

encoder = make_pipeline(PCA(4, random_state=0), RBFSampler(n_components=64, random_state=0))
models = {
    "I-JACK": FairIJClassifier(LogisticRegression(), weighting="ijack"),
    "SIM-JACK (encoder)": FairIJClassifier(
        LogisticRegression(),
        weighting="simjack",
        simjack_features=encoder,
        simjack_epsilon=1.0,
    ),
}
for name, model in models.items():
    model.fit(X, y, **fit_kw)
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
