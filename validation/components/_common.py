"""Helpers shared by the component validation cases (plots, the result record, markdown tables).

A case is a module in this folder with a function ``run(output_dir: Path) -> dict`` returning
:func:`case_result`'s dictionary: ``name``, ``title``, ``markdown`` (a section with its plot linked by
file name), ``errors`` (metric -> measured value), ``tolerances`` (metric -> bound) and ``passed``.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

import numpy as np


def pyplot():
    """matplotlib.pyplot with the non-interactive Agg backend."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    return plt


def save(figure: Any, output_dir: Path, name: str) -> str:
    """Save ``figure`` as ``<output_dir>/<name>.png`` and return the file name for a markdown link."""
    output_dir.mkdir(parents=True, exist_ok=True)
    figure.tight_layout()
    figure.savefig(output_dir / f"{name}.png", dpi=110)
    pyplot().close(figure)
    return f"{name}.png"


def max_relative_error(got: Sequence[float], expected: Sequence[float], floor: float = 0.0) -> float:
    """max |got - expected| / max(|expected|, floor)."""
    got_array, expected_array = np.asarray(got, float), np.asarray(expected, float)
    return float(np.max(np.abs(got_array - expected_array) / np.maximum(np.abs(expected_array), floor)))


def table(header: Sequence[str], rows: Sequence[Sequence[Any]]) -> str:
    """A markdown table; floats in 6 significant digits."""

    def cell(value: Any) -> str:
        return f"{value:.6g}" if isinstance(value, float) else str(value)

    lines = ["| " + " | ".join(header) + " |", "|" + "---|" * len(header)]
    lines += ["| " + " | ".join(cell(v) for v in row) + " |" for row in rows]
    return "\n".join(lines)


def case_result(
    name: str, title: str, body: str, errors: Mapping[str, float], tolerances: Mapping[str, float], runtime: float
) -> dict[str, Any]:
    """The record every case returns; the markdown ends with the error table and the verdict (the run time [s] goes to
    the record, which the runner prints, not to the committed report)."""
    passed = all(errors[key] <= tolerances[key] for key in tolerances)
    rows = [
        (key, float(errors[key]), float(tolerances[key]), "yes" if errors[key] <= tolerances[key] else "NO") for key in tolerances
    ]
    markdown = (
        f"## {title}\n\n{body}\n\n"
        + table(["metric", "measured", "tolerance", "within"], rows)
        + f"\n\nVerdict: **{'pass' if passed else 'FAIL'}**\n"
    )
    return {
        "name": name,
        "title": title,
        "markdown": markdown,
        "errors": dict(errors),
        "tolerances": dict(tolerances),
        "passed": passed,
        "runtime": runtime,
    }
