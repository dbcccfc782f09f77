"""The in-place kernel protocol: ``rhs(t, x, u, p, dx)`` and ``output(t, x, u, p, y)`` write exactly their declared sizes.

Compiled loops do not check bounds, so a kernel that writes past its result or skips an entry must be caught before
any loop runs: by :func:`checked_kernel_values` (contract tests, filters) and :meth:`Model.check_kernels` (simulation,
batch fits, RUL, co-simulation).
"""

from __future__ import annotations

import math

import numpy as np
import pytest
from numpy.testing import assert_array_equal

from physics_twin.components import BearingDegradation, DCMotor, QuadraticTorqueLoad
from physics_twin.core import Component, Output, Parameter, State, System, connect
from physics_twin.core._jit import JIT_ENABLED, jit, python_function
from physics_twin.core.model import checked_kernel_values, evaluate_kernel
from physics_twin.errors import ModelStructureError

X, U = np.array([1.0, 2.0]), np.zeros(0)


@jit
def _good_rhs(t, x, u, p, dx):
    dx[0] = x[1]
    dx[1] = -p[0] * x[0]


@jit
def _good_output(t, x, u, p, y):
    y[0] = x[0]


@jit
def _allocating_rhs(t, x, u, p):  # the form kernels had before the in-place protocol
    dx = np.empty(2)
    dx[0] = x[1]
    dx[1] = -p[0] * x[0]
    return dx


@jit
def _returning_rhs(t, x, u, p, dx):
    dx[0] = x[1]
    dx[1] = -p[0] * x[0]
    return dx


@jit
def _skipping_rhs(t, x, u, p, dx):
    dx[0] = x[1]


@jit
def _overrunning_output(t, x, u, p, y):
    y[0] = x[0]
    y[1] = x[1]  # the model declares one output


def _oscillator(rhs=_good_rhs, output=_good_output):
    class Oscillator(Component):
        STATES = (State("position", "m", "position", 1.0), State("velocity", "m/s", "velocity", 0.0))
        OUTPUTS = (Output("position", "m", "position"),)
        PARAMETERS = (Parameter("stiffness", "1/s^2", "stiffness per mass", 4.0, (0.0, 1e6), "test"),)
        FEEDTHROUGH: dict = {}

    Oscillator.rhs = staticmethod(rhs)
    Oscillator.output = staticmethod(output)
    return Oscillator("oscillator")


def test_a_well_formed_kernel_gives_its_values():
    values = checked_kernel_values(_good_rhs, "rhs", 2, 0.0, X, U, np.array([4.0]), "test")
    assert_array_equal(values, [2.0, -4.0])


@pytest.mark.parametrize(
    ("kernel", "size", "message"),
    [
        (_allocating_rhs, 2, r"kernel `rhs` of test must take \(t, x, u, p, out\) and write its 2 values into `out`"),
        (_returning_rhs, 2, r"must write its 2 values into its last argument `out` and return nothing; it returned"),
        (_skipping_rhs, 2, r"must write exactly 2 values into `out` \(one per declared state\); it leaves entries \[1\]"),
        (_overrunning_output, 1, r"must write exactly 1 values into `out`.*it writes past the end of `out`"),
    ],
)
@pytest.mark.parametrize("compiled", [True, False], ids=["compiled", "python"])
def test_malformed_kernels_are_named_with_what_they_do_wrong(kernel, size, message, compiled):
    label = "output" if kernel is _overrunning_output else "rhs"
    function = kernel if compiled else python_function(kernel)
    with pytest.raises(ModelStructureError, match=message):
        checked_kernel_values(function, label, size, 0.0, X, U, np.array([4.0]), "test")


@pytest.mark.parametrize(
    ("rhs", "output"), [(_allocating_rhs, _good_output), (_skipping_rhs, _good_output), (_good_rhs, _overrunning_output)]
)
def test_simulation_rejects_a_malformed_kernel_before_integrating(rhs, output):
    with pytest.raises(ModelStructureError, match=r"kernel `(rhs|output)` of model 'oscillator'"):
        _oscillator(rhs, output).simulate(np.linspace(0.0, 1.0, 11))


def test_filters_reject_a_malformed_kernel_at_construction():
    from physics_twin.estimation import create_filter

    model = _oscillator(_good_rhs, _overrunning_output).model()
    with pytest.raises(ModelStructureError, match=r"kernel `output` of model 'oscillator' .* writes past the end"):
        create_filter("ukf", model, measured={"position": 0.1})


def test_derivative_and_output_values_call_the_kernels_from_python():
    component = _oscillator()
    model = component.model()
    p = np.array([9.0])
    assert_array_equal(model.derivative(0.0, X, U, p), [2.0, -9.0])
    assert_array_equal(model.derivative(0.0, X, U), [2.0, -4.0])  # the model's own parameters by default
    assert_array_equal(component.derivative(0.0, X, U, p), [2.0, -9.0])
    assert_array_equal(model.output_values(0.0, X, U), [1.0])
    assert_array_equal(evaluate_kernel(_good_rhs, 2, 0.0, [1, 2], U, [9]), [2.0, -9.0])  # lists are converted


