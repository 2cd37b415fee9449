"""The UCI Adult (Census Income) data, bundled with the package."""

from importlib import resources

import numpy as np
import pandas as pd

from ._bunch import loaded

CATEGORICAL = [
    "workclass",
    "education",
    "marital-status",
    "occupation",
    "relationship",
    "race",
    "sex",
    "native-country",
]
NUMERIC = [
    "age",
    "fnlwgt",
    "education-num",
    "capital-gain",
    "capital-loss",
    "hours-per-week",
]

DESCR = """\
.. _adult_dataset:

Adult (Census Income) dataset
-----------------------------

Extracted by Barry Becker from the 1994 US Census database. The task is to
predict whether a person's income exceeds 50K USD a year. This copy joins the
``adult.data`` (32,561 rows) and ``adult.test`` (16,281 rows) files and drops
the 3,620 rows with a missing value, which leaves the 45,222 rows used in the
fairness literature (21,815 train / 10,746 validation / 12,661 test in the
protocol of Ghosh et al.).

:Number of instances: 45,222
:Number of attributes: 14 (6 numeric, 8 categorical)
:Target: income > 50K (1) or not (0); 24.8% positive
:Sensitive attribute: sex ("Female" / "Male")

Source: UCI Machine Learning Repository, Becker, B. & Kohavi, R. (1996). Adult.
https://doi.org/10.24432/C5XW20. Licensed under Creative Commons Attribution
4.0 International (CC BY 4.0), which allows redistribution with attribution.
The file is read from the installed package; no network access is ever made.
"""


def _read_adult_frame():
    source = resources.files("skfair_ij.datasets") / "data" / "adult.csv.gz"
    with resources.as_file(source) as path:
        frame = pd.read_csv(path, compression="gzip")
    for column in CATEGORICAL:
        frame[column] = frame[column].astype("category")
    return frame


def load_adult(*, return_X_y=False, as_frame=False):
    """Load the Adult census-income data (binary classification, 45,222 rows).

    The data are bundled with the package (read offline). The sensitive attribute
    is ``sex``; it is also one of the features.

    Parameters
    ----------
    return_X_y : bool, default=False
        If True, return ``(data, target)`` instead of a Bunch.
    as_frame : bool, default=False
        If True, ``data`` is a DataFrame of the 14 raw columns (categorical columns
        as ``category`` dtype), ``target`` and ``sensitive`` are Series. If False,
        ``data`` is a float64 array: the 6 numeric columns followed by the one-hot
        encoding of the 8 categorical ones (``feature_names`` names each column),
        ``target`` an int array and ``sensitive`` an array of strings.

    Returns
    -------
    data : :class:`~sklearn.utils.Bunch`
        With ``data``, ``target`` (1 when income > 50K), ``sensitive`` (sex),
        ``feature_names``, ``target_names``, ``frame`` (when ``as_frame``) and
        ``DESCR``.
    (data, target) : tuple if ``return_X_y`` is True

    Examples
    --------
    >>> from skfair_ij.datasets import load_adult
    >>> adult = load_adult(as_frame=True)
    >>> adult.data.shape
    (45222, 14)
    >>> adult.sensitive.value_counts().to_dict()
    {'Male': 30527, 'Female': 14695}
    >>> X, y = load_adult(return_X_y=True)
    >>> X.shape, y.mean().round(3)
    ((45222, 104), np.float64(0.248))
    """
    frame = _read_adult_frame()
    target = (frame.pop("income") == ">50K").astype(np.int64).rename("income>50K")
    sensitive = frame["sex"].astype(str).rename("sex")
    return loaded(
        frame,
        target,
        sensitive,
        numeric=NUMERIC,
        categorical=CATEGORICAL,
        target_names=["<=50K", ">50K"],
        descr=DESCR,
        as_frame=as_frame,
        return_X_y=return_X_y,
    )
