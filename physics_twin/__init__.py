"""physics_twin — physics-based digital twins of rotating equipment.

Build a model from components, calibrate it online against sensor data with Kalman filters,
estimate remaining useful life with uncertainty, and flag process-parameter deviations.
"""

import time as _time

# when the package began importing: a first import compiles the kernels, which the demo's wall time includes
_IMPORT_STARTED = _time.perf_counter()

from physics_twin import components, estimation, prognostics  # noqa: E402
from physics_twin.core import Component, Event, InputTable, Model, System, connect, simulate  # noqa: E402

__version__ = "0.1.0"

__all__ = [
    "Component",
    "Event",
    "InputTable",
    "Model",
    "System",
    "__version__",
    "components",
    "connect",
    "estimation",
    "prognostics",
    "simulate",
]
