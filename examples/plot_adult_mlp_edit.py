"""
Editing a trained skorch MLP on Adult
=====================================

The seed paper's model (one hidden layer of 100 SELU units) is trained by ERM
on Adult. :class:`~skfair_ij.FairIJClassifier` then edits its parameters with the
infinitesimal jackknife — no retraining — along the I-JACK path, and picks λ on
validation data. The path (validation accuracy against the demographic-parity
gap) is the trade-off the selection walks along.
"""

# %%
import matplotlib.pyplot as plt
import numpy as np

from skfair_ij import FairIJClassifier, FairnessPathDisplay
from skfair_ij.benchmark import adult_splits, make_mlp
from skfair_ij.metrics import demographic_parity_difference

split = adult_splits(seed=0)
(X, y, s), (X_val, y_val, s_val), (X_test, y_test, s_test) = (
    split["train"],
    split["val"],
    split["test"],
)
net = make_mlp(X.shape[1], seed=0).fit(X, y.astype(np.float32))

clf = FairIJClassifier(net, prefit=True, verbose=1)  # the defaults
clf.fit(X, y, sensitive_features=s, X_val=X_val, y_val=y_val, sensitive_features_val=s_val)

for name, model in (("ERM", net), ("I-JACK edit", clf)):
    pred = model.predict(X_test)
    gap = demographic_parity_difference(y_test, pred, sensitive_features=s_test)
    print(f"{name:12} test error {np.mean(pred != y_test):.3f}  test DP {gap:.3f}")

# %%
# The trade-off along the path, on validation data (what the selection saw) and
# on the test data.
display = FairnessPathDisplay.from_estimator(clf, X_test, y_test, s_test)
display.ax_.set_xlim(0, 0.25)
display.ax_.set_ylim(0.8, 0.86)
display.ax_.set_title("I-JACK edit of a trained MLP")
plt.show()
