"""simulate(): input-table breakpoints, events, result Datasets, argument checks."""

from __future__ import annotations

import math
from typing import ClassVar

import numpy as np
import pytest
import xarray as xr
from numpy.testing import assert_allclose

from physics_twin.components import CentrifugalPump, DCMotor
from physics_twin.core import Component, Event, Input, InputTable, Output, Parameter, State, simulate
from physics_twin.core._jit import jit
from physics_twin.errors import ParameterError, ShapeError, SimulationError


@jit
def _lag_rhs(t, x, u, p, dx):
    dx[0] = (-x[0] + u[0]) / p[0]


@jit
def _lag_output(t, x, u, p, y):
    y[0] = x[0]
    y[1] = u[0] - x[0]


class Lag(Component):
    """tau v' = -v + forcing; outputs v and forcing - v."""

    STATES = (State("v", "1", "lagged value", 1.0),)
    INPUTS = (Input("forcing", "1", "the forcing term"),)
    OUTPUTS = (Output("level", "1", "the lagged value"), Output("gap", "1", "forcing minus the lagged value"))
    PARAMETERS = (Parameter("tau", "s", "time constant", 1.0, (1e-9, math.inf), "test"),)
    FEEDTHROUGH: ClassVar = {"gap": ("forcing",)}
    rhs = staticmethod(_lag_rhs)
    output = staticmethod(_lag_output)


@jit
def _oscillator_rhs(t, x, u, p, dx):
    dx[0] = x[1]
    dx[1] = -x[0]


@jit
def _oscillator_output(t, x, u, p, out):
    out[:] = x


class Oscillator(Component):
    """x'' = -x with x(0) = 1, x'(0) = 0, so x = cos t."""

    STATES = (State("position", "m", "position", 1.0), State("velocity", "m/s", "velocity", 0.0))
    OUTPUTS = (Output("position_out", "m", "position"), Output("velocity_out", "m/s", "velocity"))
    rhs = staticmethod(_oscillator_rhs)
    output = staticmethod(_oscillator_output)


# The issue's hard case: v' = -v + p(t), v(0) = 1 on [0, 2] s, p = 20 for 1 < t < 1.05 and 0 otherwise.
# Piecewise: v(1) = e^-1; on the pulse v = 20 + (v(1) - 20) e^-(t-1), so v(1.05) = e^-1.05 + 20 (1 - e^-0.05);
# then free decay for 0.95 s: v(2) = e^-2 + 20 (1 - e^-0.05) e^-0.95 ≈ 0.512567.
PULSE = InputTable([0.0, 1.0, 1.05], [0.0, 20.0, 0.0])
PULSE_EXACT = math.exp(-2.0) + 20.0 * (1.0 - math.exp(-0.05)) * math.exp(-0.95)


def test_the_pulse_reference_value():
    assert PULSE_EXACT == pytest.approx(0.512567, abs=5e-7)


@pytest.mark.parametrize("method", ["LSODA", "RK45", "BDF", "Radau"])
def test_a_short_pulse_in_an_input_table_is_never_stepped_over(method):
    # only two output points: without the breakpoints an adaptive solver steps right over the 50 ms pulse
    result = Lag("lag").simulate([0.0, 2.0], inputs={"forcing": PULSE}, method=method)
    assert_allclose(result["v"].values[-1], PULSE_EXACT, atol=1e-6)


def test_the_pulse_with_tight_tolerances():
    result = Lag("lag").simulate(np.linspace(0.0, 2.0, 9), inputs={"forcing": PULSE}, method="Radau", rtol=1e-10, atol=1e-12)
    t = result["time"].values
    # closed form on each piece (see the derivation above)
    v1 = math.exp(-1.0)
    expected = np.where(t <= 1.0, np.exp(-t), 0.0)
    expected = np.where((t > 1.0) & (t <= 1.05), 20.0 + (v1 - 20.0) * np.exp(-(t - 1.0)), expected)
    expected = np.where(t > 1.05, PULSE_EXACT * np.exp(-(t - 2.0)), expected)
    assert_allclose(result["v"].values, expected, rtol=1e-8)


def test_zero_order_hold_values_are_recorded_from_each_table_time_on():
    result = Lag("lag").simulate([0.0, 0.5, 1.0, 1.02, 1.05, 1.5], inputs={"forcing": PULSE})
    assert result["forcing"].values.tolist() == [0.0, 0.0, 20.0, 20.0, 0.0, 0.0]
    # the feedthrough output sees the same held input
    assert_allclose(result["gap"].values, result["forcing"].values - result["v"].values)


