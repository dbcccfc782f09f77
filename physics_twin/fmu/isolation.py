"""Run a vendor FMU in its own process, so that a crash or a hang cannot take the twin down.

:class:`IsolatedFMU` has the interface of :class:`~physics_twin.fmu.adapter.FMUComponent` that the
co-simulation master and the state functions use, but the FMU lives in a child process
(``multiprocessing``) and every call travels over a pipe: a request ``(method, args, kwargs)`` and a
reply ``("ok", result)`` or ``("error", type name, message)``. A child that dies (a segmentation
fault, ``abort()``) or does not answer within ``timeout`` seconds (it is then killed) becomes an
:class:`~physics_twin.errors.FMUError` naming the component, the call and the exit signal; the host
process carries on. :meth:`IsolatedFMU.restart` starts a fresh child (the FMU state is lost).

The model description is read in the host, so names, units and capabilities need no round trip; a
step costs one round trip (inputs travel with ``doStep``, outputs come back with its reply).
"""

from __future__ import annotations

import multiprocessing
import os
import signal
import traceback
from collections.abc import Iterable, Mapping
from pathlib import Path
from typing import Any

import numpy as np

from physics_twin.errors import FMUError, ParameterError, ShapeError
from physics_twin.fmu.description import read_description

__all__ = ["IsolatedFMU", "IsolatedState"]

_ERRORS = {"FMUError": FMUError, "ParameterError": ParameterError, "ShapeError": ShapeError}


def _serve(connection: Any, path: str, name: str | None, interface: str, parameters: dict[str, Any] | None) -> None:
    """Child process: own one FMUComponent and answer requests until told to stop."""
    import faulthandler

    from physics_twin.fmu.adapter import FMUComponent

    faulthandler.disable()  # a vendor crash is reported by the host; an inherited handler would only print noise

    try:
        fmu = FMUComponent(path, name, interface=interface, parameters=parameters)
    except Exception as exc:
        connection.send(("error", type(exc).__name__, str(exc)))
        return
    connection.send(("ok", None))
    states: dict[int, Any] = {}
    counter = 0
    while True:
        try:
            method, args, kwargs = connection.recv()
        except (EOFError, OSError):
            break
        try:
            if method == "close":
                fmu.close()
                connection.send(("ok", None))
                break
            if method == "step":
                inputs, time, step, no_set_prior = args
                if inputs is not None:
                    fmu.write_inputs(inputs)
                accepted = fmu.do_step(time, step, no_set_prior)
                result: Any = (accepted, fmu.read_outputs().copy() if accepted else None)
            elif method == "read_outputs":
                (inputs,) = args
                if inputs is not None:
                    fmu.write_inputs(inputs)
                result = fmu.read_outputs().copy()
            elif method == "get_state":
                counter += 1
                states[counter] = fmu.get_state()
                result = counter
            elif method == "set_state":
                fmu.set_state(states[args[0]])
                result = None
            elif method == "free_state":
                state = states.pop(args[0], None)
                if state is not None:
                    state.free()
                result = None
            elif method == "serialize_state":
                result = fmu.serialize_state(states[args[0]] if args and args[0] is not None else None)
            elif method == "deserialize_state":
                counter += 1
                states[counter] = fmu.deserialize_state(args[0], args[1])
                result = counter
            else:
                value = getattr(fmu, method)(*args, **kwargs)
                result = value.copy() if isinstance(value, np.ndarray) else value
            connection.send(("ok", result))
        except Exception as exc:
            detail = str(exc) if isinstance(exc, tuple(_ERRORS.values())) else f"{exc}\n{traceback.format_exc(limit=3)}"
            connection.send(("error", type(exc).__name__, detail))


class IsolatedState:
    """Handle of an FMU state kept in the child process of an :class:`IsolatedFMU`."""

    def __init__(self, owner: IsolatedFMU, key: int, time: float | None, generation: int) -> None:
        self._owner = owner
        self.key = key
        self.time = time
        self.generation = generation
        self.freed = False

    def free(self) -> None:
        """Release the state in the child (idempotent; nothing to do once the child is gone)."""
        if not self.freed and self._owner.alive and self._owner._generation == self.generation:
            self._owner._call("free_state", self.key)
        self.freed = True


