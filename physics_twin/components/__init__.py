"""Native components: motors, pumps, pipes, bearings. See :mod:`physics_twin.components.registry`."""

from physics_twin.components.bearing_degradation import BearingDegradation
from physics_twin.components.centrifugal_pump import CentrifugalPump
from physics_twin.components.daigle_goebel_pump import DaigleGoebelPump
from physics_twin.components.dc_motor import DCMotor
from physics_twin.components.dc_motor_thermal import DCMotorThermal
from physics_twin.components.friction import FrictionBody
from physics_twin.components.gearbox import Gearbox, gear_train
from physics_twin.components.hydraulics import Pipe, Tank, Valve
from physics_twin.components.induction_motor import InductionMotor
from physics_twin.components.insulation_ageing import InsulationAgeing
from physics_twin.components.loads import ConstantTorqueLoad, CuttingForceLoad, QuadraticTorqueLoad
from physics_twin.components.permanent_magnet_synchronous_motor import PermanentMagnetSynchronousMotor
from physics_twin.components.pipe_loop import PipeLoop
from physics_twin.components.registry import COMPONENTS, component_class, list_components
from physics_twin.components.rolling_bearing import RollingBearing
from physics_twin.components.sources import SpeedProfile, VoltageSource
from physics_twin.components.spindle import Spindle
from physics_twin.components.thermal_network import MotorThermalNetwork
from physics_twin.components.wearing_centrifugal_pump import WearingCentrifugalPump

__all__ = [
    "COMPONENTS",
    "BearingDegradation",
    "CentrifugalPump",
    "ConstantTorqueLoad",
    "CuttingForceLoad",
    "DCMotor",
    "DCMotorThermal",
    "DaigleGoebelPump",
    "FrictionBody",
    "Gearbox",
    "InductionMotor",
    "InsulationAgeing",
    "MotorThermalNetwork",
    "PermanentMagnetSynchronousMotor",
    "Pipe",
    "PipeLoop",
    "QuadraticTorqueLoad",
    "RollingBearing",
    "SpeedProfile",
    "Spindle",
    "Tank",
    "Valve",
    "VoltageSource",
    "WearingCentrifugalPump",
    "component_class",
    "gear_train",
    "list_components",
]
