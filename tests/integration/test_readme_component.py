"""The README's own-component example runs and gives its printed values (closed forms of the thermal lag)."""

from __future__ import annotations

import contextlib
import io
import math
import re
from pathlib import Path

README = Path(__file__).resolve().parents[2] / "README.md"


def test_readme_component_example_runs_and_prints_the_closed_form_values():
    blocks = re.findall(r"```python\n(.*?)```", README.read_text(encoding="utf-8"), re.S)
    code = next(block for block in blocks if "class ThermalLag" in block)
    printed = io.StringIO()
    with contextlib.redirect_stdout(printed):
        exec(compile(code, "<README.md>", "exec"), {"__name__": "readme_example"})
    derivative, final = printed.getvalue().splitlines()
    # C dT/dt = P - (T - T_a)/R: (100 - 6.85/0.5)/500
    assert derivative == f"[{(100.0 - (300.0 - 293.15) / 0.5) / 500.0:.4f}]"
    # T(t) = T_a + P R (1 - exp(-t / (R C))) from T_a, t = 3000 s, R C = 250 s
    assert float(final) == round(293.15 + 50.0 * (1.0 - math.exp(-3000.0 / 250.0)), 2)
