"""The twin configuration file (TOML): what the model is, how data map onto it, what to estimate.

A configuration is read once, checked completely (every problem is reported in one
:class:`~physics_twin.errors.ConfigError`), and turned into plain frozen records that
:mod:`physics_twin.twin` assembles. The format is documented with a full example in
``docs/config.md``; the shipped examples are in ``examples/``.

Units: a bare number is in the declared SI unit of the thing it sets. A table
``{ value = 2.0, unit = "ohm" }`` states the unit explicitly; it must equal the declared unit exactly
(parameters are never converted silently). Data columns are the exception: they carry their own
unit (``unit = "L/min"``), converted once when the data are read. Durations may be written as
numbers of seconds or as ``{ value = 24, unit = "h" }``.
"""

from __future__ import annotations

import math
import tomllib
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from physics_twin.core.units import converter, same_unit
from physics_twin.errors import ConfigError, UnitError, join_problems, unknown_name_message

__all__ = [
    "CalibrationConfig",
    "ComponentConfig",
    "DataConfig",
    "DeviationConfig",
    "FilterConfig",
    "InputChannel",
    "MeasurementChannel",
    "OnsetRule",
    "RulConfig",
    "TwinConfig",
    "load_config",
    "parse_config",
]

SCHEMA = "physics_twin.config/1"


@dataclass(frozen=True)
class ComponentConfig:
    """One component: registry type, instance name, parameter values and initial states (SI)."""

    name: str
    type: str
    parameters: dict[str, float]
    initial: dict[str, float]


@dataclass(frozen=True)
class InputChannel:
    """A model input fed from a data column (converted from ``unit``) or held at ``value`` (SI)."""

    name: str
    column: str | None
    unit: str | None
    value: float | None
    smoothing: float = 0.0


@dataclass(frozen=True)
class MeasurementChannel:
    """A measured model output: data column, its unit, the noise standard deviation (column unit), an
    optional noise part proportional to the reading (fraction), and the plausible range of the sensor
    (column unit; readings outside it are treated as missing and counted)."""

    name: str
    column: str
    unit: str
    noise: float
    relative_noise: float = 0.0
    valid_range: tuple[float, float] = (-math.inf, math.inf)


@dataclass(frozen=True)
class DataConfig:
    """How to read the data file."""

    separator: str = ","
    time_column: str | int = "time"
    timezone: str | None = None
    duplicates: str = "mean"


@dataclass(frozen=True)
class CalibrationConfig:
    """Batch calibration on a healthy window before online filtering."""

    parameters: tuple[str, ...]
    window: tuple[float, float]
    warmup: float = 0.0
    tune_noise: bool = False


@dataclass(frozen=True)
class EstimateConfig:
    """One parameter estimated online: relative initial uncertainty and random walk (per √s)."""

    name: str
    relative_std: float
    relative_random_walk: float
    transform: str = "auto"


@dataclass(frozen=True)
class OnsetRule:
    """When the filter (and RUL prediction) starts: a measured signal above a multiple of a parameter."""

    signal: str
    above: float
    relative_to: str
    smoothing: float


@dataclass(frozen=True)
class FilterConfig:
    """The online filter's settings (see UnscentedKalmanFilter)."""

    estimate: tuple[EstimateConfig, ...]
    initial_std: dict[str, float]
    process_noise: dict[str, float]
    integrator: str = "RK4"
    max_step: float = 0.01
    gate_probability: float | None = None
    gate_patience: int = 3
    gap_threshold: float = math.inf
    initial_from_measurement: dict[str, str] = field(default_factory=dict)
    onset: OnsetRule | None = None
    kind: str = "sr-ukf"


@dataclass(frozen=True)
class DeviationConfig:
    """Deviation flags on calibrated parameters."""

    parameters: tuple[str, ...]
    baseline: tuple[float, float]
    confidence: float = 0.999
    min_duration: float = 10.0


@dataclass(frozen=True)
class RulConfig:
    """Remaining useful life: failure condition, horizon, sampling and the future-load assumption."""

    failure_mode: str
    indicator: str
    threshold: float
    direction: str
    horizon: float
    samples: int
    seed: int
    every: float
    step: float
    future_inputs: dict[str, float]
    probability_horizons: tuple[float, ...]
    utilisation: float = 1.0


