"""Validate the project's FMUs and measure how closely they follow the native models; prints Markdown tables.

Usage::

    python fmus/validate.py                      # builds into a temporary folder first
    python fmus/validate.py --fmu-dir fmus/build # uses FMUs built by fmus/build.py

For every FMU and FMI version: fmpy's validation of the model description, then the scenario of
``fmus/definitions.py`` run by fmpy as co-simulation (the FMU's RK4) and as model exchange (fmpy's CVode at
rtol 1e-10), compared with ``fmus/<name>/reference/reference.csv`` (the native model). The numbers in the FMUs'
README files come from this script.
"""

from __future__ import annotations

import argparse
import sys
import tempfile
from pathlib import Path

from definitions import DEFINITIONS, FMI_VERSIONS, errors


def main(arguments: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--fmu-dir", type=Path, help="folder with <name>_fmi<2|3>.fmu (default: build into a temporary folder)")
    options = parser.parse_args(arguments)
    from fmpy.validation import validate_fmu

    with tempfile.TemporaryDirectory() as temporary:
        folder = options.fmu_dir or Path(temporary)
        invalid = False
        for name, definition in DEFINITIONS.items():
            reference = definition.read_reference()
            for version in FMI_VERSIONS:
                path = folder / f"{name}_fmi{version[0]}.fmu"
                if options.fmu_dir is None:
                    definition.build(folder, version)
                problems = validate_fmu(str(path))
                invalid |= bool(problems)
                verdict = "passes fmpy's validation" if not problems else "INVALID: " + "; ".join(problems)
                print(f"\n### {name}, FMI {version}: {verdict}\n")
                print("| output | CS max abs error | CS error / max abs value | ME max abs error | ME error / max abs value |")
                print("|---|---|---|---|---|")
                tables = {}
                for kind in ("CoSimulation", "ModelExchange"):
                    result = definition.simulate_fmu(path, kind)
                    tables[kind] = errors(result, reference, definition.output_names(), definition.scenario.breakpoints())
                for output in definition.output_names():
                    cells = [f"{value:.2e}" for kind in tables for value in tables[kind][output]]
                    print(f"| {output} | {' | '.join(cells)} |")
    return 1 if invalid else 0


if __name__ == "__main__":
    sys.exit(main())
