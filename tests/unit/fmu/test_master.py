"""Co-simulation master: integer-multiple grid, orderings, native participants, ME + native block, loops, rollback, NaN."""

from __future__ import annotations

import math
from typing import ClassVar

import numpy as np
import pytest
from numpy.testing import assert_allclose
from scipy.integrate import solve_ivp

from physics_twin.core import Component, Input, Output, Parameter, State
from physics_twin.core._jit import jit
from physics_twin.core.component import no_derivatives
from physics_twin.errors import ConfigError, FMUError, ModelStructureError, ParameterError
from physics_twin.fmu import CoSimulation, FMUComponent, communication_points

from .test_adapter import damped_oscillator


@jit
def _spring_output(t, x, u, p, y):
    y[0] = -p[0] * u[0]


class Spring(Component):
    """Stateless spring: force = -stiffness * position (direct feedthrough)."""

    INPUTS = (Input("position", "m", "displacement"),)
    OUTPUTS = (Output("force", "N", "spring force on the mass"),)
    PARAMETERS = (Parameter("stiffness", "N/m", "spring constant", 3.0, (0.0, math.inf), "test"),)
    FEEDTHROUGH: ClassVar = {"force": ("position",)}
    rhs = staticmethod(no_derivatives)
    output = staticmethod(_spring_output)


@jit
def _lag_rhs(t, x, u, p, dx):
    dx[0] = (u[0] - x[0]) / p[0]


@jit
def _lag_output(t, x, u, p, y):
    y[0] = x[0] if t < p[1] else np.nan


class Lag(Component):
    """First-order lag y' = (u - y) / tau; its output turns NaN after `nan_after` (to test non-finite handling)."""

    STATES = (State("y", "m", "lagged position", 0.0),)
    INPUTS = (Input("u", "m", "input"),)
    OUTPUTS = (Output("y", "m", "lagged position"),)
    PARAMETERS = (
        Parameter("tau", "s", "time constant", 0.5, (1e-9, math.inf), "test"),
        Parameter("nan_after", "s", "time after which the output is NaN", 1e9, (0.0, math.inf), "test"),
    )
    FEEDTHROUGH: ClassVar = {}
    rhs = staticmethod(_lag_rhs)
    output = staticmethod(_lag_output)


@pytest.fixture
def oscillator(oscillator_fmu):
    component = FMUComponent(oscillator_fmu, "osc")
    yield component
    component.close()


def test_grid_is_integer_multiples_with_a_short_last_step():
    points = communication_points(0.0, 1.0, 0.3)
    assert points.tolist() == [0.0, 0.3, 2 * 0.3, 3 * 0.3, 1.0]
    assert points[-1] - points[-2] == pytest.approx(0.1, abs=1e-15)


def test_grid_ends_exactly_without_a_sliver():
    points = communication_points(0.0, 1.0, 0.1)
    assert points.size == 11
    assert points[-1] == 1.0
    assert np.all(np.diff(points) > 0.1 * (1 - 1e-9))
    # 0.7 / 0.1 = 6.999999999999999 in floating point: still 7 steps
    assert communication_points(0.0, 0.7, 0.1).size == 8
    # a float running sum would drift: 1000 additions of 0.001 give 1.0000000000000007
    points = communication_points(0.0, 1.0, 0.001)
    assert points.size == 1001
    assert points[500] == 500 * 0.001


def test_grid_rejects_bad_arguments():
    with pytest.raises(ParameterError, match=r"`step` must be > 0"):
        communication_points(0.0, 1.0, 0.0)
    with pytest.raises(ParameterError, match=r"`stop_time` must be > `start_time`"):
        communication_points(1.0, 1.0, 0.1)


def test_fmu_sees_the_grid_and_never_a_step_past_stop(oscillator):
    # the test FMU returns Error for a step past the stop time given to setupExperiment, or from a wrong point
    result = oscillator.simulate(1.0, 0.3)
    assert result.time.values.tolist() == [0.0, 0.3, 0.6, 0.3 * 3, 1.0]
    assert result["step_count"].values[-1] == 4
    assert result["last_step"].values.tolist()[1:] == pytest.approx([0.3, 0.3, 0.3, 0.1], abs=1e-15)
    assert oscillator.simulate(1.0, 0.1)["step_count"].values[-1] == 10


