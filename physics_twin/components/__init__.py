"""Native components: motors, pumps, pipes, bearings. See :mod:`physics_twin.components.registry`."""

from physics_twin.components.bearing_degradation import BearingDegradation
from physics_twin.components.centrifugal_pump import CentrifugalPump
from physics_twin.components.dc_motor import DCMotor
from physics_twin.components.pipe_loop import PipeLoop
from physics_twin.components.registry import COMPONENTS, component_class, list_components

__all__ = ["COMPONENTS", "BearingDegradation", "CentrifugalPump", "DCMotor", "PipeLoop", "component_class", "list_components"]
