"""The one place where numba is used to compile kernels.

``jit`` compiles a function with ``numba.njit`` when numba is importable and the environment
variable ``PHYSICS_TWIN_DISABLE_JIT`` is unset (or ``0``); otherwise it returns the function
unchanged, so every kernel also runs as plain Python for debugging and coverage. Numba's own
``NUMBA_DISABLE_JIT=1`` works as well.
"""

from __future__ import annotations

import os
from collections.abc import Callable
from typing import Any

__all__ = ["JIT_ENABLED", "jit", "python_function"]

try:  # numba is a core dependency, but the shim keeps the Python path alive for debugging
    import numba as _numba
except ImportError:  # pragma: no cover - exercised only without numba
    _numba = None

JIT_ENABLED: bool = _numba is not None and os.environ.get("PHYSICS_TWIN_DISABLE_JIT", "0") in ("", "0")


def jit(function: Callable[..., Any] | None = None, *, cache: bool = True) -> Any:
    """Compile ``function`` in nopython mode, or return it unchanged when JIT is disabled.

    Usable bare (``@jit``) or with arguments (``@jit(cache=False)``).
    """

    def decorate(f: Callable[..., Any]) -> Any:
        if not JIT_ENABLED:
            return f
        return _numba.njit(cache=cache, error_model="numpy")(f)

    return decorate if function is None else decorate(function)


def python_function(kernel: Any) -> Callable[..., Any]:
    """The plain-Python source function behind a (possibly) compiled kernel."""
    return getattr(kernel, "py_func", kernel)
