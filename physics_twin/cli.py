"""The ``physics-twin`` command line.

Subcommands
-----------
``demo``        the two shipped twins on the shipped real data (SKAB pump, IMS bearing), with figures
``run``         a twin from a TOML config over a data file -> NetCDF + RUL JSON + summary
``calibrate``   batch calibration only: values, confidence intervals, identifiability
``components``  the registered component types with their signals and parameters

Exit status: 0 on success, 2 when the input is wrong (config, data, units: the message says what and
where), 1 on an unexpected failure.
"""

from __future__ import annotations

import argparse
import os
import sys
import time
import warnings
from collections.abc import Sequence

from physics_twin.errors import OutputError, PhysicsTwinError

__all__ = ["main"]


class _Progress:
    """tqdm bars per stage on stderr (only on a terminal unless forced)."""

    def __init__(self, enabled: bool | None) -> None:
        self.enabled = enabled
        self.bars: dict[str, object] = {}

    def __call__(self, stage: str, done: int, total: int) -> None:
        from tqdm import tqdm

        bar = self.bars.get(stage)
        if bar is None:
            bar = self.bars[stage] = tqdm(
                total=total, desc=stage, unit="step", disable=self.enabled is False or None, leave=False, file=sys.stderr
            )
        bar.n = done
        bar.refresh()
        if done >= total:
            bar.close()

    def close(self) -> None:
        for bar in self.bars.values():
            bar.close()


def _run(args: argparse.Namespace) -> int:
    from physics_twin.io.outputs import JSON_SUFFIXES, NETCDF_SUFFIXES, check_output_paths
    from physics_twin.io.readers import check_data_file
    from physics_twin.twin import Twin

    twin = Twin.from_file(args.config)
    inputs = {"CONFIG": args.config, "--data": args.data}
    suffixes = {"--out": NETCDF_SUFFIXES, "--rul-json": JSON_SUFFIXES}
    if twin.config.rul is None:
        if args.rul_json is not None:
            raise OutputError(
                f"`--rul-json` {args.rul_json!r} given, but configuration {args.config!r} has no [rul] table: "
                "there is no RUL document to write; add [rul] or leave the option out."
            )
        paths = check_output_paths({"--out": args.out}, inputs, suffixes)
    elif args.rul_json is not None:
        paths = check_output_paths({"--out": args.out, "--rul-json": args.rul_json}, inputs, suffixes)
    else:  # the default beside --out: checked after --out, so a problem of --out is not reported twice
        paths = check_output_paths({"--out": args.out}, inputs, suffixes)
        default = paths["--out"].with_suffix(".rul.json")
        paths |= check_output_paths({"--rul-json (default: --out with .rul.json)": default}, {**inputs, "--out": paths["--out"]})
        paths["--rul-json"] = default
    check_data_file(args.data, "--data")
    out, rul_json = paths["--out"], paths.get("--rul-json")
    started = time.perf_counter()
    data = twin.read(args.data)
    progress = _Progress(None if not args.quiet else False)
    try:
        result = twin.run(data, progress=progress)
    finally:
        progress.close()
    written = result.write(out, rul_json, argument_names=("--out", "--rul-json"))
    print(result.summary())
    print(f"wrote {', '.join(str(p) for p in written)} in {time.perf_counter() - started:.1f} s")
    return 0


def _calibrate(args: argparse.Namespace) -> int:
    from physics_twin.io.readers import check_data_file
    from physics_twin.twin import Twin

    twin = Twin.from_file(args.config)
    if twin.config.calibration is None:
        raise PhysicsTwinError(
            f"configuration {args.config!r} has no [calibration] table: name the parameters and the window to fit."
        )
    check_data_file(args.data, "--data")
    data = twin.read(args.data)
    fit = twin.calibrate(data)
    print(f"{'parameter':<40} {'value':>12} {'std':>11} {'95 % CI':>27}")
    for name, value, std, low, high in zip(fit.names, fit.values, fit.std, fit.lower, fit.upper, strict=True):
        print(f"{name:<40} {value:12.5g} {std:11.3g}  [{low:11.5g}, {high:11.5g}]")
    print(
        f"reduced chi-square {fit.reduced_chi_square:.3f}; residual RMS "
        + ", ".join(f"{k} {v:.3g}" for k, v in fit.residual_rms.items())
    )
    for warning in fit.identifiability_warnings():
        print(f"identifiability: {warning}")
    return 0