@pytest.mark.parametrize("method", ["LSODA", "RK45", "Radau"])
@pytest.mark.parametrize("closed_side", ["left", "right"])
def test_callable_inputs_with_explicit_breakpoints_match_the_table(method, closed_side):
    # The pulse's value *at* 1.0 and 1.05 belongs to one side only; the solver must integrate each segment with the
    # inputs of its open interior, whichever side the callable closes. The table gives the same answer to 1e-12.
    def forcing(t: float) -> np.ndarray:
        inside = 1.0 <= t < 1.05 if closed_side == "left" else 1.0 < t <= 1.05
        return np.array([20.0 if inside else 0.0])

    result = Lag("lag").simulate([0.0, 2.0], inputs=forcing, breakpoints=[1.0, 1.05], method=method)
    table = Lag("lag").simulate([0.0, 2.0], inputs={"forcing": PULSE}, method=method)
    assert_allclose(result["v"].values[-1], PULSE_EXACT, atol=1e-6)
    assert_allclose(result["v"].values[-1], table["v"].values[-1], rtol=1e-12)


def test_linear_input_table():
    # forcing ramps 0 -> 1 over [0, 1] and is then held: v' = -v + t gives v = t - 1 + 2 e^-t on [0, 1],
    # so v(1) = 2/e; then v' = -v + 1 gives v(2) = 1 + (2/e - 1) e^-1.
    table = InputTable([0.0, 1.0], [0.0, 1.0], interpolation="linear")
    result = Lag("lag").simulate([0.0, 0.5, 1.0, 2.0], inputs={"forcing": table}, rtol=1e-10, atol=1e-12)
    expected = [1.0, 0.5 - 1.0 + 2.0 * math.exp(-0.5), 2.0 / math.e, 1.0 + (2.0 / math.e - 1.0) / math.e]
    assert_allclose(result["v"].values, expected, rtol=1e-8)
    assert_allclose(result["forcing"].values, [0.0, 0.5, 1.0, 1.0])


def test_table_values_before_the_first_time_hold_the_first_value():
    table = InputTable([-1.0, 0.5], [3.0, 0.0])
    # v' = -v + 3 on [0, 0.5] from v = 1: v(0.5) = 3 - 2 e^-0.5
    result = Lag("lag").simulate([0.0, 0.5], inputs={"forcing": table}, rtol=1e-10, atol=1e-12)
    assert_allclose(result["v"].values[-1], 3.0 - 2.0 * math.exp(-0.5), rtol=1e-8)


def test_terminal_event_stops_the_run_at_the_event_time():
    # v = e^-t crosses 0.5 at t = ln 2
    half = Event("half", lambda t, x, u, p: x[0] - 0.5, terminal=True)
    result = Lag("lag").simulate(np.linspace(0.0, 2.0, 21), events=[half], rtol=1e-10, atol=1e-12)
    assert_allclose(result["event_time"].values, [math.log(2.0)], rtol=1e-9)
    assert result["event"].values.tolist() == ["half"]
    assert_allclose(result["time"].values[-1], math.log(2.0), rtol=1e-9)
    assert_allclose(result["v"].values[-1], 0.5, rtol=1e-9)
    assert np.all(result["time"].values[:-1] < math.log(2.0))
    assert result["time"].values.size == 8  # 0.0 ... 0.6 and the event point
    assert result.attrs["terminated_by_event"] == 1


def test_event_inside_a_later_input_segment_sees_that_segments_input():
    # during the pulse v = 20 + (e^-1 - 20) e^-(t-1) rises through 0.6 at t = 1 + ln((20 - e^-1) / 19.4)
    rising = Event("rising", lambda t, x, u, p: x[0] - 0.6, terminal=True, direction=1.0)
    result = Lag("lag").simulate([0.0, 2.0], inputs={"forcing": PULSE}, events=[rising], rtol=1e-10, atol=1e-12)
    expected = 1.0 + math.log((20.0 - math.exp(-1.0)) / 19.4)
    assert_allclose(result["event_time"].values, [expected], rtol=1e-9)
    assert result["forcing"].values[-1] == 20.0


def test_non_terminal_events_are_recorded_and_the_run_continues():
    # cos t crosses zero at pi/2 (falling) and 3 pi/2 (rising) on [0, 5]
    zero = Event("zero", lambda t, x, u, p: x[0])
    rising = Event("rising", lambda t, x, u, p: x[0], direction=1.0)
    result = Oscillator("o").simulate(np.linspace(0.0, 5.0, 6), events=[zero, rising], rtol=1e-10, atol=1e-12)
    assert result["event"].values.tolist() == ["zero", "zero", "rising"]
    assert_allclose(result["event_time"].values, [math.pi / 2, 3 * math.pi / 2, 3 * math.pi / 2], rtol=1e-8)
    assert result["time"].values.tolist() == [0.0, 1.0, 2.0, 3.0, 4.0, 5.0]
    assert result.attrs["terminated_by_event"] == 0
    assert_allclose(result["position"].values, np.cos(result["time"].values), atol=1e-8)


