"""Core: declarations, the component protocol, systems, simulation, results."""

from physics_twin.core._jit import jit
from physics_twin.core.component import Component
from physics_twin.core.declarations import Input, Output, Parameter, State
from physics_twin.core.model import Model
from physics_twin.core.simulate import Event, InputTable, simulate
from physics_twin.core.system import System, connect

__all__ = [
    "Component",
    "Event",
    "Input",
    "InputTable",
    "Model",
    "Output",
    "Parameter",
    "State",
    "System",
    "connect",
    "jit",
    "simulate",
]
