"""
Fairness gaps of a logistic regression on Adult
===============================================

Fits a logistic regression on the bundled Adult data and reports its test error
and its demographic-parity and equalized-odds gaps between women and men.
"""

# %%
from sklearn.linear_model import LogisticRegression
from sklearn.model_selection import train_test_split
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import StandardScaler

from skfair_ij.datasets import load_adult
from skfair_ij.metrics import demographic_parity_difference, equalized_odds_difference

adult = load_adult()
X_train, X_test, y_train, y_test, s_train, s_test = train_test_split(
    adult.data, adult.target, adult.sensitive, test_size=0.3, random_state=0
)
model = make_pipeline(StandardScaler(), LogisticRegression(max_iter=1000))
model.fit(X_train, y_train)
y_pred = model.predict(X_test)
dp = demographic_parity_difference(y_test, y_pred, sensitive_features=s_test)
eo = equalized_odds_difference(y_test, y_pred, sensitive_features=s_test)
print(f"test error          {(y_pred != y_test).mean():.3f}")
print(f"demographic parity  {dp:.3f}")
print(f"equalized odds      {eo:.3f}")
