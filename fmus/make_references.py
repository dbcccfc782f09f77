"""Regenerate the reference results of the project's FMUs from the native models.

Usage::

    python fmus/make_references.py               # every FMU
    python fmus/make_references.py dc_motor

Each FMU's scenario (``fmus/definitions.py``) is simulated with ``physics_twin.simulate`` (scipy LSODA at
rtol 1e-11, atol 1e-13) and written to ``fmus/<name>/reference/reference.csv``: time, the inputs, then the
outputs, in SI units, every value with 17 significant digits.
"""

from __future__ import annotations

import sys

from definitions import DEFINITIONS


def main(arguments: list[str]) -> int:
    unknown = [name for name in arguments if name not in DEFINITIONS]
    if unknown:
        print(f"make_references.py: unknown FMU {unknown}; known: {', '.join(DEFINITIONS)}", file=sys.stderr)
        return 2
    for name in arguments or DEFINITIONS:
        path = DEFINITIONS[name].write_reference()
        print(f"wrote {path}")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