def test_fixed_step_fmu_is_refused_before_starting(fixed_step_fmu):
    with FMUComponent(fixed_step_fmu, "fixed") as component:
        with pytest.raises(
            ConfigError, match=r"'fixed' cannot handle a variable communication step size(?s:.*)last step is shorter"
        ):
            component.simulate(1.0, 0.3)
        assert component.mode == "instantiated"  # refused before initialization
        assert component.simulate(1.0, 0.25)["step_count"].values[-1] == 4


def test_native_participant_and_continuous_block_with_me_fmu(oscillator_fmu):
    # ME oscillator + native spring in one continuous block: x'' + 0.1 x' + (1 + 3) x = 0, solved by our RK4 at 1 ms
    with FMUComponent(oscillator_fmu, "osc", interface="ME") as fmu:
        simulation = CoSimulation([fmu, Spring("spring")], [("osc.position", "spring.position"), ("spring.force", "osc.force")])
        result = simulation.simulate(3.0, 0.1)
        assert_allclose(result["osc.position"].values, damped_oscillator(result.time.values, k=4.0), atol=1e-8)
        assert_allclose(result["spring.force"].values, -3.0 * result["osc.position"].values, rtol=1e-12)
        assert result["osc.x"].attrs["kind"] == "state"


def test_native_states_integrate_together_with_the_me_fmu(oscillator_fmu):
    # reference: scipy on the closed-form right-hand side of oscillator + lag
    def rhs(t, s):
        x, v, y = s
        return [v, -x - 0.1 * v, (x - y) / 0.5]

    reference = solve_ivp(rhs, (0, 2), [1.0, 0.0, 0.0], t_eval=np.linspace(0, 2, 21), rtol=1e-11, atol=1e-12)
    with FMUComponent(oscillator_fmu, "osc", interface="ME") as fmu:
        simulation = CoSimulation([fmu, Lag("lag")], [("osc.position", "lag.u")])
        result = simulation.simulate(2.0, 0.1)
    assert_allclose(result["lag.y"].values, reference.y[2], atol=1e-9)


def _three_party(oscillator_fmu, ordering, step):
    # a.position -> spring -> b.force; b.force_out (= 2 b.force, direct feedthrough) -> a.force
    with FMUComponent(oscillator_fmu, "a") as a, FMUComponent(oscillator_fmu, "b") as b:
        simulation = CoSimulation(
            [a, b, Spring("spring")],
            [("a.position", "spring.position"), ("spring.force", "b.force"), ("b.force_out", "a.force")],
            ordering=ordering,
        )
        result = simulation.simulate(2.0, step)
    return result.time.values, result["b.position"].values, result["a.position"].values


def test_gauss_seidel_and_jacobi_both_converge_to_the_coupled_solution(oscillator_fmu):
    # monolithic reference: x_a'' = -x_a - 0.1 x_a' - 6 x_a; x_b'' = -x_b - 0.1 x_b' - 3 x_a
    def rhs(t, s):
        xa, va, xb, vb = s
        return [va, -xa - 0.1 * va - 6.0 * xa, vb, -xb - 0.1 * vb - 3.0 * xa]

    errors = {}
    for ordering in ("gauss-seidel", "jacobi"):
        for step in (0.02, 0.005):
            t, xb, xa = _three_party(oscillator_fmu, ordering, step)
            reference = solve_ivp(rhs, (0, 2), [1.0, 0.0, 1.0, 0.0], t_eval=t, rtol=1e-11, atol=1e-12)
            errors[ordering, step] = max(np.max(np.abs(xb - reference.y[2])), np.max(np.abs(xa - reference.y[0])))
    for ordering in ("gauss-seidel", "jacobi"):
        # zero-order hold of the exchanged force: first-order convergence, so 4x smaller steps give ~4x smaller errors
        assert errors[ordering, 0.005] < errors[ordering, 0.02] / 3.0
        assert errors[ordering, 0.005] < 0.05
    gs = _three_party(oscillator_fmu, "gauss-seidel", 0.02)[1]
    jacobi = _three_party(oscillator_fmu, "jacobi", 0.02)[1]
    assert np.max(np.abs(gs - jacobi)) > 1e-4  # the orderings really differ