def _components(args: argparse.Namespace) -> int:
    from physics_twin.components.registry import component_class, list_components

    names = args.names or list_components()
    classes = [component_class(name) for name in names]  # an unknown name fails before anything is printed
    for name, cls in zip(names, classes, strict=True):
        print(f"{name}: {(cls.__doc__ or '').strip().splitlines()[0] if cls.__doc__ else ''}")
        if args.verbose or args.names:
            for label, records in (
                ("states", cls.STATES),
                ("inputs", cls.INPUTS),
                ("outputs", cls.OUTPUTS),
                ("parameters", cls.PARAMETERS),
            ):
                if records:
                    print(f"  {label}: " + ", ".join(f"{r.name} [{r.unit}]" for r in records))
    return 0


def _demo(args: argparse.Namespace) -> int:
    from physics_twin.demo import run_demo

    return run_demo(args.out, quiet=args.quiet)


def build_parser() -> argparse.ArgumentParser:
    """The argument parser (exposed for documentation and tests)."""
    parser = argparse.ArgumentParser(prog="physics-twin", description="Physics-based digital twins of rotating equipment.")
    parser.add_argument("--version", action="version", version=f"%(prog)s {_version()}")
    commands = parser.add_subparsers(dest="command", required=True)

    demo = commands.add_parser("demo", help="run the shipped twins on the shipped real data and print the figures")
    demo.add_argument("--out", default="physics-twin-demo", help="folder for the outputs (created; default ./physics-twin-demo)")
    demo.add_argument("--quiet", action="store_true", help="no progress bars")
    demo.set_defaults(handler=_demo)

    run = commands.add_parser("run", help="run a twin over a data file")
    run.add_argument("config", help="twin configuration (TOML)")
    run.add_argument("--data", required=True, help="sensor data file (CSV)")
    run.add_argument("--out", required=True, help="result file (NetCDF)")
    run.add_argument("--rul-json", help="RUL contract document (default: OUT with .rul.json)")
    run.add_argument("--quiet", action="store_true", help="no progress bars")
    run.set_defaults(handler=_run)

    calibrate = commands.add_parser("calibrate", help="batch calibration on the configured window")
    calibrate.add_argument("config", help="twin configuration (TOML)")
    calibrate.add_argument("--data", required=True, help="sensor data file (CSV)")
    calibrate.set_defaults(handler=_calibrate)

    components = commands.add_parser("components", help="list the registered component types")
    components.add_argument("names", nargs="*", metavar="NAME", help="show only these types, with their signals and parameters")
    components.add_argument("-v", "--verbose", action="store_true", help="show signals and parameters")
    components.set_defaults(handler=_components)

    try:
        from physics_twin.fmu.cli import add_fmu_commands
    except ImportError:  # the FMU commands are optional until that module exists
        pass
    else:
        add_fmu_commands(commands)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    """Entry point of the ``physics-twin`` console script; returns the exit status."""
    parser = build_parser()
    args = parser.parse_args(argv)
    warnings.formatwarning = _format_warning
    try:
        return int(args.handler(args) or 0)
    except PhysicsTwinError as exc:
        print(f"physics-twin {args.command}: error: {exc}", file=sys.stderr)
        return 2
    except BrokenPipeError:  # `physics-twin components | head`: the reader left; stop quietly
        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
        return 0
    except OSError as exc:  # the operating system refused a file operation the checks could not foresee
        print(f"physics-twin {args.command}: error: {exc}", file=sys.stderr)
        return 1
    except KeyboardInterrupt:
        print("interrupted", file=sys.stderr)
        return 130
    except SystemError as exc:  # Ctrl-C inside compiled code reaches Python as SystemError caused by the interrupt
        if isinstance(exc.__cause__ or exc.__context__, KeyboardInterrupt):
            print("interrupted", file=sys.stderr)
            return 130
        raise


def _format_warning(message, category, filename, lineno, line=None) -> str:
    """Warnings on the command line: one line for people, no source excerpt."""
    return f"warning: {message}\n"


def _version() -> str:
    from physics_twin import __version__

    return __version__


if __name__ == "__main__":
    sys.exit(main())
