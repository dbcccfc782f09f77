"""``physics-twin fmu info|validate|simulate``: look into, check and run FMUs and SSP systems from the shell.

:func:`add_fmu_commands` adds the ``fmu`` command with its three sub-commands to an argparse
sub-parser collection; the project's CLI (``physics_twin/cli.py``) wires it in. Each sub-command
sets ``func`` (and ``handler``, the name physics_twin/cli.py dispatches on) to a function ``(args) -> int`` returning
the exit status.
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path
from typing import Any

__all__ = ["add_fmu_commands"]


def add_fmu_commands(subparsers: Any) -> argparse.ArgumentParser:
    """Add ``fmu`` with the sub-commands ``info``, ``validate`` and ``simulate`` to ``subparsers``.

    Parameters
    ----------
    subparsers : argparse._SubParsersAction
        What ``ArgumentParser.add_subparsers()`` returned.

    Returns
    -------
    argparse.ArgumentParser
        The ``fmu`` parser.
    """
    fmu = subparsers.add_parser("fmu", help="inspect, validate and simulate FMUs (FMI 1.0 CS, 2.0, 3.0) and SSP systems")
    commands = fmu.add_subparsers(dest="fmu_command", metavar="{info,validate,simulate}")
    commands.required = True

    info = commands.add_parser("info", help="show an FMU's interfaces, capabilities, variables and default experiment")
    info.add_argument("path", type=Path, help="the .fmu file")
    info.add_argument("--all", action="store_true", help="list every variable, not only inputs, outputs and parameters")
    info.add_argument("--json", action="store_true", help="print JSON instead of text")
    info.set_defaults(func=_info, handler=_info)

    validate = commands.add_parser("validate", help="check FMUs (model description, start values, platform binary)")
    validate.add_argument("paths", type=Path, nargs="+", help=".fmu files")
    validate.add_argument("--strict", action="store_true", help="fail on fmpy's warnings too")
    validate.set_defaults(func=_validate, handler=_validate)

    simulate = commands.add_parser("simulate", help="simulate an FMU or an SSP system on a fixed communication grid")
    simulate.add_argument("path", type=Path, help="an .fmu file, or an SSP directory / SystemStructure.ssd")
    simulate.add_argument("--stop-time", type=float, help="stop time [s] (default: the FMU's DefaultExperiment, else start + 1)")
    simulate.add_argument("--start-time", type=float, help="start time [s]")
    simulate.add_argument(
        "--step", type=float, help="communication step [s] (default: DefaultExperiment stepSize, else 1/500 of the run)"
    )
    simulate.add_argument("--interface", choices=["auto", "CS", "ME"], default="auto", help="FMI interface to use")
    simulate.add_argument("--set", action="append", default=[], metavar="NAME=VALUE", help="start value (repeatable)")
    simulate.add_argument("--input", action="append", default=[], metavar="NAME=VALUE", help="constant input (repeatable)")
    simulate.add_argument("--isolate", action="store_true", help="run the FMU in a child process (crash and hang safe)")
    simulate.add_argument("--timeout", type=float, default=60.0, help="with --isolate: longest wait for one call [s]")
    simulate.add_argument("--nonfinite", choices=["raise", "flag"], default="raise", help="NaN outputs: fail (default) or flag")
    simulate.add_argument("--output", "-o", type=Path, help="write the result (.nc NetCDF or .csv); default: CSV to stdout")
    simulate.set_defaults(func=_simulate, handler=_simulate)
    return fmu


def _literal(text: str) -> Any:
    for convert in (int, float):
        try:
            return convert(text)
        except ValueError:
            pass
    lowered = text.strip().lower()
    if lowered in ("true", "false"):
        return lowered == "true"
    try:
        return json.loads(text)
    except ValueError:
        return text


def _pairs(items: list[str], option: str) -> dict[str, Any]:
    from physics_twin.errors import ParameterError

    result = {}
    for item in items:
        name, sep, value = item.partition("=")
        if not sep or not name:
            raise ParameterError(f"`{option}` takes NAME=VALUE; got {item!r}.")
        result[name.strip()] = _literal(value.strip())
    return result


def _info(args: argparse.Namespace) -> int:
    from physics_twin.fmu.description import read_description

    description = read_description(args.path)
    wanted = None if args.all else ("input", "output", "parameter", "structuralParameter")
    variables = [v for v in description.variables if wanted is None or v.causality in wanted]
    if args.json:
        payload = {
            "path": str(description.path),
            "fmi_version": description.fmi_version,
            "model_name": description.model_name,
            "guid": description.guid,
            "generation_tool": description.generation_tool,
            "interfaces": {k: vars(c) for k, c in description.capabilities.items()},
            "default_experiment": description.default_experiment,
            "continuous_states": description.number_of_continuous_states,
            "event_indicators": description.number_of_event_indicators,
            "platforms": list(description.platforms),
            "variables": [
                {
                    "name": v.name,
                    "causality": v.causality,
                    "variability": v.variability,
                    "type": v.type,
                    "unit": v.declared_unit,
                    "start": v.start.tolist() if hasattr(v.start, "tolist") else v.start,
                    "shape": list(v.shape),
                    "description": v.description,
                }
                for v in variables
            ],
        }
        print(json.dumps(payload, indent=2))
        return 0
    print(f"{description.path.name}: FMI {description.fmi_version}, model {description.model_name!r}")
    print(f"  generated by  {description.generation_tool or '-'}")
    print(f"  platforms     {', '.join(description.platforms) or '-'}")
    for kind, capability in description.capabilities.items():
        flags = [
            "get/set state" if capability.can_get_and_set_state else None,
            "serialize state" if capability.can_serialize_state else None,
            "variable step" if kind == "CS" and capability.can_handle_variable_step else None,
            "directional derivatives" if capability.provides_directional_derivative else None,
        ]
        print(f"  {kind:<13} {capability.model_identifier}: {', '.join(f for f in flags if f) or '-'}")
    experiment = ", ".join(f"{k}={v:g}" for k, v in description.default_experiment.items() if v is not None)
    print(f"  experiment    {experiment or '-'}")
    print(
        f"  states        {description.number_of_continuous_states} continuous, "
        f"{description.number_of_event_indicators} event indicators"
    )
    print(f"  variables     {len(description.variables)} ({len(variables)} shown)")
    width = max([len(v.name) for v in variables] + [4])
    for v in variables:
        start = "" if v.start is None else (v.start.tolist() if hasattr(v.start, "tolist") else v.start)
        shape = f"{list(v.shape)}" if v.shape else ""
        print(
            f"    {v.causality:<11} {v.name:<{width}} {v.type}{shape} [{v.declared_unit or '-'}] start={start}  {v.description}"
        )
    return 0


def _validate(args: argparse.Namespace) -> int:
    from physics_twin.fmu.description import validate

    status = 0
    for path in args.paths:
        report = validate(path)
        print(report)
        if not report.ok or (args.strict and report.warnings):
            status = 1
    return status


def _simulate(args: argparse.Namespace) -> int:
    from physics_twin.errors import OutputError
    from physics_twin.fmu.adapter import FMUComponent
    from physics_twin.fmu.isolation import IsolatedFMU
    from physics_twin.fmu.master import CoSimulation
    from physics_twin.io.outputs import check_output_paths, write_atomically

    start_values = _pairs(args.set, "--set")
    inputs = _pairs(args.input, "--input")
    path = args.path
    if args.output is not None:
        if args.output.suffix.lower() not in (".nc", ".csv") or str(args.output).strip() == "":
            raise OutputError(f"`--output` must end in .nc (NetCDF) or .csv; got {str(args.output)!r}.")
        check_output_paths({"--output": args.output}, inputs={"PATH": path})
    if path.is_dir() or path.suffix == ".ssd":
        from physics_twin.fmu.ssp import load_ssp

        simulation = load_ssp(
            path,
            interface=None if args.interface == "auto" else args.interface,
            isolate=args.isolate,
            on_nonfinite=args.nonfinite,
        )
        try:
            start = args.start_time if args.start_time is not None else 0.0
            stop = args.stop_time if args.stop_time is not None else start + 1.0
            step = args.step if args.step is not None else (stop - start) / 500.0
            result = simulation.simulate(stop, step, start_time=start, parameters=start_values, inputs=inputs)
        finally:
            simulation.close()
    else:
        if args.isolate:
            fmu: Any = IsolatedFMU(path, interface=args.interface, timeout=args.timeout)
        else:
            fmu = FMUComponent(path, interface=args.interface)
        try:
            experiment = fmu.description.default_experiment
            start = args.start_time if args.start_time is not None else (experiment["start_time"] or 0.0)
            stop = args.stop_time if args.stop_time is not None else (experiment["stop_time"] or start + 1.0)
            step = args.step if args.step is not None else (experiment["step_size"] or (stop - start) / 500.0)
            simulation = CoSimulation(
                [fmu],
                name=fmu.name,
                inputs=[f"{fmu.name}.{v.name}" for v in fmu.INPUTS if v.kind != "string"],
                on_nonfinite=args.nonfinite,
            )
            result = simulation.simulate(
                stop,
                step,
                start_time=start,
                parameters={f"{fmu.name}.{k}": v for k, v in start_values.items()},
                inputs={f"{fmu.name}.{k}": v for k, v in inputs.items()},
            )
        finally:
            fmu.close()
    if "nonfinite_outputs" in result.attrs:
        print(
            f"warning: non-finite outputs {result.attrs['nonfinite_outputs']} from t = {result.attrs['nonfinite_time']:g} s",
            file=sys.stderr,
        )
    if args.output is not None and args.output.suffix.lower() == ".nc":
        write_atomically(args.output, lambda name: result.to_netcdf(name, engine="netcdf4"))
    else:
        frame = _table(result)
        if args.output is not None:
            write_atomically(args.output, frame.to_csv)
        else:
            frame.to_csv(sys.stdout)
    if args.output is not None:
        print(f"wrote {args.output} ({result.sizes['time']} points, {len(result.data_vars)} variables)", file=sys.stderr)
    return 0


def _table(result: Any) -> Any:
    """A time-indexed table of the result; array variables become one column per element (``name[i]``) at this edge only."""
    import numpy as np
    import pandas as pd

    columns: dict[str, Any] = {}
    for name, variable in result.data_vars.items():
        if "time" not in variable.dims:
            continue
        values = np.asarray(variable.transpose("time", ...).values)
        if values.ndim == 1:
            columns[str(name)] = values
        else:
            flat = values.reshape(values.shape[0], -1)
            for index in range(flat.shape[1]):
                columns[f"{name}[{index}]"] = flat[:, index]
    return pd.DataFrame(columns, index=pd.Index(result["time"].values, name="time"))
