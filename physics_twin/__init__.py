"""physics_twin — physics-based digital twins of rotating equipment.

Build a model from components, calibrate it online against sensor data with Kalman filters,
estimate remaining useful life with uncertainty, and flag process-parameter deviations.
"""

from physics_twin import components, estimation, prognostics
from physics_twin.core import Component, Event, InputTable, Model, System, connect, simulate

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
