"""The one place where numba is used to compile kernels.

``jit`` compiles a function with ``numba.njit`` when numba is importable and the environment
variable ``PHYSICS_TWIN_DISABLE_JIT`` is unset (or ``0``); otherwise it returns the function
unchanged, so every kernel also runs as plain Python for debugging and coverage. Numba's own
``NUMBA_DISABLE_JIT=1`` works as well.
"""

from __future__ import annotations

import os
import warnings
from collections.abc import Callable
from typing import Any

__all__ = ["JIT_ENABLED", "KERNEL", "contiguous", "is_compiled", "jit", "python_function", "types"]

try:  # numba is a core dependency, but the shim keeps the Python path alive for debugging
    import numba as _numba
except ImportError:  # pragma: no cover - exercised only without numba
    _numba = None

if _numba is not None:
    # The KERNEL first-class function type is the design (one compiled filter serves every model); numba marks
    # it experimental and warns at each compilation, which users would otherwise see on their first run.
    warnings.filterwarnings(
        "ignore", message="First-class function type feature is experimental", category=_numba.NumbaExperimentalFeatureWarning
    )

JIT_ENABLED: bool = _numba is not None and os.environ.get("PHYSICS_TWIN_DISABLE_JIT", "0") in ("", "0")


class _Types:
    """Numba argument types for explicit signatures (``None`` placeholders when JIT is off)."""

    def __init__(self) -> None:
        if _numba is None:
            self.f8 = self.i8 = self.b1 = self.F1 = self.F2 = self.F3 = self.I1 = self.B1 = None
            return
        t = _numba.types
        self.f8, self.i8, self.b1 = t.float64, t.int64, t.boolean
        self.F1, self.F2, self.F3 = t.float64[::1], t.float64[:, ::1], t.float64[:, :, ::1]
        self.I1, self.B1 = t.int64[::1], t.boolean[::1]


types = _Types()

#: The type of a model kernel ``f(t, x, u, p, out)`` (writes its result into ``out``, returns nothing) as a
#: first-class function argument. Compiled entry points (integrators, filters, predictors) declare their kernel
#: arguments with it, so they compile once, are cached on disk, and serve every model. Kernels write into the
#: caller's array because allocating a result costs more than evaluating most models (56 ns against 3 ns per call
#: for the DC motor, measured with numba 0.68).
KERNEL = (
    _numba.types.FunctionType(_numba.types.none(types.f8, types.F1, types.F1, types.F1, types.F1)) if _numba is not None else None
)


def jit(function: Callable[..., Any] | None = None, *, cache: bool = True, signature: Any = None) -> Any:
    """Compile ``function`` in nopython mode, or return it unchanged when JIT is disabled.

    Usable bare (``@jit``) or with arguments (``@jit(cache=False)``, ``@jit(signature=(...))``).
    An explicit ``signature`` (a tuple of argument types) compiles eagerly at import time. Functions defined
    where numba cannot cache (``python -c``, ``exec`` of a string) compile without the disk cache.
    """

    def decorate(f: Callable[..., Any]) -> Any:
        if not JIT_ENABLED:
            return f
        arguments = (signature,) if signature is not None else ()
        try:
            return _numba.njit(*arguments, cache=cache, error_model="numpy")(f)
        except RuntimeError as exc:
            if not cache or "cannot cache" not in str(exc):
                raise
            return _numba.njit(*arguments, cache=False, error_model="numpy")(f)

    return decorate if function is None else decorate(function)


def python_function(kernel: Any) -> Callable[..., Any]:
    """The plain-Python source function behind a (possibly) compiled kernel."""
    return getattr(kernel, "py_func", kernel)


def is_compiled(kernel: Any) -> bool:
    """True for a numba-compiled function (one with a plain-Python source function behind it)."""
    return python_function(kernel) is not kernel


def contiguous(array: Any, dtype: Any = float) -> Any:
    """``array`` as a writable, C-contiguous array of ``dtype``: the layout compiled entry points declare.

    Copies only when needed (read-only views, such as pandas' copy-on-write columns, are copied).
    """
    import numpy as np

    result = np.ascontiguousarray(array, dtype=dtype)
    return result if result.flags.writeable else result.copy()