@dataclass(frozen=True)
class TwinConfig:
    """A whole twin configuration (see the module docstring)."""

    name: str
    asset_id: str
    components: tuple[ComponentConfig, ...]
    connections: tuple[tuple[str, str], ...]
    inputs: dict[str, tuple[str, ...]]
    data: DataConfig
    input_channels: tuple[InputChannel, ...]
    measurements: tuple[MeasurementChannel, ...]
    filter: FilterConfig
    calibration: CalibrationConfig | None = None
    deviation: DeviationConfig | None = None
    rul: RulConfig | None = None
    outputs: dict[str, str] = field(default_factory=dict)
    source: str = "<dict>"


class _Reader:
    """Walks the raw TOML tables, converting values and collecting problems instead of raising."""

    def __init__(self) -> None:
        self.problems: list[str] = []

    def table(self, raw: Any, where: str) -> dict[str, Any]:
        if raw is None:
            return {}
        if not isinstance(raw, Mapping):
            self.problems.append(f"`{where}` must be a table; got {type(raw).__name__}.")
            return {}
        return dict(raw)

    def unknown_keys(self, raw: Mapping[str, Any], allowed: set[str], where: str) -> None:
        for key in raw:
            if key not in allowed:
                self.problems.append(unknown_name_message("key", key, sorted(allowed), f"`{where}`"))

    def text(
        self, raw: Mapping[str, Any], key: str, where: str, default: Any = ..., choices: tuple[str, ...] | None = None
    ) -> Any:
        if key not in raw:
            if default is ...:
                self.problems.append(f"`{where}.{key}` is required.")
                return ""
            return default
        value = raw[key]
        if not isinstance(value, str) or not value:
            self.problems.append(f"`{where}.{key}` must be a non-empty string; got {value!r}.")
            return "" if default is ... else default
        if choices and value not in choices:
            self.problems.append(f"`{where}.{key}` must be one of {list(choices)}; got {value!r}.")
        return value

    def number(self, raw: Any, where: str, unit: str | None = None, positive: bool = False, default: Any = ...) -> float:
        """A number, optionally ``{value, unit}`` whose unit must equal ``unit`` exactly."""
        if raw is None:
            if default is ...:
                self.problems.append(f"`{where}` is required.")
                return math.nan
            return default
        if isinstance(raw, Mapping):
            self.unknown_keys(raw, {"value", "unit", "source"}, where)
            given_unit = raw.get("unit")
            value = self.number(raw.get("value"), f"{where}.value", None, positive)
            if unit is not None and given_unit is not None and not same_unit(str(given_unit), unit):
                self.problems.append(
                    f"`{where}` is given in {given_unit!r} but is declared in {unit!r}; parameters are not converted: "
                    f"give it in {unit!r}."
                )
            return value
        if isinstance(raw, bool) or not isinstance(raw, (int, float)):
            self.problems.append(f"`{where}` must be a number{f' [{unit}]' if unit else ''}; got {raw!r}.")
            return math.nan
        value = float(raw)
        if not math.isfinite(value):
            self.problems.append(f"`{where}` must be finite; got {raw!r}.")
        elif positive and value <= 0:
            self.problems.append(f"`{where}` must be > 0; got {raw!r}.")
        return value

    def duration(self, raw: Any, where: str, default: Any = ..., positive: bool = False) -> float:
        """Seconds, from a number of seconds or ``{ value, unit }`` with any time unit (``positive``: > 0)."""
        if raw is None and default is not ...:
            return default
        seconds = self._seconds(raw, where, default)
        if positive and seconds <= 0.0:  # NaN (already reported) compares False
            self.problems.append(f"`{where}` must be a duration > 0; got {_duration_text(raw)}.")
        return seconds

    def _seconds(self, raw: Any, where: str, default: Any) -> float:
        if isinstance(raw, Mapping):
            self.unknown_keys(raw, {"value", "unit"}, where)
            value = self.number(raw.get("value"), f"{where}.value")
            try:
                scale, _ = converter(str(raw.get("unit", "s")), "s")
            except UnitError as exc:
                self.problems.append(f"`{where}.unit`: {exc}")
                return math.nan
            return value * scale
        return self.number(raw, where, default=default)

    def window(self, raw: Any, where: str) -> tuple[float, float]:
        if not (isinstance(raw, (list, tuple)) and len(raw) == 2):
            self.problems.append(f"`{where}` must be [start, stop] in seconds from the first sample; got {raw!r}.")
            return (math.nan, math.nan)
        start, stop = self.duration(raw[0], f"{where}[0]"), self.duration(raw[1], f"{where}[1]")
        if start >= stop:
            self.problems.append(f"`{where}` must have start < stop; got {raw!r}.")
        return (start, stop)

    def names(self, raw: Any, where: str) -> tuple[str, ...]:
        if not (isinstance(raw, (list, tuple)) and all(isinstance(x, str) for x in raw)):
            self.problems.append(f"`{where}` must be a list of names; got {raw!r}.")
            return ()
        return tuple(raw)


