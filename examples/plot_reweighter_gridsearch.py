"""
FairReweighter in a pipeline with GridSearchCV and fairness scorers
===================================================================

:class:`~skfair_ij.FairReweighter` computes influence-based sample weights and
refits its estimator with them. Here it sits at the end of a ``Pipeline`` with a
``ColumnTransformer``; ``GridSearchCV`` searches the weighting rule and the
fairness criterion, scores accuracy and the demographic-parity gap with
sensitive features routed by scikit-learn's metadata routing, and refits the
most accurate candidate whose gap is at most 0.05.
"""

# %%
import numpy as np
import pandas as pd
import sklearn
from sklearn.compose import ColumnTransformer
from sklearn.linear_model import LogisticRegression
from sklearn.model_selection import GridSearchCV, train_test_split
from sklearn.pipeline import Pipeline
from sklearn.preprocessing import OneHotEncoder, StandardScaler

from skfair_ij import FairReweighter
from skfair_ij.datasets import load_adult
from skfair_ij.metrics import constrained_refit, make_fairness_scorer

sklearn.set_config(enable_metadata_routing=True)

adult = load_adult(as_frame=True)
X, y, s = adult.data, adult.target, adult.sensitive
X, X_test, y, y_test, s, s_test = train_test_split(
    X, y, s, train_size=8000, test_size=8000, random_state=0, stratify=y
)
numeric = ["age", "education-num", "capital-gain", "capital-loss", "hours-per-week"]
categorical = ["workclass", "marital-status", "occupation", "relationship", "race", "sex"]
prep = ColumnTransformer(
    [
        ("num", StandardScaler(), numeric),
        ("cat", OneHotEncoder(handle_unknown="ignore", sparse_output=False), categorical),
    ]
)
pipe = Pipeline(
    [("prep", prep), ("fair", FairReweighter(LogisticRegression(max_iter=500), random_state=0))]
)

search = GridSearchCV(
    pipe,
    {
        "fair__weighting": ["ijack", "fair_ij"],
        "fair__fairness": ["demographic_parity", "equalized_odds"],
    },
    scoring={"accuracy": "accuracy", "dp": make_fairness_scorer("demographic_parity")},
    refit=constrained_refit(gap="dp", max_gap=0.05),
    cv=3,
)
search.fit(X, y, sensitive_features=s)

# %%
results = pd.DataFrame(search.cv_results_)
print(
    results[["param_fair__weighting", "param_fair__fairness", "mean_test_accuracy", "mean_test_dp"]]
    .round(3)
    .to_string(index=False)
)
print("refitted:", search.best_params_)
pred = search.predict(X_test)
print(f"test accuracy {np.mean(pred == y_test):.3f}")
sklearn.set_config(enable_metadata_routing=False)

# %%
# The weights themselves are in the fitted reweighter, for reuse elsewhere:
weights = search.best_estimator_[-1].sample_weight_
print(f"weights: min {weights.min():.2f}, mean {weights.mean():.2f}, max {weights.max():.2f}")

# %%
# Accuracy against the demographic-parity gap of every candidate (CV means).
import matplotlib.pyplot as plt

fig, ax = plt.subplots(figsize=(6, 4))
for _, row in results.iterrows():
    label = f"{row['param_fair__weighting']}, {row['param_fair__fairness']}"
    ax.plot(-row["mean_test_dp"], row["mean_test_accuracy"], "o", label=label)
ax.axvline(0.05, color="grey", linestyle="--", label="max_gap = 0.05")
ax.set_xlabel("DP gap (cross-validated)")
ax.set_ylabel("accuracy (cross-validated)")
ax.legend(fontsize=7)
plt.show()
