"""The Statlog German Credit data, bundled with the package."""

from importlib import resources

import numpy as np
import pandas as pd

from ._bunch import loaded

DESCR = """\
.. _german_credit_dataset:

Statlog (German Credit Data)
----------------------------

1,000 credit applicants of a German bank, described by 20 attributes (7
numeric, 13 categorical, in the data's original codes ``A11``, ``A34``, ...,
explained in the source's documentation), labelled as good (700) or bad (300)
credit risks. The fairness literature uses it with sex (from the attribute
``personal_status_and_sex``: ``A92`` and ``A95`` are women) or age (under 25
against 25 and over) as the sensitive attribute; both groups are small (310
women, 149 applicants under 25), which makes gaps noisy.

:Number of instances: 1,000
:Number of attributes: 20 (7 numeric, 13 categorical)
:Target: good credit risk (1) or bad (0); 70% good
:Sensitive attribute: sex ("female" / "male") or age ("under 25" / "25 and over")

Source: Hofmann, H. (1994). Statlog (German Credit Data). UCI Machine Learning
Repository. https://doi.org/10.24432/C5NC77. Licensed under Creative Commons
Attribution 4.0 International (CC BY 4.0), which allows redistribution with
attribution. The file is read from the installed package; no network access is
ever made.
"""

NUMERIC = [
    "duration_in_month",
    "credit_amount",
    "installment_rate_in_percentage_of_disposable_income",
    "present_residence_since",
    "age_in_years",
    "number_of_existing_credits_at_this_bank",
    "number_of_people_being_liable_to_provide_maintenance_for",
]
WOMEN = ("A92", "A95")


def load_german_credit(*, return_X_y=False, as_frame=False, sensitive="sex"):
    """Load the German Credit data (binary classification, 1,000 rows).

    Bundled with the package (read offline).

    Parameters
    ----------
    return_X_y : bool, default=False
        If True, return ``(data, target)`` instead of a Bunch.
    as_frame : bool, default=False
        If True, ``data`` is a DataFrame of the 20 raw columns (the categorical
        ones as ``category`` dtype, in the source's codes), ``target`` and
        ``sensitive`` are Series. If False, ``data`` is a float64 array: the 7
        numeric columns then the one-hot encoding of the 13 categorical ones.
    sensitive : {"sex", "age"}, default="sex"
        ``"sex"``: female or male (from ``personal_status_and_sex``);
        ``"age"``: under 25 or 25 and over.

    Returns
    -------
    data : :class:`~sklearn.utils.Bunch`
        With ``data``, ``target`` (1 for a good credit risk), ``sensitive``,
        ``feature_names``, ``target_names``, ``frame`` (when ``as_frame``) and
        ``DESCR``.
    (data, target) : tuple if ``return_X_y`` is True

    Examples
    --------
    >>> from skfair_ij.datasets import load_german_credit
    >>> german = load_german_credit(as_frame=True)
    >>> german.data.shape, round(float(german.target.mean()), 2)
    ((1000, 20), 0.7)
    >>> german.sensitive.value_counts().to_dict()
    {'male': 690, 'female': 310}
    >>> load_german_credit(sensitive="age").sensitive[:3].tolist()
    ['25 and over', 'under 25', '25 and over']
    """
    if sensitive not in ("sex", "age"):
        raise ValueError(f"sensitive must be 'sex' or 'age', got {sensitive!r}.")
    source = resources.files("skfair_ij.datasets") / "data" / "german_credit.csv.gz"
    with resources.as_file(source) as path:
        frame = pd.read_csv(path, compression="gzip")
    target = (frame.pop("credit_risk") == 1).astype(np.int64).rename("good_credit")
    categorical = [c for c in frame.columns if c not in NUMERIC]
    for column in categorical:
        frame[column] = frame[column].astype("category")
    if sensitive == "sex":
        groups = np.where(frame["personal_status_and_sex"].isin(WOMEN), "female", "male")
    else:
        groups = np.where(frame["age_in_years"] < 25, "under 25", "25 and over")
    return loaded(
        frame,
        target,
        pd.Series(groups, name=sensitive),
        numeric=NUMERIC,
        categorical=categorical,
        target_names=["bad", "good"],
        descr=DESCR,
        as_frame=as_frame,
        return_X_y=return_X_y,
    )
