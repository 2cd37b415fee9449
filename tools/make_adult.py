"""Build the bundled Adult file ``skfair_ij/datasets/data/adult.csv.gz``.

Usage::

    python tools/make_adult.py PATH/TO/adult   # folder with adult.data and adult.test

Reads the two raw UCI files, strips whitespace, removes the trailing period of the
test labels, drops every row with a missing value (``?``) and writes one gzipped CSV
of 45,222 rows. Run it only when the raw data changes; the package reads the result.
"""

import gzip
import sys
from pathlib import Path

import pandas as pd

COLUMNS = [
    "age",
    "workclass",
    "fnlwgt",
    "education",
    "education-num",
    "marital-status",
    "occupation",
    "relationship",
    "race",
    "sex",
    "capital-gain",
    "capital-loss",
    "hours-per-week",
    "native-country",
    "income",
]


def main(source):
    source = Path(source)
    frames = []
    for name, skip in (("adult.data", 0), ("adult.test", 1)):
        frame = pd.read_csv(
            source / name,
            header=None,
            names=COLUMNS,
            skiprows=skip,
            skipinitialspace=True,
            na_values="?",
            dtype=str,
        )
        frames.append(frame)
    data = pd.concat(frames, ignore_index=True).dropna()
    data["income"] = data["income"].str.rstrip(".")
    out = Path(__file__).resolve().parents[1] / "skfair_ij" / "datasets" / "data"
    out.mkdir(parents=True, exist_ok=True)
    with gzip.GzipFile(out / "adult.csv.gz", "wb", mtime=0) as handle:
        handle.write(data.to_csv(index=False).encode())
    print(f"{len(data)} rows written to {out / 'adult.csv.gz'}")


if __name__ == "__main__":
    main(sys.argv[1])
