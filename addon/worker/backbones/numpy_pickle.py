"""Read a pickle of numpy arrays without letting it run code.

A pickle names the callables that rebuild its objects, and ``pickle.load`` imports and calls whatever it
names: a weights file from the internet could run anything. This unpickler admits exactly the three
callables that numpy arrays are rebuilt with (``numpy.core.multiarray._reconstruct``, ``numpy.ndarray``
and ``numpy.dtype``; ``numpy._core`` is numpy 2's spelling of the first) and refuses every other name
before importing it. Plain containers, numbers and strings need no callable at all.
"""

import io
import pickle

_ALLOWED = {
    ("numpy.core.multiarray", "_reconstruct"),
    ("numpy._core.multiarray", "_reconstruct"),
    ("numpy", "ndarray"),
    ("numpy", "dtype"),
}


class UnsafePickleError(pickle.UnpicklingError):
    """The pickle names a callable other than numpy's array constructors."""


class NumpyOnlyUnpickler(pickle.Unpickler):
    def find_class(self, module, name):
        if (module, name) not in _ALLOWED:
            raise UnsafePickleError(f"the file wants to call {module}.{name}; only numpy arrays are accepted")
        if module == "numpy.core.multiarray":  # numpy 2 moved it; both spellings mean the same function
            try:
                return super().find_class("numpy._core.multiarray", name)
            except (ImportError, AttributeError):
                pass
        return super().find_class(module, name)


def loads(data):
    """The object in ``data`` (bytes); raises UnsafePickleError for anything but arrays and containers."""
    return NumpyOnlyUnpickler(io.BytesIO(data)).load()