@pytest.mark.parametrize("method", ["LSODA", "RK45", "BDF"])
def test_a_zero_exactly_at_a_breakpoint_is_reported_once(method):
    # t - 1 crosses zero at the table time 1.0: the end of one segment and the start of the next
    at_one = Event("at_one", lambda t, x, u, p: t - 1.0)
    result = Lag("lag").simulate([0.0, 2.0], inputs={"forcing": PULSE}, events=[at_one], method=method)
    assert result["event_time"].values.tolist() == [1.0]


def test_dataset_carries_units_and_descriptions():
    motor = DCMotor("m")
    result = motor.simulate(np.linspace(0.0, 0.1, 5), inputs={"voltage": 12.0})
    assert isinstance(result, xr.Dataset)
    assert result["time"].attrs["units"] == "s"
    assert result.attrs["model"] == "m"
    assert result.attrs["solver"] == "LSODA"
    for record, kind in [(r, "state") for r in DCMotor.STATES] + [(r, "input") for r in DCMotor.INPUTS]:
        assert result[record.name].attrs == {"units": record.unit, "description": record.description, "kind": kind}
    for record in DCMotor.OUTPUTS:
        # outputs that repeat a state's name get the suffix ":output"
        name = record.name if record.name not in {s.name for s in DCMotor.STATES} else f"{record.name}:output"
        assert result[name].attrs == {"units": record.unit, "description": record.description, "kind": "output"}
        assert result[name].dims == ("time",)
    assert result["parameter"].values.tolist() == [p.name for p in DCMotor.PARAMETERS]
    assert result["parameter_unit"].values.tolist() == [p.unit for p in DCMotor.PARAMETERS]
    assert_allclose(result["parameter_value"].values, motor.parameter_values)
    assert result["event_time"].attrs["units"] == "s"
    assert result["voltage"].values.tolist() == [12.0] * 5


def test_name_coordinates_are_strings_even_when_empty():
    # a model without parameters and a run without events: the name coordinates keep a string dtype, so results
    # with and without events/parameters combine (xr.concat) and round-trip through NetCDF alike
    result = Oscillator("o").simulate([0.0, 1.0])
    assert result.sizes["event"] == 0 and result.sizes["parameter"] == 0
    for name in ("event", "parameter", "parameter_unit"):
        assert result[name].dtype.kind == "U", name


def test_parameter_overrides_and_initial_state_by_name_and_vector():
    # tau = 2: v = v0 e^(-t/2)
    lag = Lag("lag")
    by_name = lag.simulate([0.0, 1.0], x0={"v": 3.0}, parameters={"tau": 2.0}, rtol=1e-10, atol=1e-12)
    by_vector = lag.simulate([0.0, 1.0], x0=np.array([3.0]), parameters={"tau": 2.0}, rtol=1e-10, atol=1e-12)
    assert_allclose(by_name["v"].values[-1], 3.0 * math.exp(-0.5), rtol=1e-8)
    assert_allclose(by_vector["v"].values, by_name["v"].values)
    assert by_name["parameter_value"].values.tolist() == [2.0]


def test_a_component_without_states_simulates_with_an_empty_state_vector():
    pump = CentrifugalPump("p")
    speed, flow = 250.0, 1.5e-3
    result = pump.simulate([0.0, 1.0, 2.0], inputs={"shaft_speed": speed, "flow_rate": flow})
    assert [name for name in result.data_vars if result[name].attrs.get("kind") == "state"] == []
    assert result["time"].values.tolist() == [0.0, 1.0, 2.0]
    expected = pump.output_values(0.0, np.empty(0), np.array([speed, flow]), pump.parameter_values)
    for column, record in enumerate(CentrifugalPump.OUTPUTS):
        assert_allclose(result[record.name].values, expected[column])


def test_zero_state_model_follows_an_input_table():
    pump = CentrifugalPump("p")
    table = InputTable([0.0, 1.0], [100.0, 200.0])
    result = pump.simulate([0.0, 0.5, 1.0, 1.5], inputs={"shaft_speed": table})
    assert result["shaft_speed"].values.tolist() == [100.0, 100.0, 200.0, 200.0]


def test_non_finite_derivative_raises_instead_of_hanging():
    with pytest.raises(SimulationError, match=r"derivative of v in model 'lag' is not finite at t = 0 s \(states: v = 1\)"):
        Lag("lag").simulate([0.0, 1.0], inputs=lambda t: np.array([math.inf]))


