"""Build the project's own FMUs (FMI 2.0 and 3.0, co-simulation and model exchange in each file).

Usage::

    python fmus/build.py                         # every FMU, both FMI versions, into fmus/build/
    python fmus/build.py --output-dir DIR dc_motor --fmi-version 3.0

Needs a C compiler (``$CC``, ``cc``, ``gcc`` or ``clang``); without one it stops with a message saying how to
install one (exit status 2). Every FMU built is checked with fmpy's validation; problems make the exit status 1.
"""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

from definitions import DEFINITIONS, FMI_VERSIONS, FMUS_FOLDER

from physics_twin.errors import FMUError
from physics_twin.fmu.export import find_c_compiler


def main(arguments: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("names", nargs="*", metavar="NAME", help=f"FMUs to build: {', '.join(DEFINITIONS)} (default: all)")
    parser.add_argument("--output-dir", type=Path, default=FMUS_FOLDER / "build", help="folder for the .fmu files")
    parser.add_argument("--fmi-version", choices=FMI_VERSIONS, action="append", help="FMI version(s) (default: both)")
    options = parser.parse_args(arguments)
    unknown = [name for name in options.names if name not in DEFINITIONS]
    if unknown:
        parser.error(f"unknown FMU {unknown}; known: {', '.join(DEFINITIONS)}")
    try:
        compiler = find_c_compiler()
    except FMUError as error:
        print(f"build.py: {error}", file=sys.stderr)
        return 2

    from fmpy.validation import validate_fmu

    failed = False
    print(f"compiler: {' '.join(compiler)}; output: {options.output_dir}")
    for name in options.names or DEFINITIONS:
        for version in options.fmi_version or FMI_VERSIONS:
            start = time.perf_counter()
            path = DEFINITIONS[name].build(options.output_dir, version)
            problems = validate_fmu(str(path))
            failed |= bool(problems)
            verdict = "valid" if not problems else "INVALID:\n  " + "\n  ".join(problems)
            print(f"{path.name:28s} FMI {version}  {time.perf_counter() - start:5.2f} s  {verdict}")
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
