"""Compiled kernels give the same results as the same kernels run as plain Python.

Agreement is to a few units in the last place, not bit for bit: LLVM's ``pow``/``exp`` may round the last bit
differently from CPython's libm (a Spindle bearing term with a fractional exponent showed a 2.6e-16 relative
difference), and a wrong translation shows as an error many orders of magnitude larger.

Component kernels are compared in-process against ``python_function(kernel)`` (the source function numba wraps)
over Hypothesis-generated states, inputs and parameters. The generated System kernels and the compiled integrators
call other compiled functions, so they are compared against a subprocess with ``PHYSICS_TWIN_DISABLE_JIT=1``, where
every function in the chain is plain Python.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import textwrap

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st
from numpy.testing import assert_allclose

from physics_twin.components.registry import COMPONENTS
from physics_twin.core._jit import JIT_ENABLED, python_function
from physics_twin.core.model import evaluate_kernel

pytestmark = pytest.mark.skipif(not JIT_ENABLED, reason="JIT disabled: compiled and Python kernels are the same function")

# magnitudes spanning the physical ranges of all components (flows ~1e-3, speeds ~1e2, loads ~1e4, pressures ~1e5)
# relative tolerance: a few ulp of float64, far below any translation error
ULP_TOLERANCE = 8 * np.finfo(float).eps
# over tens of integration steps last-bit differences may accumulate; still far below any translation error
STEPPED_TOLERANCE = 1e-12
SCALES = st.sampled_from([1e-4, 1e-2, 1.0, 1e2, 1e4, 1e6])


def vector(n: int) -> st.SearchStrategy[np.ndarray]:
    entry = st.tuples(st.floats(-1.0, 1.0), SCALES).map(lambda pair: pair[0] * pair[1])
    return st.lists(entry, min_size=n, max_size=n).map(lambda values: np.array(values, dtype=float))


@pytest.mark.parametrize("name", sorted(COMPONENTS))
@pytest.mark.parametrize("kernel", ["rhs", "output"])
def test_component_kernels_compiled_equal_python(name, kernel):
    cls = COMPONENTS[name]
    defaults = cls(name.lower()).parameter_values
    compiled = getattr(cls, kernel)
    plain = python_function(compiled)
    assert plain is not compiled

    @given(
        st.floats(0.0, 1e6),
        vector(len(cls.STATES)),
        vector(len(cls.INPUTS)),
        st.lists(st.floats(0.5, 2.0), min_size=len(defaults), max_size=len(defaults)),
    )
    def check(t, x, u, factors):
        p = defaults * np.array(factors)
        size = len(cls.STATES) if kernel == "rhs" else len(cls.OUTPUTS)
        with np.errstate(all="ignore"):  # numpy warns where the compiled kernel silently gives inf/nan (e.g. (-1)**0.5)
            expected = evaluate_kernel(plain, size, t, x, u, p)
        assert_allclose(evaluate_kernel(compiled, size, t, x, u, p), expected, rtol=ULP_TOLERANCE, atol=0.0, equal_nan=True)

    check()


DRIVE = textwrap.dedent(
    """
    from physics_twin.components import CentrifugalPump, DCMotor, PipeLoop
    from physics_twin.core import connect


    def build():
        return connect(
            "drive",
            [PipeLoop("pipe"), CentrifugalPump("pump"), DCMotor("motor")],
            [
                ("motor.shaft_speed", "pump.shaft_speed"),
                ("pump.shaft_torque", "motor.load_torque"),
                ("pipe.flow_rate", "pump.flow_rate"),
                ("pump.pressure_rise", "pipe.pressure_rise"),
            ],
            inputs=["motor.voltage", "motor.ambient_temperature", "pipe.valve_opening"],
        )
    """
)

CHILD = DRIVE + textwrap.dedent(
    """
    import json, sys
    import numpy as np
    from physics_twin.core import _jit
    from physics_twin.core.integrators import integrate
    assert not _jit.JIT_ENABLED
    model = build()
    p = model.parameter_values
    data = np.load(sys.argv[1])
    rows = list(zip(data["t"], data["x"], data["u"]))
    result = {
        "rhs": [model.derivative(t, x, u, p).tolist() for t, x, u in rows],
        "output": [model.output_values(t, x, u, p).tolist() for t, x, u in rows],
        "rk4": integrate(model.rhs, 0.0, data["x"][0], data["u"][0], p, 0.5, 0.01, 0).tolist(),
        "ros2": integrate(model.rhs, 0.0, data["x"][0], data["u"][0], p, 0.5, 0.05, 1).tolist(),
    }
    print(json.dumps(result))
    """
)


def test_system_kernels_and_integrators_compiled_equal_python(tmp_path, rng):
    from physics_twin.core.integrators import integrate

    namespace: dict[str, object] = {}
    exec(DRIVE, namespace)  # the same source builds the model here and in the child
    model = namespace["build"]()
    n = 50
    # states: current, speed, winding temperature, flow; inputs: voltage, ambient temperature, valve opening
    x = np.column_stack([rng.uniform(-10, 10, n), rng.uniform(0, 400, n), rng.uniform(280, 400, n), rng.uniform(-2e-3, 4e-3, n)])
    u = np.column_stack([rng.uniform(0, 48, n), rng.uniform(270, 320, n), rng.uniform(0.05, 1.0, n)])
    t = rng.uniform(0, 100, n)
    np.savez(tmp_path / "points.npz", t=t, x=x, u=u)
    environment = {**os.environ, "PHYSICS_TWIN_DISABLE_JIT": "1"}
    completed = subprocess.run(
        [sys.executable, "-c", CHILD, str(tmp_path / "points.npz")],
        capture_output=True,
        text=True,
        env=environment,
        timeout=600,
        check=False,
    )
    assert completed.returncode == 0, completed.stderr
    python = json.loads(completed.stdout)
    p = model.parameter_values
    assert_allclose(
        np.array([model.derivative(*row, p) for row in zip(t, x, u, strict=True)]), python["rhs"], rtol=ULP_TOLERANCE, atol=0.0
    )
    assert_allclose(
        np.array([model.output_values(*row, p) for row in zip(t, x, u, strict=True)]),
        python["output"],
        rtol=ULP_TOLERANCE,
        atol=0.0,
    )
    x0, u0 = np.ascontiguousarray(x[0]), np.ascontiguousarray(u[0])
    assert_allclose(integrate(model.rhs, 0.0, x0, u0, p, 0.5, 0.01, 0), python["rk4"], rtol=STEPPED_TOLERANCE, atol=0.0)
    # ROS2 solves linear systems: numba calls the same LAPACK gesv as numpy
    assert_allclose(integrate(model.rhs, 0.0, x0, u0, p, 0.5, 0.05, 1), python["ros2"], rtol=STEPPED_TOLERANCE, atol=0.0)
