"""The benchmark protocol on any table: a user's CSV or Parquet file, or Adult with
another sensitive attribute."""

from pathlib import Path

import numpy as np
import pandas as pd
from sklearn.compose import ColumnTransformer
from sklearn.impute import SimpleImputer
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import OneHotEncoder, StandardScaler

FRACTIONS = (0.5, 0.25, 0.25)  # train / validation / test


def read_table(path):
    """A DataFrame from a ``.csv`` or ``.parquet`` file."""
    path = Path(path)
    if path.suffix in (".csv", ".parquet") and not path.is_file():
        raise FileNotFoundError(f"--data {str(path)!r}: no such file.")
    try:
        if path.suffix == ".csv":
            return pd.read_csv(path)
        if path.suffix == ".parquet":
            return pd.read_parquet(path)
    except (pd.errors.ParserError, pd.errors.EmptyDataError, UnicodeDecodeError) as exc:
        detail = str(exc).strip().splitlines()[0]
        message = f"--data {path.name!r} could not be read ({detail}); check the file."
        raise ValueError(message) from exc
    raise ValueError(f"--data must be a .csv or .parquet file, got {path.name!r}.")


def missing_rows(frame, target, sensitive):
    """How many rows have no label or no group (``table_splits`` leaves them out);
    0 when a column is absent (``table_splits`` says which)."""
    columns = [target, *sensitive]
    if any(c not in frame.columns for c in columns):
        return 0
    return int(frame[columns].isna().any(axis=1).sum())


def adult_frame():
    """Adult's raw columns with its label column ``income`` (1: above 50K)."""
    from ..datasets import load_adult

    adult = load_adult(as_frame=True)
    return adult.data.assign(income=np.asarray(adult.target))


def german_frame():
    """German credit's raw columns with ``sex`` and ``age_group`` (the two sensitive
    attributes) and its label column ``good_credit``."""
    from ..datasets import load_german_credit

    german = load_german_credit(as_frame=True)
    return german.frame.assign(
        sex=german.sensitive.to_numpy(),
        age_group=load_german_credit(sensitive="age").sensitive,
    )


def table_splits(frame, target, sensitive, seed, *, positive=None, fractions=FRACTIONS, hide=()):
    """A random train/validation/test split of a table, encoded on its train part.

    Categorical (non-numeric) columns are one-hot encoded and numeric ones
    standardised by a ``ColumnTransformer`` fitted on the training rows; the
    sensitive columns stay among the inputs (as in the Adult protocol) and
    define the groups (one group per combination of their values).

    Parameters
    ----------
    frame : DataFrame
    target : str
        The label column (two values).
    sensitive : list of str
        The sensitive columns.
    seed : int
    positive : object, default=None
        The favourable label (default: the greater of the two).
    fractions : tuple of 3 floats, default=(0.5, 0.25, 0.25)
    hide : list of str, default=()
        Columns left out of X (they still define the groups when sensitive):
        the sensitive columns and their strongest proxies, for a table whose X
        hides the group.

    Returns
    -------
    dict
        ``{"train": (X, y, s), "val": ..., "test": ...}`` with X float32, y in
        {0, 1} (1: ``positive``) and s integer group codes.

    Examples
    --------
    >>> import pandas as pd
    >>> from skfair_ij.benchmark import table_splits
    >>> frame = pd.DataFrame({"x": range(8), "city": list("abababab"),
    ...                       "sex": list("ffmmffmm"), "paid": list("nyynnyyn")})
    >>> split = table_splits(frame, "paid", ["sex"], seed=0)
    >>> [len(split[part][1]) for part in ("train", "val", "test")]
    [4, 2, 2]
    """
    missing = [c for c in [target, *sensitive, *hide] if c not in frame.columns]
    if missing:
        raise ValueError(
            f"The table has no column {missing}; name columns of {list(frame.columns)} "
            "with --target and --sensitive."
        )
    frame = frame.dropna(subset=[target, *sensitive]).reset_index(drop=True)
    if len(frame) < 8:
        raise ValueError(
            f"The table has {len(frame)} rows with a label and a group; the protocol's "
            "train/validation/test split needs many more."
        )
    positive = _favourable(frame[target], target, positive)
    y = (frame[target].astype(str) == str(positive)).to_numpy().astype(np.int64)
    s = _group_codes(frame[list(sensitive)], sensitive)
    X = frame.drop(columns=[target, *hide])
    numeric = [c for c in X.columns if pd.api.types.is_numeric_dtype(X[c])]
    categorical = [c for c in X.columns if c not in numeric]
    # a missing category is a category of its own (numeric gaps: the median)
    X[categorical] = X[categorical].astype(object).where(X[categorical].notna(), "missing")
    X[categorical] = X[categorical].astype(str)
    order = np.random.default_rng(seed).permutation(len(y))
    bounds = (np.cumsum(fractions)[:2] * len(y)).astype(int)
    parts = dict(zip(("train", "val", "test"), np.split(order, bounds), strict=True))
    encoder = ColumnTransformer(
        [
            ("num", make_pipeline(SimpleImputer(strategy="median"), StandardScaler()), numeric),
            ("cat", OneHotEncoder(handle_unknown="ignore", sparse_output=False), categorical),
        ]
    ).fit(X.iloc[parts["train"]])
    return {
        name: (
            np.asarray(encoder.transform(X.iloc[idx]), dtype=np.float32),
            y[idx],
            s[idx],
        )
        for name, idx in parts.items()
    }


def _favourable(labels, target, positive):
    """The favourable label of a target column of two labels (default: the greater)."""
    labels = labels.to_numpy()
    values = np.unique(labels.astype(str) if labels.dtype == object else labels)
    if len(values) != 2:
        shown = ", ".join(map(repr, values[:5].tolist())) + (", ..." if len(values) > 5 else "")
        raise ValueError(
            f"--target {target!r} must hold two labels, got {len(values)} ({shown}); "
            "binarise it first (e.g. a new column: value above a threshold)."
        )
    if positive is None:
        return values[-1]
    if str(positive) not in {str(v) for v in values}:
        raise ValueError(
            f"--positive {positive!r} is not a label of {target!r}; choose one of "
            f"{[v.item() if hasattr(v, 'item') else v for v in values]}."
        )
    return positive


def _group_codes(groups, sensitive):
    """One code per distinct combination of the sensitive columns, in sorted order."""
    s = pd.factorize(pd.MultiIndex.from_frame(groups.astype(object)), sort=True)[0]
    n_groups = int(s.max()) + 1
    if n_groups > max(2, len(s) // 20):
        raise ValueError(
            f"--sensitive {list(sensitive)} makes {n_groups} groups of {len(s)} rows: it looks "
            "continuous; bin it into a new column first (e.g. age bands)."
        )
    return s
