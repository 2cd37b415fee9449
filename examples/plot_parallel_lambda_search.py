"""
Scaling the search out with a joblib backend (dask)
===================================================

Within one fit the whole λ path costs one prediction per λ, so the expensive
part of a search is the outer loop: several rules, criteria, damping values or
splits. ``GridSearchCV`` runs its candidates through joblib, whose backend can
be a dask cluster (``joblib.parallel_backend("dask")`` with a
``dask.distributed.Client``). Without dask installed, the same code runs on
local processes.
"""

# %%
import time

import joblib
import pandas as pd
import sklearn
from sklearn.linear_model import LogisticRegression
from sklearn.model_selection import GridSearchCV

from skfair_ij import FairIJClassifier
from skfair_ij.datasets import make_biased_classification
from skfair_ij.influence import CG
from skfair_ij.metrics import make_fairness_scorer

X, y, s = make_biased_classification(4000, 10, bias=2.0, random_state=0)
sklearn.set_config(enable_metadata_routing=True)
search = GridSearchCV(
    FairIJClassifier(LogisticRegression(), solver=CG(), random_state=0),
    # the option objects' own parameters are searched like a pipeline's steps'
    {
        "weighting": ["ijack", "simjack", "fair_ij", "drop_upweight"],
        "solver__damping": [1e-3, 1e-2, 1e-1],
    },
    scoring={"accuracy": "accuracy", "dp": make_fairness_scorer()},
    refit=False,
    cv=3,
    n_jobs=2,
)

try:
    from dask.distributed import Client

    # two workers in this process (a script that starts worker processes needs an
    # ``if __name__ == "__main__":`` guard); on a cluster: Client("scheduler:8786")
    client = Client(processes=False, n_workers=2, threads_per_worker=1, dashboard_address=None)
    backend = "dask"
except ImportError:  # dask is optional: local processes instead
    client, backend = None, "loky"

start = time.perf_counter()
with joblib.parallel_backend(backend):
    search.fit(X, y, sensitive_features=s)
print(
    f"{len(search.cv_results_['params'])} candidates × 3 folds on '{backend}' in "
    f"{time.perf_counter() - start:.1f}s"
)
if client is not None:
    client.close()
sklearn.set_config(enable_metadata_routing=False)

# %%
table = pd.DataFrame(search.cv_results_)[
    ["param_weighting", "param_solver__damping", "mean_test_accuracy", "mean_test_dp"]
]
print(table.round(3).to_string(index=False))
table.plot.scatter(x="mean_test_dp", y="mean_test_accuracy", title="candidates (CV means)")