def test_generated_system_kernels_write_exactly_their_sizes(rng):
    # a stateless component between two with states; the motor speed feeds two components
    model = connect(
        "fan_drive",
        [DCMotor("motor"), QuadraticTorqueLoad("fan"), BearingDegradation("bearing")],
        [
            ("motor.shaft_speed", "fan.shaft_speed"),
            ("fan.load_torque", "motor.load_torque"),
            ("motor.shaft_speed", "bearing.shaft_speed"),
        ],
        inputs=["motor.voltage", "motor.ambient_temperature", "bearing.radial_load"],
    )
    for _ in range(3):
        x = model.initial_state() + rng.uniform(0.0, 1.0, len(model.states))
        u = np.array([24.0, 293.15, 1000.0])
        dx = checked_kernel_values(model.rhs, "rhs", len(model.states), 0.0, x, u, model.parameter_values, "fan_drive")
        y = checked_kernel_values(model.output, "output", len(model.outputs), 0.0, x, u, model.parameter_values, "fan_drive")
        assert np.all(np.isfinite(dx)) and np.all(np.isfinite(y))


# -- inside a System, and where the kernels must be compiled -------------------------------------------------------


@jit
def _nan_rhs(t, x, u, p, dx):
    dx[0] = math.nan
    dx[1] = 0.0


@pytest.mark.parametrize(
    ("rhs", "output", "message"),
    [
        (_skipping_rhs, _good_output, r"kernel `rhs` of component 'oscillator' \(Oscillator\) of system 'set' .* leaves"),
        (_good_rhs, _overrunning_output, r"kernel `output` of component 'oscillator' \(Oscillator\) of system 'set' .* past"),
        (_allocating_rhs, _good_output, r"kernel `rhs` of component 'oscillator' \(Oscillator\) of system 'set' must take"),
        (_returning_rhs, _good_output, r"kernel `rhs` of component 'oscillator' .* return nothing"),
    ],
)
def test_a_system_checks_each_component_kernel_at_its_own_size(rhs, output, message):
    # in the generated System kernels a stray write would land in a neighbour's slice and a skipped output read 0
    with pytest.raises(ModelStructureError, match=message):
        System("set", [_oscillator(rhs, output)]).model()


@pytest.mark.skipif(not JIT_ENABLED, reason="with JIT disabled every kernel is plain Python")
def test_consumers_of_compiled_kernels_say_so_for_plain_python_kernels():
    from physics_twin.estimation import Experiment, fit_parameters
    from physics_twin.prognostics import FailureThreshold, LoadScenario, PosteriorSamples, predict_rul

    plain = _oscillator(python_function(_good_rhs), python_function(_good_output))
    with pytest.raises(ModelStructureError, match=r"kernel `rhs` of component 'oscillator' .* a System needs it compiled"):
        System("set", [plain]).model()
    model = plain.model()
    times = np.linspace(0.0, 1.0, 11)
    experiment = Experiment(times, np.zeros((11, 0)), np.cos(2.0 * times)[:, None])
    with pytest.raises(ModelStructureError, match=r"kernel `rhs` of model 'oscillator' .* fit_parameters needs it compiled"):
        fit_parameters(model, [experiment], measured={"position": 0.01}, estimate=["stiffness"])
    samples = PosteriorSamples(np.array([[1.0, 0.0]]), model.parameter_values[None, :])
    with pytest.raises(ModelStructureError, match=r"the RUL predictor needs it compiled"):
        predict_rul(model, samples, FailureThreshold("position", 2.0), LoadScenario.constant(), horizon=10.0)


def test_calls_from_python_refuse_a_kernel_that_writes_past_its_result():
    model = _oscillator(_good_rhs, _overrunning_output).model()  # not checked: derivative/output_values guard each call
    with pytest.raises(ModelStructureError, match=r"kernel `output` of model 'oscillator' must write exactly 1 values .* past"):
        model.output_values(0.0, X, U)


def test_a_prediction_whose_state_stops_being_finite_warns_and_flags_the_samples():
    from physics_twin.prognostics import DivergenceWarning, FailureThreshold, LoadScenario, PosteriorSamples, predict_rul

    model = _oscillator(_nan_rhs, _good_output).model()
    samples = PosteriorSamples(np.array([[1.0, 0.0], [1.0, 0.0]]), np.repeat(model.parameter_values[None, :], 2, axis=0))
    with pytest.warns(DivergenceWarning, match=r"2 of 2 samples diverged .* first after"):
        rul = predict_rul(model, samples, FailureThreshold("position", 2.0), LoadScenario.constant(), horizon=10.0)
    assert rul.diverged.all()
