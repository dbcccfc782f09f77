"""Run the component validation cases and write one markdown report with their plots.

Every module in this folder that defines ``run(output_dir) -> dict`` is a case (see ``_common.py`` for the
record it returns); modules starting with ``_`` and this runner are not. Each case compares a component
with an independent reference (closed form, standard, published data) and stays small (seconds).

Run: ``python validation/components/run.py [--out validation/results/components] [case ...]``.
From Python (the main validation report): ``run_cases(output_dir) -> (markdown, results)``.
"""

from __future__ import annotations

import argparse
import importlib.util
import json
import sys
import time
from pathlib import Path
from typing import Any

HERE = Path(__file__).resolve().parent
DEFAULT_OUT = HERE.parent / "results" / "components"


def case_names() -> list[str]:
    """Names of the case modules in this folder."""
    return sorted(p.stem for p in HERE.glob("*.py") if not p.stem.startswith("_") and p.stem != "run")


def _load(name: str):
    if str(HERE) not in sys.path:
        sys.path.insert(0, str(HERE))  # the cases import _common
    spec = importlib.util.spec_from_file_location(f"validation_components_{name}", HERE / f"{name}.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def run_cases(output_dir: Path = DEFAULT_OUT, names: list[str] | None = None) -> tuple[str, list[dict[str, Any]]]:
    """Run the cases (all by default), write ``components.md`` and ``components.json`` into ``output_dir``.

    Returns
    -------
    markdown : str
        The report: a summary table, then one section per case.
    results : list of dict
        The case records.
    """
    output_dir = Path(output_dir)
    output_dir.mkdir(parents=True, exist_ok=True)
    results = []
    for name in names or case_names():
        module = _load(name)
        if not callable(getattr(module, "run", None)):
            continue
        started = time.perf_counter()
        record = module.run(output_dir)
        record.setdefault("runtime", time.perf_counter() - started)
        results.append(record)
    # run times go to stdout only: the committed report changes when a result changes, not with the machine's load
    summary = ["| case | verdict |", "|---|---|"]
    summary += [f"| {r['title']} | {'pass' if r['passed'] else 'FAIL'} |" for r in results]
    markdown = "# Component validation\n\n" + "\n".join(summary) + "\n\n" + "\n".join(r["markdown"] for r in results)
    (output_dir / "components.md").write_text(markdown, encoding="utf-8")
    serializable = [{k: v for k, v in r.items() if k not in ("markdown", "runtime")} for r in results]
    (output_dir / "components.json").write_text(json.dumps(serializable, indent=2), encoding="utf-8")
    return markdown, results


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("cases", nargs="*", help=f"cases to run (default: all of {', '.join(case_names())})")
    parser.add_argument("--out", type=Path, default=DEFAULT_OUT, help="output folder for the report and plots")
    arguments = parser.parse_args(argv)
    _, results = run_cases(arguments.out, arguments.cases or None)
    for record in results:
        errors = ", ".join(f"{k} = {v:.3g}" for k, v in record["errors"].items())
        print(f"{'pass' if record['passed'] else 'FAIL'}  {record['name']}: {errors}  ({record['runtime']:.1f} s)")
    return 0 if all(r["passed"] for r in results) else 1


if __name__ == "__main__":
    raise SystemExit(main())