class IsolatedFMU:
    """An FMU in a child process, with the calls the co-simulation master needs.

    Parameters
    ----------
    path : str or path-like
        The ``.fmu`` file.
    name : str, optional
        Instance name (defaults as for :class:`~physics_twin.fmu.adapter.FMUComponent`).
    interface : {"auto", "CS", "ME"}
        Which interface to use; co-simulation is the natural choice for isolation (one round trip per step).
    parameters : mapping, optional
        Start values applied at every initialization.
    timeout : float
        Longest wait for any single call, including a step. [s]
    start_method : {"fork", "spawn", "forkserver"}, optional
        ``multiprocessing`` start method; ``fork`` by default on Linux (fast), ``spawn`` elsewhere.

    Raises
    ------
    FMUError
        When the child cannot load the FMU, dies, or does not answer in time.
    """

    def __init__(
        self,
        path: str | os.PathLike,
        name: str | None = None,
        *,
        interface: str = "auto",
        parameters: Mapping[str, Any] | None = None,
        timeout: float = 30.0,
        start_method: str | None = None,
    ) -> None:
        import re

        self.path = Path(path)
        self.description = read_description(path)
        default = re.sub(r"\W", "_", self.description.model_name) or "fmu"
        self.name = name if name is not None else (f"fmu_{default}" if default[0].isdigit() else default)
        offered = list(self.description.capabilities)
        self.interface = ("CS" if "CS" in offered else "ME") if interface == "auto" else interface
        if self.interface not in offered:
            raise FMUError(f"FMU {self.path.name!r} does not offer {self.interface}; it offers {offered}.")
        self.version = int(self.description.fmi_version.split(".")[0])
        self.capabilities = self.description.capabilities[self.interface]
        self.INPUTS = self.description.inputs
        self.OUTPUTS = self.description.outputs
        self.PARAMETERS = self.description.parameters
        self.STATES = tuple(self.description.variable(n) for n in self.description.state_names) if self.interface == "ME" else ()
        self.n_states = self.description.number_of_continuous_states if self.interface == "ME" else 0
        self.timeout = float(timeout)
        self._parameters = dict(parameters or {})
        self._start_method = start_method or ("fork" if os.name == "posix" else "spawn")
        self._process: Any = None
        self._connection: Any = None
        self._generation = 0
        self._pending_inputs: np.ndarray | None = None
        self._outputs: np.ndarray | None = None
        self.time: float | None = None
        self.next_event_time: float | None = None
        self._start()

    # -- process management -----------------------------------------------------------------------------------------
    def _start(self) -> None:
        context = multiprocessing.get_context(self._start_method)
        parent, child = context.Pipe()
        process = context.Process(
            target=_serve,
            args=(child, str(self.path), self.name, self.interface, self._parameters),
            daemon=True,
            name=f"physics_twin-fmu-{self.name}",
        )
        process.start()
        child.close()
        self._process, self._connection = process, parent
        self._generation += 1
        self._receive("loading the FMU")

    @property
    def alive(self) -> bool:
        """True while the child process runs."""
        return self._process is not None and self._process.is_alive()

    @property
    def pid(self) -> int | None:
        """Process id of the child (None when stopped)."""
        return self._process.pid if self._process is not None else None

    def restart(self) -> None:
        """Stop the child (if any) and start a fresh one; FMU states are lost, call initialize() again."""
        self._stop(kill=True)
        self._start()

    def _stop(self, kill: bool) -> None:
        process, connection = self._process, self._connection
        self._process = self._connection = None
        if process is None:
            return
        if kill and process.is_alive():
            process.kill()
        process.join(timeout=5.0)
        if process.is_alive():  # pragma: no cover - kill never fails on Linux
            process.kill()
            process.join()
        process.close()
        connection.close()

    def _exit_description(self, process: Any) -> str:
        code = process.exitcode
        if code is None:
            return "it is still running"
        if code < 0:
            try:
                return f"it was killed by signal {signal.Signals(-code).name}"
            except ValueError:
                return f"it exited with code {code}"
        return f"it exited with code {code}"

    def _receive(self, what: str) -> Any:
        connection, process = self._connection, self._process
        try:
            ready = connection.poll(self.timeout)
        except (EOFError, OSError):
            ready = True
        if not ready:
            self._stop(kill=True)
            raise FMUError(
                f"isolated FMU {self.name!r} ({self.path.name}) did not answer within {self.timeout:g} s while {what} "
                f"(t = {self.time} s): it hangs. Its process was killed; call restart() to start a fresh one."
            )
        try:
            reply = connection.recv()
        except (EOFError, OSError):
            process.join(timeout=5.0)
            description = self._exit_description(process)
            self._stop(kill=True)
            raise FMUError(
                f"isolated FMU {self.name!r} ({self.path.name}) crashed while {what} (t = {self.time} s): {description}. "
                "The host process is unaffected; call restart() to start a fresh instance."
            ) from None
        if reply[0] == "ok":
            return reply[1]
        error_type = _ERRORS.get(reply[1], FMUError)
        if self._process is not None and reply[1] not in _ERRORS and what == "loading the FMU":
            self._stop(kill=True)
        raise error_type(reply[2])

    def _call(self, method: str, *args: Any, **kwargs: Any) -> Any:
        if not self.alive:
            raise FMUError(f"isolated FMU {self.name!r} has no running process (it crashed, hung or was closed); call restart().")
        try:
            self._connection.send((method, args, kwargs))
        except (BrokenPipeError, OSError):
            return self._receive(f"calling `{method}`")
        return self._receive(f"calling `{method}`")

    # -- the FMUComponent interface ---------------------------------------------------------------------------------
    def initialize(self, start_time: float = 0.0, stop_time: float | None = None, **kwargs: Any) -> None:
        self._pending_inputs, self._outputs = None, None
        self._call("initialize", start_time, stop_time, **kwargs)
        self.time = float(start_time)

    def reset(self) -> None:
        self._pending_inputs, self._outputs = None, None
        self._call("reset")

    def write_inputs(self, values: np.ndarray) -> None:
        self._pending_inputs = np.array(values, dtype=float)
        self._outputs = None

    def read_outputs(self) -> np.ndarray:
        if self._outputs is None:
            self._outputs = self._call("read_outputs", self._pending_inputs)
            self._pending_inputs = None
        return self._outputs

    def do_step(self, time: float, step: float, no_set_prior: bool = True) -> bool:
        self.time = time
        accepted, outputs = self._call("step", self._pending_inputs, time, step, no_set_prior)
        self._pending_inputs = None
        self._outputs = outputs
        if accepted:
            self.time = time + step
        return bool(accepted)

    def set_values(self, values: Mapping[str, Any]) -> None:
        self._outputs = None
        self._call("set_values", dict(values))

    def get_values(self, names: Iterable[str]) -> dict[str, Any]:
        return self._call("get_values", list(names))

    def variable(self, name: str) -> Any:
        try:
            return self.description.variable(name)
        except FMUError as exc:
            raise ParameterError(str(exc)) from None

    def feedthrough_matrix(self) -> np.ndarray:
        """Boolean (n_outputs, n_inputs): True where an output depends directly on an input (from ModelStructure)."""
        return self.description.feedthrough_matrix()

    # model exchange (one round trip each; isolation suits co-simulation better)
    def set_time(self, time: float) -> None:
        self.time = time
        self._call("set_time", time)

    def set_continuous_states(self, x: np.ndarray) -> None:
        self._call("set_continuous_states", np.asarray(x, dtype=float))

    def get_continuous_states(self) -> np.ndarray:
        return self._call("get_continuous_states")

    def get_derivatives(self) -> np.ndarray:
        if self._pending_inputs is not None:
            self._call("write_inputs", self._pending_inputs)
            self._pending_inputs = None
        return self._call("get_derivatives")

    def completed_integrator_step(self) -> tuple[bool, bool]:
        return self._call("completed_integrator_step")

    def handle_event(self) -> float | None:
        self.next_event_time = self._call("handle_event")
        return self.next_event_time

    # state
    def get_state(self) -> IsolatedState:
        return IsolatedState(self, self._call("get_state"), self.time, self._generation)

    def set_state(self, state: IsolatedState) -> None:
        if state.freed or state.generation != self._generation:
            raise FMUError(
                f"`state` must be a live state of isolated FMU {self.name!r}; it was freed or belongs to an earlier process."
            )
        self._call("set_state", state.key)
        self.time = state.time
        self._outputs = None

    def serialize_state(self, state: IsolatedState | None = None) -> bytes:
        return self._call("serialize_state", None if state is None else state.key)

    def deserialize_state(self, data: bytes, time: float | None = None) -> IsolatedState:
        return IsolatedState(self, self._call("deserialize_state", bytes(data), time), time, self._generation)

    @property
    def is_open(self) -> bool:
        return self.alive

    def close(self) -> None:
        """Close the FMU and stop the child process (idempotent)."""
        if self.alive:
            try:
                self._call("close")
            except FMUError:
                pass
        self._stop(kill=True)

    def __enter__(self) -> IsolatedFMU:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def __repr__(self) -> str:
        return f"IsolatedFMU({self.path.name!r}, name={self.name!r}, interface={self.interface!r}, pid={self.pid})"
