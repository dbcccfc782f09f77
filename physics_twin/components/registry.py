"""The registry of native components: name -> class.

Every :class:`~physics_twin.core.component.Component` subclass in ``physics_twin.components`` must be
listed here (a meta-test enforces it). Third-party packages register theirs through the entry-point
group ``physics_twin.components``.
"""

from __future__ import annotations

from importlib.metadata import entry_points

from physics_twin.components.bearing_degradation import BearingDegradation
from physics_twin.components.centrifugal_pump import CentrifugalPump
from physics_twin.components.daigle_goebel_pump import DaigleGoebelPump
from physics_twin.components.dc_motor import DCMotor
from physics_twin.components.dc_motor_thermal import DCMotorThermal
from physics_twin.components.friction import FrictionBody
from physics_twin.components.gearbox import Gearbox
from physics_twin.components.hydraulics import Pipe, Tank, Valve
from physics_twin.components.induction_motor import InductionMotor
from physics_twin.components.insulation_ageing import InsulationAgeing
from physics_twin.components.loads import ConstantTorqueLoad, CuttingForceLoad, QuadraticTorqueLoad
from physics_twin.components.permanent_magnet_synchronous_motor import PermanentMagnetSynchronousMotor
from physics_twin.components.pipe_loop import PipeLoop
from physics_twin.components.rolling_bearing import RollingBearing
from physics_twin.components.sources import SpeedProfile, VoltageSource
from physics_twin.components.spindle import Spindle
from physics_twin.components.thermal_network import MotorThermalNetwork
from physics_twin.components.wearing_centrifugal_pump import WearingCentrifugalPump
from physics_twin.core.component import Component
from physics_twin.errors import ConfigError, unknown_name_message

__all__ = ["COMPONENTS", "component_class", "list_components"]

COMPONENTS: dict[str, type[Component]] = {
    "BearingDegradation": BearingDegradation,
    "CentrifugalPump": CentrifugalPump,
    "ConstantTorqueLoad": ConstantTorqueLoad,
    "CuttingForceLoad": CuttingForceLoad,
    "DCMotor": DCMotor,
    "DCMotorThermal": DCMotorThermal,
    "DaigleGoebelPump": DaigleGoebelPump,
    "FrictionBody": FrictionBody,
    "Gearbox": Gearbox,
    "InductionMotor": InductionMotor,
    "InsulationAgeing": InsulationAgeing,
    "MotorThermalNetwork": MotorThermalNetwork,
    "PermanentMagnetSynchronousMotor": PermanentMagnetSynchronousMotor,
    "Pipe": Pipe,
    "PipeLoop": PipeLoop,
    "QuadraticTorqueLoad": QuadraticTorqueLoad,
    "RollingBearing": RollingBearing,
    "SpeedProfile": SpeedProfile,
    "Spindle": Spindle,
    "Tank": Tank,
    "Valve": Valve,
    "VoltageSource": VoltageSource,
    "WearingCentrifugalPump": WearingCentrifugalPump,
}


def _plugins() -> dict[str, type[Component]]:
    return {ep.name: ep.load() for ep in entry_points(group="physics_twin.components")}


def list_components() -> list[str]:
    """Names of every registered component type, built-in and plug-in."""
    return sorted({**COMPONENTS, **_plugins()})


def component_class(name: str) -> type[Component]:
    """The component class registered under ``name``.

    Raises
    ------
    ConfigError
        When no component has that name (with the closest names).
    """
    if name in COMPONENTS:
        return COMPONENTS[name]
    plugins = _plugins()
    if name in plugins:
        return plugins[name]
    raise ConfigError(
        unknown_name_message("component type", name, list_components(), catalogue="`physics-twin components -v` lists them")
    )