def parse_config(raw: Mapping[str, Any], source: str = "<dict>") -> TwinConfig:
    """Check a configuration given as nested dictionaries and return a :class:`TwinConfig`.

    Raises
    ------
    ConfigError
        Listing every problem (unknown keys with suggestions, unknown component types, missing
        values, wrong types, unit mismatches).
    """
    from physics_twin.components.registry import component_class

    r = _Reader()
    top = {
        "schema",
        "twin",
        "components",
        "model",
        "data",
        "inputs",
        "measurements",
        "calibration",
        "filter",
        "deviation",
        "rul",
        "outputs",
    }
    r.unknown_keys(raw, top, "config")
    schema = raw.get("schema", SCHEMA)
    if schema != SCHEMA:
        r.problems.append(f"`schema` must be {SCHEMA!r}; got {schema!r}.")
    twin = r.table(raw.get("twin"), "twin")
    r.unknown_keys(twin, {"name", "asset_id", "description"}, "twin")
    name = r.text(twin, "name", "twin")
    asset_id = r.text(twin, "asset_id", "twin", default=name or "asset")

    components: list[ComponentConfig] = []
    declared: dict[str, Any] = {}
    raw_components = raw.get("components")
    if not isinstance(raw_components, list) or not raw_components:
        r.problems.append("`components` must be a non-empty array of tables ([[components]]).")
        raw_components = []
    for number, entry in enumerate(raw_components):
        where = f"components[{number}]"
        entry = r.table(entry, where)
        r.unknown_keys(entry, {"name", "type", "parameters", "initial"}, where)
        cname = r.text(entry, "name", where)
        ctype = r.text(entry, "type", where)
        try:
            cls = component_class(ctype) if ctype else None
        except Exception as exc:  # ConfigError with suggestions
            r.problems.append(f"`{where}.type`: {exc}")
            cls = None
        parameters: dict[str, float] = {}
        initial: dict[str, float] = {}
        if cls is not None:
            declared[cname] = cls
            units = {p.name: p.unit for p in cls.PARAMETERS}
            for key, value in r.table(entry.get("parameters"), f"{where}.parameters").items():
                if key not in units:
                    r.problems.append(unknown_name_message("parameter", key, list(units), f"{ctype} ({where})"))
                    continue
                parameters[key] = r.number(value, f"{where}.parameters.{key}", units[key])
            state_units = {s.name: s.unit for s in cls.STATES}
            for key, value in r.table(entry.get("initial"), f"{where}.initial").items():
                if key not in state_units:
                    r.problems.append(unknown_name_message("state", key, list(state_units), f"{ctype} ({where})"))
                    continue
                initial[key] = r.number(value, f"{where}.initial.{key}", state_units[key])
        components.append(ComponentConfig(cname, ctype, parameters, initial))

    model = r.table(raw.get("model"), "model")
    r.unknown_keys(model, {"connections", "inputs"}, "model")
    connections = []
    for number, pair in enumerate(model.get("connections", [])):
        if not (isinstance(pair, (list, tuple)) and len(pair) == 2 and all(isinstance(x, str) for x in pair)):
            r.problems.append(f'`model.connections[{number}]` must be ["component.output", "component.input"]; got {pair!r}.')
            continue
        connections.append((pair[0], pair[1]))
    inputs: dict[str, tuple[str, ...]] = {}
    for alias, target in r.table(model.get("inputs"), "model.inputs").items():
        targets = (target,) if isinstance(target, str) else tuple(target) if isinstance(target, list) else None
        if not targets or not all(isinstance(x, str) for x in targets):
            r.problems.append(
                f'`model.inputs.{alias}` must name a component input ("component.input") or a list of them; got {target!r}.'
            )
            continue
        inputs[alias] = targets

    data_raw = r.table(raw.get("data"), "data")
    r.unknown_keys(data_raw, {"separator", "time_column", "timezone", "duplicates"}, "data")
    data = DataConfig(
        separator=r.text(data_raw, "separator", "data", default=","),
        time_column=data_raw["time_column"]
        if isinstance(data_raw.get("time_column"), int) and not isinstance(data_raw.get("time_column"), bool)
        else r.text(data_raw, "time_column", "data", default="time"),
        timezone=r.text(data_raw, "timezone", "data", default=None),
        duplicates=r.text(data_raw, "duplicates", "data", default="mean", choices=("mean", "first", "last", "error")),
    )
    input_channels = []
    for alias, spec in r.table(raw.get("inputs"), "inputs").items():
        where = f"inputs.{alias}"
        spec = r.table(spec, where)
        r.unknown_keys(spec, {"column", "unit", "value", "smoothing"}, where)
        if alias not in inputs:
            r.problems.append(unknown_name_message("system input", alias, list(inputs), "`model.inputs`"))
        if ("column" in spec) == ("value" in spec):
            r.problems.append(f"`{where}` must have either `column` (with `unit`) or `value`.")
            continue
        if "column" in spec:
            input_channels.append(
                InputChannel(
                    alias,
                    r.text(spec, "column", where),
                    r.text(spec, "unit", where),
                    None,
                    r.duration(spec.get("smoothing"), f"{where}.smoothing", default=0.0),
                )
            )
        else:
            input_channels.append(InputChannel(alias, None, None, r.number(spec.get("value"), f"{where}.value"), 0.0))
    missing_inputs = sorted(set(inputs) - {c.name for c in input_channels})
    for alias in missing_inputs:
        r.problems.append(f"system input {alias!r} has no data: add [inputs.{alias}] with `column` and `unit`, or `value`.")
    measurements = []
    for output, spec in r.table(raw.get("measurements"), "measurements").items():
        where = f'measurements."{output}"'
        spec = r.table(spec, where)
        r.unknown_keys(spec, {"column", "unit", "noise", "relative_noise", "valid_range"}, where)
        relative = r.number(spec.get("relative_noise"), f"{where}.relative_noise", default=0.0)
        if relative < 0:
            r.problems.append(f"`{where}.relative_noise` must be >= 0 (a fraction of the reading); got {relative!r}.")
        valid = (-math.inf, math.inf)
        if "valid_range" in spec:
            bounds = spec["valid_range"]
            if not (
                isinstance(bounds, list)
                and len(bounds) == 2
                and all(isinstance(b, (int, float)) and not isinstance(b, bool) for b in bounds)
                and bounds[0] < bounds[1]
            ):
                r.problems.append(
                    f"`{where}.valid_range` must be [low, high] in the column unit with low < high; got {bounds!r}."
                )
            else:
                valid = (float(bounds[0]), float(bounds[1]))
        measurements.append(
            MeasurementChannel(
                output,
                r.text(spec, "column", where),
                r.text(spec, "unit", where),
                r.number(spec.get("noise"), f"{where}.noise", positive=True),
                relative,
                valid,
            )
        )
    if not measurements:
        r.problems.append("`measurements` must map at least one model output to a data column.")

    filter_raw = r.table(raw.get("filter"), "filter")
    r.unknown_keys(
        filter_raw,
        {
            "kind",
            "integrator",
            "max_step",
            "gate_probability",
            "gate_patience",
            "gap_threshold",
            "initial_std",
            "process_noise",
            "estimate",
            "initial_from_measurement",
            "onset",
        },
        "filter",
    )
    estimates = []
    for number, spec in enumerate(filter_raw.get("estimate", [])):
        where = f"filter.estimate[{number}]"
        spec = r.table(spec, where)
        r.unknown_keys(spec, {"name", "relative_std", "relative_random_walk", "transform"}, where)
        estimates.append(
            EstimateConfig(
                r.text(spec, "name", where),
                r.number(spec.get("relative_std"), f"{where}.relative_std", positive=True),
                r.number(spec.get("relative_random_walk", 0.0), f"{where}.relative_random_walk"),
                r.text(spec, "transform", where, default="auto", choices=("auto", "log", "logit", "none")),
            )
        )
    onset = None
    if "onset" in filter_raw:
        spec = r.table(filter_raw["onset"], "filter.onset")
        r.unknown_keys(spec, {"signal", "above", "relative_to", "smoothing"}, "filter.onset")
        onset = OnsetRule(
            r.text(spec, "signal", "filter.onset"),
            r.number(spec.get("above"), "filter.onset.above", positive=True),
            r.text(spec, "relative_to", "filter.onset"),
            r.duration(spec.get("smoothing"), "filter.onset.smoothing", default=0.0),
        )
    gate = filter_raw.get("gate_probability")
    patience = filter_raw.get("gate_patience", 3)
    if isinstance(patience, bool) or not isinstance(patience, int) or patience < 1:
        r.problems.append(f"`filter.gate_patience` must be an integer >= 1; got {patience!r}.")
        patience = 3
    filter_config = FilterConfig(
        estimate=tuple(estimates),
        initial_std={
            k: r.number(v, f"filter.initial_std.{k}")
            for k, v in r.table(filter_raw.get("initial_std"), "filter.initial_std").items()
        },
        process_noise={
            k: r.number(v, f"filter.process_noise.{k}")
            for k, v in r.table(filter_raw.get("process_noise"), "filter.process_noise").items()
        },
        integrator=r.text(filter_raw, "integrator", "filter", default="RK4", choices=("RK4", "ROS2")),
        max_step=r.duration(filter_raw.get("max_step"), "filter.max_step", default=0.01),
        gate_probability=None if gate is None else r.number(gate, "filter.gate_probability"),
        gate_patience=patience,
        gap_threshold=r.duration(filter_raw.get("gap_threshold"), "filter.gap_threshold", default=math.inf),
        initial_from_measurement={
            k: str(v) for k, v in r.table(filter_raw.get("initial_from_measurement"), "filter.initial_from_measurement").items()
        },
        onset=onset,
        kind=r.text(filter_raw, "kind", "filter", default="sr-ukf", choices=("sr-ukf", "ukf", "ekf", "dual-ukf")),
    )

    calibration = None
    if "calibration" in raw:
        spec = r.table(raw["calibration"], "calibration")
        r.unknown_keys(spec, {"parameters", "window", "warmup", "tune_noise"}, "calibration")
        tune = spec.get("tune_noise", False)
        if not isinstance(tune, bool):
            r.problems.append(f"`calibration.tune_noise` must be true or false; got {tune!r}.")
        calibration = CalibrationConfig(
            r.names(spec.get("parameters"), "calibration.parameters"),
            r.window(spec.get("window"), "calibration.window"),
            r.duration(spec.get("warmup"), "calibration.warmup", default=0.0),
            tune is True,
        )
    deviation = None
    if "deviation" in raw:
        spec = r.table(raw["deviation"], "deviation")
        r.unknown_keys(spec, {"parameters", "baseline", "confidence", "min_duration"}, "deviation")
        deviation = DeviationConfig(
            r.names(spec.get("parameters"), "deviation.parameters"),
            r.window(spec.get("baseline"), "deviation.baseline"),
            r.number(spec.get("confidence"), "deviation.confidence", default=0.999),
            r.duration(spec.get("min_duration"), "deviation.min_duration", default=10.0),
        )
    rul = None
    if "rul" in raw:
        spec = r.table(raw["rul"], "rul")
        r.unknown_keys(
            spec,
            {
                "failure_mode",
                "indicator",
                "threshold",
                "direction",
                "horizon",
                "samples",
                "seed",
                "every",
                "step",
                "future_inputs",
                "probability_horizons",
                "utilisation",
            },
            "rul",
        )
        samples = spec.get("samples", 1000)
        seed = spec.get("seed", 0)
        if not (isinstance(samples, int) and samples >= 10):
            r.problems.append(f"`rul.samples` must be an integer >= 10; got {samples!r}.")
        if not (isinstance(seed, int) and not isinstance(seed, bool) and seed >= 0):
            r.problems.append(f"`rul.seed` must be an integer >= 0 (numpy's seed); got {seed!r}.")
        rul = RulConfig(
            failure_mode=r.text(spec, "failure_mode", "rul"),
            indicator=r.text(spec, "indicator", "rul"),
            threshold=r.number(spec.get("threshold"), "rul.threshold"),
            direction=r.text(spec, "direction", "rul", default="rising", choices=("rising", "falling")),
            horizon=r.duration(spec.get("horizon"), "rul.horizon", positive=True),
            samples=samples if isinstance(samples, int) else 1000,
            seed=seed if isinstance(seed, int) else 0,
            every=r.duration(spec.get("every"), "rul.every", default=math.inf, positive=True),
            step=r.duration(spec.get("step"), "rul.step", default=600.0, positive=True),
            future_inputs={
                k: r.number(v, f"rul.future_inputs.{k}")
                for k, v in r.table(spec.get("future_inputs"), "rul.future_inputs").items()
            },
            probability_horizons=tuple(
                r.duration(v, f"rul.probability_horizons[{i}]", positive=True)
                for i, v in enumerate(spec.get("probability_horizons", []))
            ),
            utilisation=r.number(spec.get("utilisation"), "rul.utilisation", positive=True, default=1.0),
        )
    if rul is not None and math.isfinite(rul.horizon) and rul.horizon > 0.0:
        horizon_text = _duration_text(spec.get("horizon"))
        if rul.step > rul.horizon:
            r.problems.append(
                f"`rul.step` ({_duration_text(spec.get('step', 600.0))}) must not exceed `rul.horizon` ({horizon_text})."
            )
        for i, (value, raw_value) in enumerate(zip(rul.probability_horizons, spec.get("probability_horizons", []), strict=True)):
            if value > rul.horizon:
                r.problems.append(
                    f"`rul.probability_horizons[{i}]` ({_duration_text(raw_value)}) must not exceed `rul.horizon` "
                    f"({horizon_text}): the prediction does not look that far."
                )
    outputs = {k: str(v) for k, v in r.table(raw.get("outputs"), "outputs").items()}
    r.unknown_keys(outputs, {"netcdf", "rul_json"}, "outputs")
    if r.problems:
        raise ConfigError(join_problems(f"configuration {source} is invalid:", r.problems))
    return TwinConfig(
        name,
        asset_id,
        tuple(components),
        tuple(connections),
        inputs,
        data,
        tuple(input_channels),
        tuple(measurements),
        filter_config,
        calibration,
        deviation,
        rul,
        outputs,
        source,
    )


def _duration_text(raw: Any) -> str:
    """A duration as the user wrote it: ``{value, unit}`` as "2 h", a bare number as seconds."""
    if isinstance(raw, Mapping):
        return f"{raw.get('value')!r} {raw.get('unit', 's')}"
    return f"{raw!r} s"


def load_config(path: str | Path) -> TwinConfig:
    """Read and check a TOML configuration file.

    Raises
    ------
    ConfigError
        When the file is missing, is not valid TOML, or fails the checks of :func:`parse_config`.
    """
    path = Path(path)
    if not path.is_file():
        reason = "is a folder, not a file" if path.is_dir() else "does not exist"
        raise ConfigError(f"configuration file {str(path)!r} {reason}.")
    try:
        raw = tomllib.loads(path.read_text(encoding="utf-8"))
    except tomllib.TOMLDecodeError as exc:
        raise ConfigError(f"configuration file {str(path)!r} is not valid TOML: {exc}.") from None
    return parse_config(raw, str(path))
