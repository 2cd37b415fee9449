import numpy as np


def sign_of_first_column(X):
    """Groups for scikit-learn's estimator checks: the sign of the first feature."""
    X = np.asarray(X)
    return (X[:, 0] > np.median(X[:, 0])).astype(int)
