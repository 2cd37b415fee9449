"""Collection settings shared by the tests and the doctests of the package."""

# the Dask backend's examples need the optional extra ``dask``
collect_ignore = []
try:
    import dask  # noqa: F401
    import distributed  # noqa: F401
except ImportError:
    collect_ignore.append("skfair_ij/influence/_dask.py")