def test_solver_options_are_checked_before_scipy_sees_them():
    lag = Lag("lag")
    with pytest.raises(ParameterError) as caught:
        lag.simulate([0.0, 1.0], method="RK5", rtol=-1.0, atol=0.0, max_step=0.0, breakpoints=[0.5, math.nan])
    message = str(caught.value)
    assert (
        "`method` must be one of ['RK45', 'RK23', 'DOP853', 'Radau', 'BDF', 'LSODA']; got 'RK5'. Did you mean 'RK45'" in message
    )
    assert "`rtol` must be a finite number > 0; got -1.0" in message
    assert "`atol` must be > 0 and finite" in message
    assert "`max_step` must be > 0 [s] (inf: no limit); got 0.0" in message
    assert "`breakpoints` must be finite times [s]; got [0.5, nan]" in message


def test_argument_errors():
    lag = Lag("lag")
    with pytest.raises(ParameterError, match=r"`t_eval` must be a 1-D, finite, strictly increasing array"):
        lag.simulate([1.0, 0.0])
    with pytest.raises(ParameterError, match=r"`t_eval` must be .* at least 2 times"):
        lag.simulate([0.0])
    with pytest.raises(ParameterError, match=r"unknown input 'forcng' of model 'lag'\. Did you mean 'forcing'\?"):
        lag.simulate([0.0, 1.0], inputs={"forcng": 1.0})
    with pytest.raises(ParameterError, match=r"input `forcing` must be finite; got nan\."):
        lag.simulate([0.0, 1.0], inputs={"forcing": math.nan})
    with pytest.raises(ParameterError, match=r"`inputs` must be None, a callable u\(t\) or a mapping .*; got list\."):
        lag.simulate([0.0, 1.0], inputs=[1.0])
    with pytest.raises(ShapeError, match=r"`inputs\(t\)` must have shape \(1,\) \(inputs of 'lag'\); got \(2,\)\."):
        lag.simulate([0.0, 1.0], inputs=lambda t: np.zeros(2))
    with pytest.raises(ShapeError, match=r"`x0` must have shape \(1,\) \(states of 'lag'\); got \(2,\)\."):
        lag.simulate([0.0, 1.0], x0=[1.0, 2.0])
    with pytest.raises(ParameterError, match=r"unknown state 'w' of model 'lag'"):
        lag.simulate([0.0, 1.0], x0={"w": 1.0})
    with pytest.raises(ParameterError, match=r"state `v` must be a real number; got 'one'\."):
        lag.simulate([0.0, 1.0], x0={"v": "one"})
    with pytest.raises(ParameterError, match=r"input `forcing` must be a number or an InputTable; got \[1\.0, 2\.0\]\."):
        lag.simulate([0.0, 1.0], inputs={"forcing": [1.0, 2.0]})
    with pytest.raises(ParameterError, match=r"`tau` must be within \[1e-09, inf\] s; got -1\.0\."):
        simulate(lag.model(), [0.0, 1.0], parameters={"tau": -1.0})


def test_events_on_a_model_without_states_are_refused_not_ignored():
    pump = CentrifugalPump("p")
    over_speed = Event("over_speed", lambda t, x, u, p: u[0] - 100.0, terminal=True)
    with pytest.raises(ParameterError, match=r"`events` need a model with states .* model 'p' has none"):
        pump.simulate([0.0, 1.0], inputs={"shaft_speed": InputTable([0.0, 0.5], [0.0, 200.0])}, events=[over_speed])


@pytest.mark.parametrize("method", ["LSODA", "BDF", "Radau", "RK45"])
def test_non_finite_derivative_is_a_simulation_error_for_every_method(method):
    # a callable input is not checked up front; the derivative turns NaN at t = 0.5
    def forcing(t: float) -> np.ndarray:
        return np.array([math.nan if t > 0.5 else 0.0])

    with pytest.raises(SimulationError, match=r"derivative of v in model 'lag' is not finite at t = 0\.5"):
        Lag("lag").simulate([0.0, 1.0], inputs=forcing, breakpoints=[0.5], method=method)


def test_input_table_checks():
    with pytest.raises(ShapeError, match=r"`times` and `values` must be 1-D of equal, non-zero length; got \(2,\) and \(3,\)\."):
        InputTable([0.0, 1.0], [1.0, 2.0, 3.0])
    with pytest.raises(ParameterError, match=r"`times` must be finite and strictly increasing\."):
        InputTable([0.0, 0.0], [1.0, 2.0])
    with pytest.raises(ParameterError, match=r"`interpolation` must be 'previous' or 'linear'; got 'cubic'\."):
        InputTable([0.0, 1.0], [1.0, 2.0], interpolation="cubic")
    with pytest.raises(ParameterError, match=r"`values` must be finite; got nan at 1 time\(s\), first at t = 1 s\."):
        InputTable([0.0, 1.0, 2.0], [0.0, math.nan, 1.0])
