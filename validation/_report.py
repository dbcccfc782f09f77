"""Writing the committed validation results."""

from __future__ import annotations

import json

SIGNIFICANT_DIGITS = 6


def results_json(results: object) -> str:
    """``results`` as indented JSON with every float rounded to six significant digits.

    Full ``repr`` precision would carry the last bits of the floating-point arithmetic, which differ between CPUs
    (numba compiles for the host); six digits are more than any of the validation figures supports, and they make a
    re-run on another machine reproduce the committed files.
    """
    text = json.dumps(results, default=float)
    rounded = json.loads(text, parse_float=lambda s: float(f"{float(s):.{SIGNIFICANT_DIGITS}g}"))
    return json.dumps(rounded, indent=2) + "\n"
