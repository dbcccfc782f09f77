"""FMUs as components: import (FMI 1.0 CS, 2.0, 3.0), co-simulation with native components, state, SSP, filtering.

Public API
----------
:class:`FMUComponent`
    An FMU loaded and instantiated once, with named signals, units and typed start values.
:class:`IsolatedFMU`
    The same in a child process: a crash or a hang becomes an :class:`~physics_twin.errors.FMUError`.
:class:`CoSimulation`, :func:`communication_points`
    The master: FMUs (CS, ME) and native components on an integer-multiple communication grid.
:func:`save_state`, :func:`restore_state`, :func:`write_state`, :func:`read_state`
    Portable FMU states with identity checks.
:func:`read_ssd`, :func:`load_ssp`
    SSP 1.0/2.0 system structures as co-simulations.
:class:`FMUFilter`
    Unscented Kalman filtering (filterpy) over FMUs with get/set FMU state.
:func:`read_description`, :func:`validate`
    Model descriptions with parsed start values; validation reports.

fmpy is imported inside the functions that need it.
"""

from physics_twin.fmu.adapter import FMUComponent, FMUState
from physics_twin.fmu.calibration import FMUFilter
from physics_twin.fmu.description import FMUDescription, FMUVariable, ValidationReport, read_description, validate
from physics_twin.fmu.isolation import IsolatedFMU
from physics_twin.fmu.master import CoSimulation, CoSimulationState, communication_points
from physics_twin.fmu.ssp import SSPComponent, SSPSystem, load_ssp, read_ssd
from physics_twin.fmu.state import SavedState, read_state, restore_state, save_state, write_state

__all__ = [
    "CoSimulation",
    "CoSimulationState",
    "FMUComponent",
    "FMUDescription",
    "FMUFilter",
    "FMUState",
    "FMUVariable",
    "IsolatedFMU",
    "SSPComponent",
    "SSPSystem",
    "SavedState",
    "ValidationReport",
    "communication_points",
    "load_ssp",
    "read_description",
    "read_ssd",
    "read_state",
    "restore_state",
    "save_state",
    "validate",
    "write_state",
]
