"""docs/nomenclature.md lists every declared name once, with one unit."""

from __future__ import annotations

import importlib.util
from collections import defaultdict
from pathlib import Path

import pytest

from physics_twin.components.registry import COMPONENTS

DOCS = Path(__file__).resolve().parents[2] / "docs"


def test_one_name_one_unit():
    units = defaultdict(set)
    for name, cls in COMPONENTS.items():
        for records in (cls.STATES, cls.INPUTS, cls.OUTPUTS, cls.PARAMETERS):
            for record in records:
                units[record.name].add((record.unit, name))
    clashes = {n: sorted(u) for n, u in units.items() if len({unit for unit, _ in u}) > 1}
    assert clashes == {}, f"names declared with different units: {clashes}"


def test_nomenclature_is_current():
    script = DOCS / "make_nomenclature.py"
    if not script.exists():
        pytest.skip("docs/ is not beside the tests (installed tests without the repository)")
    spec = importlib.util.spec_from_file_location("make_nomenclature", script)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    assert (DOCS / "nomenclature.md").read_text(encoding="utf-8") == module.table(), "run python docs/make_nomenclature.py"