def test_algebraic_loop_is_reported_with_its_signals(oscillator_fmu):
    with FMUComponent(oscillator_fmu, "a") as a, FMUComponent(oscillator_fmu, "b") as b:
        with pytest.raises(
            ModelStructureError, match=r"algebraic loop between participants: (a|b)\.force_out -> (a|b)\.force_out"
        ):
            CoSimulation([a, b], [("a.force_out", "b.force"), ("b.force_out", "a.force")])


def test_structure_errors_are_listed_together(oscillator):
    with pytest.raises(ModelStructureError) as info:
        CoSimulation(
            [oscillator, Spring("spring")],
            [("osc.positon", "spring.position"), ("spring.force", "osc.forc")],
            inputs=["spring.position"],
        )
    message = str(info.value)
    assert "unknown output 'positon' of participant 'osc'. Did you mean 'position'?" in message
    assert "unknown input 'forc' of participant 'osc'. Did you mean 'force'?" in message


def test_discarded_step_is_retried_in_halves_with_rollback(oscillator):
    # max_step = 0.05 s: the FMU discards 0.1 s steps; rollback retries each as two 0.05 s halves
    with pytest.raises(FMUError, match=r"participant discarded the step at t = 0 s(?s:.*)rollback=True"):
        oscillator.simulate(1.0, 0.1, parameters={"max_step": 0.05})
    simulation = CoSimulation([oscillator], rollback=True)
    rolled = simulation.simulate(1.0, 0.1, parameters={"osc.max_step": 0.05})
    assert rolled.attrs["rollbacks"] == 10
    direct = oscillator.simulate(1.0, 0.05)
    assert_allclose(rolled["osc.position"].values, direct["position"].values[::2], rtol=0, atol=1e-15)


def test_rollback_needs_state_support(stateless_fmu):
    with FMUComponent(stateless_fmu, "plain") as fmu:
        with pytest.raises(ConfigError, match=r"'plain' cannot get and set its FMU state, which rollback needs"):
            CoSimulation([fmu], rollback=True).simulate(1.0, 0.1)


def test_save_and_restore_the_whole_cosimulation(oscillator_fmu):
    with FMUComponent(oscillator_fmu, "osc", interface="ME") as fmu:
        simulation = CoSimulation([fmu, Lag("lag")], [("osc.position", "lag.u")])
        simulation.initialize(0.0, 2.0)
        for _ in range(5):
            simulation.step(0.1)
        saved = simulation.get_state()
        for _ in range(5):
            simulation.step(0.1)
        first = simulation.output("lag.y")
        simulation.set_state(saved)
        assert simulation.time == pytest.approx(0.5)
        for _ in range(5):
            simulation.step(0.1)
        assert simulation.output("lag.y") == first
        saved.free()


def test_nonfinite_outputs_raise_or_are_flagged(oscillator_fmu):
    with FMUComponent(oscillator_fmu, "osc") as fmu:
        simulation = CoSimulation([fmu, Lag("lag", nan_after=0.35)], [("osc.position", "lag.u")])
        with pytest.raises(FMUError, match=r"outputs \['lag.y'\] are not finite at t = 0.4 s"):
            simulation.simulate(1.0, 0.1)
        flagged = CoSimulation([fmu, Lag("lag", nan_after=0.35)], [("osc.position", "lag.u")], on_nonfinite="flag").simulate(
            1.0, 0.1
        )
        assert flagged.attrs["nonfinite_outputs"] == "lag.y"
        assert flagged.attrs["nonfinite_time"] == pytest.approx(0.4)


def test_native_only_block_uses_the_compiled_integrator():
    simulation = CoSimulation([Lag("lag")], inputs={"target": "lag.u"})
    result = simulation.simulate(1.0, 0.1, inputs={"target": 2.0})
    # y' = (2 - y) / 0.5, y(0) = 0: y = 2 (1 - exp(-2 t)); RK4 at 1 ms
    assert_allclose(result["lag.y"].values, 2.0 * (1.0 - np.exp(-2.0 * result.time.values)), atol=1e-10)
    assert result["target"].attrs["kind"] == "input"


def test_settings_are_checked_together():
    with pytest.raises(ParameterError) as info:
        CoSimulation([Lag("lag")], ordering="random", integrator="Euler", max_step=-1.0, on_nonfinite="ignore")
    message = str(info.value)
    for fragment in ("`ordering` must be", "`integrator` must be", "`max_step` must be > 0", "`on_nonfinite` must be"):
        assert fragment in message
