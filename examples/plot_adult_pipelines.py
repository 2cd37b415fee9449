"""
The pipelines users have: raw Adult columns, string labels, three final models
==============================================================================

The raw Adult table — string categories, numeric columns, labels ``"<=50K"`` /
``">50K"`` — goes through a ``ColumnTransformer`` (sparse one-hot codes and
scaled numbers) into a final model. The whole ``Pipeline`` is the estimator:
its preprocessing is fitted once on the training rows, the influences are the
final step's, and ``predict`` takes the raw DataFrame (without the sensitive
attribute). Three final models:

* a logistic regression, edited by :class:`~skfair_ij.FairIJClassifier` on
  the sparse features (never made dense);
* a skorch MLP, edited the same way;
* a ``HistGradientBoostingClassifier``, which has no gradients: refitted by
  :class:`~skfair_ij.FairReweighter` with the weights of a logistic-regression
  proxy on the same features.

Each runs inside ``GridSearchCV`` with accuracy and a demographic-parity scorer
that receives each fold's groups by metadata routing; the refit is the most
accurate candidate whose cross-validated gap is at most 0.1.
"""

# %%
import numpy as np
import pandas as pd
import sklearn
from sklearn.compose import ColumnTransformer
from sklearn.ensemble import HistGradientBoostingClassifier
from sklearn.linear_model import LogisticRegression
from sklearn.model_selection import GridSearchCV, train_test_split
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import OneHotEncoder, StandardScaler

from skfair_ij import FairIJClassifier, FairReweighter, OneSE
from skfair_ij.benchmark import make_mlp
from skfair_ij.datasets import load_adult
from skfair_ij.metrics import (
    constrained_refit,
    demographic_parity_difference,
    make_fairness_scorer,
)

adult = load_adult(as_frame=True)
X = adult.data.drop(columns=["fnlwgt"])  # string categories and numbers, as read
y = np.where(adult.target == 1, ">50K", "<=50K")  # string labels
s = adult.sensitive.to_numpy()
X, X_test, y, y_test, s, s_test = train_test_split(
    X, y, s, train_size=15000, test_size=10000, random_state=0, stratify=y
)
categorical = list(X.select_dtypes("category").columns)
numeric = [c for c in X.columns if c not in categorical]


# the categories of the category dtype: the same columns in every fold (a net's
# input layer has a fixed width)
categories = [list(X[c].cat.categories) for c in categorical]


def prep(sparse=True):
    return ColumnTransformer(
        [
            ("cat", OneHotEncoder(categories=categories, handle_unknown="ignore"), categorical),
            ("num", StandardScaler(), numeric),
        ],
        sparse_threshold=1.0 if sparse else 0.0,
    )


n_features = prep().fit(X).transform(X.head()).shape[1]
candidates = {
    "logistic regression": (
        FairIJClassifier(make_pipeline(prep(), LogisticRegression(max_iter=1000)), random_state=0),
        make_pipeline(prep(), LogisticRegression(max_iter=1000)),
    ),
    "MLP (skorch)": (
        FairIJClassifier(make_pipeline(prep(), make_mlp(n_features, seed=0)), random_state=0),
        make_pipeline(prep(), make_mlp(n_features, seed=0)),
    ),
    "gradient boosting": (
        FairReweighter(
            make_pipeline(prep(sparse=False), HistGradientBoostingClassifier(random_state=0)),
            random_state=0,
        ),
        make_pipeline(prep(sparse=False), HistGradientBoostingClassifier(random_state=0)),
    ),
}

# %%
# The search: the accuracy tolerance of the selection of λ, scored on accuracy
# and on the demographic-parity gap of each fold (routed groups).
sklearn.set_config(enable_metadata_routing=True)
rows = []
for name, (fair, erm) in candidates.items():
    search = GridSearchCV(
        fair,
        {"selection": [OneSE(tolerance=0.005), OneSE(tolerance=0.01), OneSE(tolerance=0.02)]},
        scoring={"accuracy": "accuracy", "dp": make_fairness_scorer("demographic_parity")},
        refit=constrained_refit(gap="dp", max_gap=0.1),
        cv=2,
    )
    search.fit(X, y, sensitive_features=s)
    best = search.best_estimator_
    # the unedited model, trained on the same rows as the fair one
    train = best.train_indices_
    if name == "gradient boosting":
        erm.fit(X.iloc[train], y[train])
        erm_pred = erm.predict(X_test)
    else:  # the fair estimator's own unedited model, which speaks the labels too
        erm_pred = best.initial_estimator_.predict(X_test)
    fair_pred = best.predict(X_test)  # the raw DataFrame, without the groups
    rows.append(
        {
            "final model": name,
            "tolerance": best.selection_.tolerance,
            "error (unedited)": np.mean(erm_pred != y_test),
            "error (fair)": np.mean(fair_pred != y_test),
            "DP (unedited)": demographic_parity_difference(
                y_test, erm_pred, sensitive_features=s_test, pos_label=">50K"
            ),
            "DP (fair)": demographic_parity_difference(
                y_test, fair_pred, sensitive_features=s_test, pos_label=">50K"
            ),
        }
    )
sklearn.set_config(enable_metadata_routing=False)
results = pd.DataFrame(rows).set_index("final model")
print(results.round(3).to_string())

# %%
# Test error against the demographic-parity gap, before and after.
import matplotlib.pyplot as plt

fig, ax = plt.subplots(figsize=(6, 4))
for name, row in results.iterrows():
    ax.annotate(
        "",
        xy=(row["DP (fair)"], row["error (fair)"]),
        xytext=(row["DP (unedited)"], row["error (unedited)"]),
        arrowprops={"arrowstyle": "->"},
    )
    ax.plot(row["DP (fair)"], row["error (fair)"], "o", label=name)
ax.set_xlabel("test demographic-parity gap")
ax.set_ylabel("test error")
ax.legend()
plt.show()
