"""Collection settings shared by the tests and the doctests of the package."""

import importlib.util

# the Dask backend's examples need the optional extra ``dask``
collect_ignore = []
if importlib.util.find_spec("dask") is None or importlib.util.find_spec("distributed") is None:
    collect_ignore.append("skfair_ij/influence/_dask.py")
