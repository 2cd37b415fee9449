"""Where the training rows live: the one seam between the estimators and a
cluster.

A backend holds the rows of a fit and runs the passes over them. In memory
(:class:`InMemory`, the default) the rows are arrays and the passes are the
kernels of :mod:`skfair_ij.influence`. A cluster backend is one module of this
package whose name has no leading underscore and which defines ``BACKEND``: an
object with the attributes and methods of :class:`InMemory`, which says which
inputs it ``owns``. ``fit`` chooses the backend once, from its inputs, with
:func:`backend_of`; the rest of the library asks it (``distributed``,
``persist``, ``compute``, ``over_blocks``, ``problem``, ...) and never names a
cluster library. The cluster backends shipped with the library are listed in
:doc:`the scaling-out guide </scaling>`.
"""

import importlib
import pkgutil

from ._memory import IN_MEMORY, InMemory

_discovered = None


def backends():
    """The cluster backends of this package (imported once, at first use; a
    backend's own library is imported only when its inputs are met)."""
    global _discovered
    if _discovered is None:
        found = []
        for module in pkgutil.iter_modules(__path__):
            if module.name.startswith("_"):
                continue
            backend = getattr(importlib.import_module(f"{__name__}.{module.name}"), "BACKEND", None)
            if backend is not None:
                found.append(backend)
        _discovered = found
    return _discovered


def backend_of(*values):
    """The backend holding any of ``values``: a cluster backend that owns one
    of them, else :data:`IN_MEMORY`.

    Examples
    --------
    >>> import numpy as np
    >>> from skfair_ij.backends import backend_of
    >>> backend_of(np.ones(3)).distributed
    False
    """
    for backend in backends():
        if any(backend.owns(v) for v in values if v is not None):
            return backend
    return IN_MEMORY


def is_distributed(value):
    """Whether ``value`` is held by a cluster backend (a lazy collection)."""
    return backend_of(value).distributed


__all__ = ["IN_MEMORY", "InMemory", "backend_of", "backends", "is_distributed"]
