"""The assembled twin: model + online calibration + deviation flags + remaining useful life.

A :class:`Twin` is built from a :class:`~physics_twin.config.TwinConfig` (a TOML file, see
``docs/config.md``). :meth:`Twin.run` takes :class:`~physics_twin.io.SensorData` and goes through the
stages of ``DESIGN.md``:

1. optional batch calibration on a healthy window (weighted least squares, confidence intervals);
2. the filter's start: the first sample, or the onset of degradation (a measured signal staying
   above a multiple of a calibrated parameter, e.g. vibration above 1.5 x its healthy baseline);
3. the joint state and parameter UKF from that start (states measured directly start at their
   first measurement; others may be initialised by inverting a measured output);
4. deviation flags on chosen estimated parameters against their baseline window;
5. Monte-Carlo RUL from the posterior at regular times and at the last sample, under the configured
   future-load assumption, and the RUL contract document for the last one.

The result is one :class:`xarray.Dataset` (:meth:`TwinResult.write` stores it as NetCDF next to the
RUL JSON, each written atomically) plus the document and the flagged events.
"""

from __future__ import annotations

import json
import math
import os
import warnings
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import numpy as np
import xarray as xr
from scipy import optimize

from physics_twin.components.registry import component_class
from physics_twin.config import TwinConfig, load_config
from physics_twin.core.system import System
from physics_twin.core.units import converter
from physics_twin.errors import ConfigError, DataError, OutputError, join_problems, unknown_name_message
from physics_twin.estimation import EstimatedParameter, UnscentedKalmanFilter, create_filter
from physics_twin.estimation.batch import Experiment, FitResult, fit_parameters
from physics_twin.estimation.consistency import band_position
from physics_twin.estimation.ukf import consistency_summary
from physics_twin.io import ChannelMap, DataQualityWarning, SensorData, read_sensor_csv
from physics_twin.io.outputs import JSON_SUFFIXES, NETCDF_SUFFIXES, check_output_paths, write_files_atomically
from physics_twin.prognostics.contract import build_rul_document, parameter_set_hash, rul_document_text
from physics_twin.prognostics.rul import FailureThreshold, LoadScenario, Posterior, RULDistribution, predict_rul
from physics_twin.quality.deviation import DeviationEvent, track_deviation

__all__ = ["Twin", "TwinResult", "build_system"]

_HOUR = 3600.0


def build_system(config: TwinConfig) -> System:
    """The :class:`~physics_twin.core.system.System` a configuration describes."""
    components = [component_class(c.type)(c.name, **c.parameters) for c in config.components]
    return System(config.name, components, config.connections, config.inputs)


@dataclass
class TwinResult:
    """What :meth:`Twin.run` produces.

    Attributes
    ----------
    dataset : xarray.Dataset
        Estimates with uncertainty, innovations, NIS, deviation scores and flags, RUL quantiles over
        time, calibration results; units in attrs.
    rul_document : dict or None
        The RUL contract document at the last sample (None when no RUL is configured or the
        degradation onset was not reached).
    rul : RULDistribution or None
        The last RUL distribution.
    events : list of DeviationEvent
        Flagged deviations with their start times.
    calibration : FitResult or None
        The batch calibration.
    """

    dataset: xr.Dataset
    rul_document: dict[str, Any] | None
    rul: RULDistribution | None
    events: list[DeviationEvent]
    calibration: FitResult | None

    def write(
        self,
        netcdf_path: str | os.PathLike[str],
        rul_json_path: str | os.PathLike[str] | None = None,
        *,
        argument_names: tuple[str, str] = ("netcdf_path", "rul_json_path"),
    ) -> list[Path]:
        """Write the dataset (NetCDF) and the RUL document (JSON); returns the paths written.

        Both paths and the document are checked before anything is written (existing, writable folder; distinct
        files; a valid contract document); each file is written to a temporary name and renamed into place.
        A ``rul_json_path`` with no document to write is an error when the twin has no ``[rul]`` table; when
        the degradation onset was not reached, an earlier document at that path is removed (a maintenance
        system must not act on a previous run's estimate) with a warning.

        ``argument_names`` are how messages name the two paths (the CLI passes its options).

        Raises
        ------
        OutputError
            A path cannot be written, or a RUL document was asked for from a twin without ``[rul]``.
        """
        attrs = self.dataset.attrs
        netcdf_name, rul_name = argument_names
        paths = check_output_paths(
            {netcdf_name: netcdf_path, rul_name: rul_json_path},
            inputs={"data": attrs.get("data_source"), "config": attrs.get("config_source")},
            suffixes={netcdf_name: NETCDF_SUFFIXES, rul_name: JSON_SUFFIXES},
        )
        rul_target = paths.get(rul_name)
        rul_configured = self.rul_document is not None or "rul_status" in attrs
        if rul_target is not None and not rul_configured:
            raise OutputError(
                f"`{rul_name}` {str(rul_target)!r} given, but the twin's configuration has no [rul] table: "
                "there is no RUL document to write; add [rul] or leave the path out."
            )
        files = {netcdf_name: (paths[netcdf_name], lambda name: _netcdf_ready(self.dataset).to_netcdf(name, engine="netcdf4"))}
        if rul_target is not None and self.rul_document is not None:
            text = rul_document_text(self.rul_document)  # validated as our own output before any file is written
            files[rul_name] = (rul_target, lambda name: Path(name).write_text(text, encoding="utf-8"))
        written = write_files_atomically(files)
        if rul_target is not None and self.rul_document is None and rul_target.exists():
            _remove_stale_rul_document(rul_target, attrs["rul_status"])
        return written

    def summary(self) -> str:
        """A few lines for people: consistency, calibration, flags, RUL."""
        attrs = self.dataset.attrs
        lines = [
            f"twin {attrs.get('twin')!r} on {attrs.get('data_source')}: {self.dataset.sizes['time']} samples, "
            f"{attrs.get('filter_start_utc', attrs.get('origin_utc'))} -> {attrs.get('end_utc')}"
        ]
        if self.calibration is not None:
            parts = [
                f"{n} = {v:.4g} [{lo:.4g}, {hi:.4g}]"
                for n, v, lo, hi in zip(
                    self.calibration.names, self.calibration.values, self.calibration.lower, self.calibration.upper, strict=True
                )
            ]
            lines.append("calibration (95 % CI): " + "; ".join(parts))
            lines += [f"calibration warning: {warning}" for warning in self.calibration.identifiability_warnings()]
        if math.isfinite(attrs.get("nis_mean", math.nan)):
            inside = band_position(attrs["nis_mean"], attrs["nis_band_lower"], attrs["nis_band_upper"]) == "inside"
            lines.append(
                f"mean NIS {attrs['nis_mean']:.3f} (expected {attrs['nis_expected']:.3g}, 95 % band "
                f"[{attrs['nis_band_lower']:.3f}, {attrs['nis_band_upper']:.3f}], {'inside' if inside else 'OUTSIDE'})"
            )
        for event in self.events:
            end = "ongoing" if event.end is None else f"{event.end:.0f} s"
            lines.append(
                f"deviation: {event.parameter} {event.direction} from {event.start:.0f} s to {end} "
                f"(peak |z| {event.peak_score:.1f}, change {100 * event.peak_change:+.1f} %)"
            )
        if self.rul is not None:
            q = [self.rul.quantile(p, unit="h") for p in (0.05, 0.5, 0.95)]
            lines.append("RUL at the last sample: " + ", ".join(str(x) for x in q))
            if self.rul_document is not None:
                lines.append(
                    f"recommended action: {self.rul_document['recommended_action']['action']} "
                    f"({self.rul_document['recommended_action']['reason']})"
                )
        elif "rul_status" in attrs:
            lines.append(f"RUL: {attrs['rul_status']}")
        return "\n".join(lines)


class Twin:
    """A twin assembled from a configuration.

    Parameters
    ----------
    config : TwinConfig
        A checked configuration (:func:`physics_twin.config.load_config`).

    Raises
    ------
    ConfigError
        When names in the configuration do not exist in the assembled model (all listed at once).
    """

    def __init__(self, config: TwinConfig) -> None:
        self.config = config
        self.system = build_system(config)
        self.model = self.system.model()
        self._check_names()
        self.channel_map()  # column units against the declared ones, every problem named by its signal
        self.measurement_noise_used: dict[str, float] = self.measurement_noise()

    @classmethod
    def from_file(cls, path: str | os.PathLike[str]) -> Twin:
        """Build a twin from a TOML configuration file."""
        return cls(load_config(path))

    # -- checks ------------------------------------------------------------------------------------
    def _check_names(self) -> None:
        model, config = self.model, self.config
        problems: list[str] = []

        def need(name: str, names: tuple[str, ...], kind: str, where: str) -> None:
            if name not in names:
                problems.append(f"`{where}`: " + unknown_name_message(kind, name, names, f"model {model.name!r}"))

        for channel in config.measurements:
            need(channel.name, model.output_names, "output", "measurements")
        for component in config.components:
            for state in component.initial:
                need(f"{component.name}.{state}", model.state_names, "state", f"components.{component.name}.initial")
        settings = config.filter
        for estimate in settings.estimate:
            need(estimate.name, model.parameter_names, "parameter", "filter.estimate")
        for name in list(settings.initial_std) + list(settings.process_noise):
            need(name, model.state_names, "state", "filter.initial_std / filter.process_noise")
        for state, output in settings.initial_from_measurement.items():
            need(state, model.state_names, "state", "filter.initial_from_measurement")
            if output not in {m.name for m in config.measurements}:
                problems.append(f"`filter.initial_from_measurement.{state}` must name a measured output; got {output!r}.")
        if settings.onset is not None:
            if settings.onset.signal not in {m.name for m in config.measurements}:
                problems.append(f"`filter.onset.signal` must name a measured output; got {settings.onset.signal!r}.")
            need(settings.onset.relative_to, model.parameter_names, "parameter", "filter.onset.relative_to")
        if config.calibration is not None:
            for name in config.calibration.parameters:
                need(name, model.parameter_names, "parameter", "calibration.parameters")
        if config.deviation is not None:
            estimated = tuple(e.name for e in settings.estimate)
            for name in config.deviation.parameters:
                need(name, estimated, "estimated parameter", "deviation.parameters")
        if config.rul is not None:
            rul = config.rul
            need(rul.indicator, tuple(dict.fromkeys(model.output_names + model.state_names)), "output or state", "rul.indicator")
            state = next((s for s in model.states if s.name == rul.indicator), None)
            if state is not None and state.nonnegative and rul.direction == "rising" and rul.threshold <= 0.0:
                problems.append(
                    f"`rul.threshold` must be > 0 for the non-negative state {rul.indicator!r} rising to failure; got "
                    f"{rul.threshold:g} (every asset would be past it from the start)."
                )
            for name in config.rul.future_inputs:
                need(name, model.input_names, "input", "rul.future_inputs")
        if problems:
            raise ConfigError(join_problems(f"configuration {config.source} does not fit its model:", problems))

    # -- data --------------------------------------------------------------------------------------
    def channel_map(self) -> ChannelMap:
        """Data columns of the measured outputs and of the inputs fed from columns."""
        columns: dict[str, dict[str, str]] = {}
        for channel in self.config.input_channels:
            if channel.column is not None:
                columns[channel.name] = {"column": channel.column, "unit": channel.unit}
        for channel in self.config.measurements:
            columns[channel.name] = {"column": channel.column, "unit": channel.unit}
        return ChannelMap.from_model(self.model, columns)

    def read(self, path: str | os.PathLike[str]) -> SensorData:
        """Read a data file with the configured columns, units, separator, time column and policies."""
        data = self.config.data
        return read_sensor_csv(
            path,
            self.channel_map(),
            time_column=data.time_column,
            separator=data.separator,
            timezone=data.timezone,
            duplicates=data.duplicates,
        )

    def inputs(self, data: SensorData) -> np.ndarray:
        """The model input matrix: columns (filled, optionally smoothed) and configured constants. [SI]"""
        matrix = data.model_inputs(self.model)
        names = self.model.input_names
        for channel in self.config.input_channels:
            column = names.index(channel.name)
            if channel.value is not None:
                matrix[:, column] = channel.value
            elif channel.smoothing > 0:
                matrix[:, column] = trailing_mean(data.times, matrix[:, column], channel.smoothing)
        return matrix

    def measurements(self, data: SensorData) -> tuple[np.ndarray, dict[str, int]]:
        """Measured outputs (SI), readings outside each sensor's ``valid_range`` set to NaN, and their counts."""
        values = data.array([m.name for m in self.config.measurements]).copy()
        dropped = {}
        for column, channel in enumerate(self.config.measurements):
            low, high = channel.valid_range
            if math.isinf(low) and math.isinf(high):
                continue
            unit = self.model.outputs[self.model.output_names.index(channel.name)].unit
            scale, offset = converter(channel.unit, unit)
            bounds = sorted((scale * low + offset, scale * high + offset))
            outside = (values[:, column] < bounds[0]) | (values[:, column] > bounds[1])
            values[outside, column] = np.nan
            dropped[channel.name] = int(outside.sum())
            if dropped[channel.name] and not np.isfinite(values[:, column]).any():
                warnings.warn(
                    f"every reading of column {channel.column!r} ({channel.name}) lies outside its valid_range "
                    f"{list(channel.valid_range)} [{channel.unit}]: the signal drops out of every update and fit.",
                    DataQualityWarning,
                    stacklevel=2,
                )
        return values, dropped

    def measurement_noise(self) -> dict[str, float]:
        """Measurement-noise standard deviation per measured output, converted to SI. [output units]"""
        noise = {}
        for channel in self.config.measurements:
            unit = self.model.outputs[self.model.output_names.index(channel.name)].unit
            scale, _ = converter(channel.unit, unit)
            noise[channel.name] = abs(scale) * channel.noise
        return noise

    # -- the run -----------------------------------------------------------------------------------
    def calibrate(self, data: SensorData) -> FitResult:
        """Batch calibration alone, on the configured window (see ``[calibration]``)."""
        if self.config.calibration is None:
            raise ConfigError(f"configuration {self.config.source} has no [calibration] table.")
        measurements, _ = self.measurements(data)
        return self._calibrate(data.times, self.inputs(data), measurements, self.measurement_noise())

    def run(self, data: SensorData, progress: Callable[[str, int, int], None] | None = None) -> TwinResult:
        """Calibrate, filter, flag deviations and predict RUL over ``data``.

        Parameters
        ----------
        data : SensorData
            Read with :meth:`read` (or any reader giving the configured signals).
        progress : callable, optional
            ``progress(stage, done, total)`` called as the work proceeds (the CLI draws a bar).

        Raises
        ------
        DataError
            Too few samples, a calibration window without data, no usable measurement at the start.
        """
        config, model = self.config, self.model
        report = progress or (lambda stage, done, total: None)
        if len(data) < 2:
            raise DataError(f"the data hold {len(data)} sample(s); at least 2 are needed.")
        times = data.times
        inputs = self.inputs(data)
        measured = [m.name for m in config.measurements]
        measurements, out_of_range = self.measurements(data)
        noise = self.measurement_noise()
        parameters = model.parameter_values.copy()
        calibration = None
        if config.calibration is not None:
            report("calibration", 0, 1)
            calibration = self._calibrate(times, inputs, measurements, noise)
            parameters = calibration.parameter_values.copy()
            report("calibration", 1, 1)
        start = self._filter_start(times, measurements, parameters)
        if start is None:
            dataset = data.to_dataset()
            dataset.attrs.update(self._attrs(data, None))
            dataset.attrs["rul_status"] = "degradation onset not reached: the filter and the RUL prediction did not start"
            return TwinResult(dataset, None, None, [], calibration)
        overrides = dict(zip(model.parameter_names, parameters.tolist(), strict=True))
        if config.calibration is not None and config.calibration.tune_noise:
            noise = self._tune_noise(times, inputs, measurements, noise, overrides, start)
        estimator = self._filter(times, inputs, measurements, noise, overrides, start)
        self.measurement_noise_used = noise
        chunk = 2000
        pieces = []
        state = None
        total = times.size - start
        for first in range(start, times.size, chunk):
            stop = min(first + chunk, times.size)
            piece, state = estimator.run(times[first:stop], inputs[first:stop], measurements[first:stop], state)
            pieces.append(piece)
            report("filter", stop - start, total)
        filtered = (
            xr.concat(pieces, dim="time", data_vars="all", coords="minimal", compat="override", combine_attrs="override")
            if len(pieces) > 1
            else pieces[0]
        )
        filtered.attrs.update(consistency_summary(filtered, measured))
        events = self._deviations(filtered)
        rul_over_time, last_rul = self._rul(filtered, estimator, report)
        dataset = self._assemble(data, filtered, inputs, start, calibration, rul_over_time)
        for name, count in out_of_range.items():
            dataset[f"{name}_measured"].attrs["out_of_range_readings"] = count
        document = None
        if last_rul is not None:
            document = self._document(dataset, estimator, last_rul, data)
        return TwinResult(dataset, document, last_rul, events, calibration)

    def _calibrate(self, times, inputs, measurements, noise) -> FitResult:
        settings = self.config.calibration
        window = (times >= settings.window[0]) & (times < settings.window[1])
        if window.sum() < 2:
            raise DataError(
                f"calibration window {list(settings.window)} s holds {int(window.sum())} sample(s); at least 2 are needed."
            )
        index = np.flatnonzero(window)
        covered = min(times[-1], settings.window[1]) - max(times[0], settings.window[0])
        length = settings.window[1] - settings.window[0]
        if math.isfinite(length) and covered < 0.9 * length:  # SKAB's clock alone leaves a few seconds out
            warnings.warn(
                f"calibration window {list(settings.window)} s: the data cover only [{times[index[0]]:g}, "
                f"{times[index[-1]]:g}] s of it, so the fit uses {index.size} samples instead of the window's worth.",
                DataQualityWarning,
                stacklevel=3,
            )
        readings = int(np.isfinite(measurements[index]).sum())
        if readings <= len(settings.parameters):
            names = ", ".join(m.name for m in self.config.measurements)
            raise DataError(
                f"calibration window {list(settings.window)} s holds {readings} finite reading(s) of {names}; "
                f"fitting {len(settings.parameters)} parameter(s) needs more (check the columns and valid_range)."
            )
        x0 = self._initial_states(index[0], measurements, self.model.parameter_values, times, invert_outputs=False)
        experiment = Experiment(times[index], inputs[index], measurements[index], x0, settings.warmup)
        return fit_parameters(
            self.model,
            [experiment],
            measured=noise,
            estimate=settings.parameters,
            integrator=self.config.filter.integrator,
            max_step=self.config.filter.max_step,
        )

    def _tune_noise(self, times, inputs, measurements, noise, overrides, start) -> dict[str, float]:
        """Measurement noise matched to the innovations on the calibration window.

        Covariance matching (after Mehra 1970): on healthy data each channel's normalised squared
        innovation, innovation² / S with S = H P H' + R, should average 1. Each pass of the filter over
        the window scales R by that average (damped: its square root), starting from the configured
        noise; six passes. The noise used is stored with each measured channel.
        """
        window = (times >= self.config.calibration.window[0]) & (times < self.config.calibration.window[1])
        index = np.flatnonzero(window & (np.arange(times.size) >= start))
        if index.size < 10:
            return noise
        tuned = dict(noise)
        for _ in range(6):
            estimator = self._filter(times, inputs, measurements, tuned, overrides, int(index[0]))
            result, _ = estimator.run(times[index], inputs[index], measurements[index])
            for name in tuned:
                normalised = (result[f"{name}_innovation"].values / result[f"{name}_innovation_std"].values) ** 2
                used = np.isfinite(normalised)
                if used.sum() < 10:
                    continue
                tuned[name] *= float(np.mean(normalised[used])) ** 0.25
        return tuned

    def _filter_start(self, times, measurements, parameters) -> int | None:
        onset = self.config.filter.onset
        if onset is None:
            return 0
        signal = measurements[:, [m.name for m in self.config.measurements].index(onset.signal)]
        level = onset.above * parameters[self.model.parameter_names.index(onset.relative_to)]
        smoothed = trailing_median(times, signal, onset.smoothing)
        above = np.flatnonzero(smoothed > level)
        return int(above[0]) if above.size else None

    def _initial_states(
        self, index: int, measurements: np.ndarray, parameters: np.ndarray, times: np.ndarray, invert_outputs: bool = True
    ) -> dict[str, float]:
        """Initial states at sample ``index``: configured values, then directly measured states, then inverted outputs.

        ``filter.initial_from_measurement`` applies at the filter's start only (``invert_outputs``); it
        uses the onset rule's smoothing window when there is one.
        """
        model = self.model
        initial: dict[str, float] = {}
        for component in self.config.components:
            initial.update({f"{component.name}.{k}": v for k, v in component.initial.items()})
        names = [m.name for m in self.config.measurements]
        for column, name in enumerate(names):
            if name in model.state_names:
                finite = np.flatnonzero(np.isfinite(measurements[index:, column]))
                if finite.size:
                    initial[name] = float(measurements[index + finite[0], column])
        onset = self.config.filter.onset
        smoothing = onset.smoothing if onset is not None else 0.0
        for state, output in self.config.filter.initial_from_measurement.items() if invert_outputs else ():
            series = measurements[: index + 1, names.index(output)]
            target = float(trailing_median(times[: index + 1], series, smoothing)[-1]) if smoothing > 0 else float(series[-1])
            initial[state] = self._invert_output(state, output, target, initial, parameters)
        return initial

    def _invert_output(self, state: str, output: str, target: float, initial: dict[str, float], parameters: np.ndarray) -> float:
        """The value of ``state`` at which ``output`` equals ``target`` (others at their initial values)."""
        model = self.model
        x = model.initial_state(initial)
        u = model.default_inputs()
        i, j = model.state_names.index(state), model.output_names.index(output)

        def residual(value: float) -> float:
            trial = x.copy()
            trial[i] = value
            return float(model.output_values(0.0, trial, u, parameters)[j]) - target

        nonnegative = model.states[i].nonnegative
        low, high = (1e-12, 1.0) if nonnegative else (x[i] - 1.0, x[i] + 1.0)
        for _ in range(60):
            if residual(low) * residual(high) <= 0:
                return float(optimize.brentq(residual, low, high, xtol=1e-12 * max(1.0, abs(high))))
            high = high * 2.0 if nonnegative else high + 2.0 * (high - low)
            if not nonnegative:
                low = low - 2.0 * (high - low)
        raise DataError(f"cannot initialise state `{state}` from `{output}` = {target:.6g}: no state value reproduces it.")

    def _filter(self, times, inputs, measurements, noise, overrides, start) -> UnscentedKalmanFilter:
        settings = self.config.filter
        initial = self._initial_states(start, measurements, np.array(list(overrides.values())), times)
        estimate = []
        for spec in settings.estimate:
            value = overrides[spec.name]
            estimate.append(
                EstimatedParameter(
                    spec.name,
                    initial_std=spec.relative_std * abs(value),
                    random_walk=spec.relative_random_walk * abs(value),
                    transform=spec.transform,
                    initial=value,
                )
            )
        relative = {m.name: m.relative_noise for m in self.config.measurements if m.relative_noise > 0}
        return create_filter(
            settings.kind,
            self.model,
            measured=noise,
            relative_noise=relative,
            estimate=estimate,
            initial_state=initial,
            initial_std=settings.initial_std,
            process_noise=settings.process_noise,
            parameters=overrides,
            integrator=settings.integrator,
            max_step=settings.max_step,
            gate_probability=settings.gate_probability,
            gate_patience=settings.gate_patience,
            gap_threshold=settings.gap_threshold,
            # SI states mix scales (flow ~1e-3 m³/s beside speeds ~1e2 rad/s) that a twin's user cannot rescale; the
            # condition numbers land in the dataset attrs (covariance_condition_max, correlation_condition_at_max) instead.
            condition_warning=None,
        )

    def _deviations(self, filtered: xr.Dataset) -> list[DeviationEvent]:
        settings = self.config.deviation
        if settings is None:
            return []
        events = []
        times = filtered["time"].values
        transforms = {e.name: e.transform for e in self.config.filter.estimate}
        for name in settings.parameters:
            declaration = self.model.parameters[self.model.parameter_names.index(name)]
            log_scale = transforms[name] == "log" or (
                transforms[name] == "auto" and declaration.bounds[0] >= 0 and not math.isfinite(declaration.bounds[1])
            )
            track = track_deviation(
                name,
                times,
                filtered[name].values,
                filtered[f"{name}_std"].values,
                settings.baseline,
                log_scale=log_scale,
                confidence=settings.confidence,
                min_duration=settings.min_duration,
            )
            filtered[f"{name}_deviation_score"] = xr.DataArray(
                track.score,
                dims="time",
                attrs={
                    "units": "1",
                    "description": f"standardised deviation from the baseline ({'log scale' if log_scale else 'linear'})",
                },
            )
            filtered[f"{name}_deviation_flag"] = xr.DataArray(
                track.flag.astype(np.int8),
                dims="time",
                attrs={
                    "units": "1",
                    "description": f"1 while |score| > {track.threshold:.3f} for at least {settings.min_duration:g} s",
                    "baseline": track.baseline,
                    "threshold": track.threshold,
                },
            )
            events.extend(track.events)
        return events

    def _rul(
        self, filtered: xr.Dataset, estimator: UnscentedKalmanFilter, report
    ) -> tuple[xr.Dataset | None, RULDistribution | None]:
        settings = self.config.rul
        if settings is None:
            return None, None
        times = filtered["time"].values
        every = settings.every
        chosen = [0] if math.isfinite(every) else []
        if math.isfinite(every):
            for k in range(1, times.size):
                if times[k] - times[chosen[-1]] >= every:
                    chosen.append(k)
        if not chosen or chosen[-1] != times.size - 1:
            chosen.append(times.size - 1)
        failure = FailureThreshold(
            settings.indicator, settings.threshold, ">=" if settings.direction == "rising" else "<=", settings.failure_mode
        )
        scenario = LoadScenario.constant(
            settings.future_inputs,
            "constant future inputs: "
            + (", ".join(f"{k} = {v:g}" for k, v in settings.future_inputs.items()) or "declared defaults"),
        )
        levels = (0.05, 0.5, 0.95)
        values = np.full((len(chosen), len(levels)), np.nan)
        censored = np.zeros((len(chosen), len(levels)), dtype=np.int8)
        probabilities = np.full((len(chosen), len(settings.probability_horizons)), np.nan)
        last = None
        for row, k in enumerate(chosen):
            posterior = Posterior.from_filter(estimator, _state_at(filtered, estimator, k))
            rng = np.random.default_rng([settings.seed, k])
            last = predict_rul(
                self.model,
                posterior,
                failure,
                scenario,
                horizon=settings.horizon,
                rng=rng,
                samples=settings.samples,
                step=settings.step,
                integrator=self.config.filter.integrator,
                max_step=min(self.config.filter.max_step * 100, settings.step),
            )
            for c, level in enumerate(levels):
                quantile = last.quantile(level, unit="s")
                values[row, c] = quantile.bound
                censored[row, c] = int(quantile.censored)
            if settings.probability_horizons:
                probabilities[row] = last.failure_probability(np.asarray(settings.probability_horizons), clock="operating")
            report("rul", row + 1, len(chosen))
        coords = {"rul_time": ("rul_time", times[chosen], {"units": "s", "description": "time of each RUL estimate"})}
        variables = {}
        for c, level in enumerate(levels):
            label = f"rul_p{round(100 * level):02d}"
            variables[label] = xr.DataArray(
                values[:, c] / _HOUR,
                dims="rul_time",
                attrs={
                    "units": "h",
                    "description": f"{100 * level:g} % quantile of the RUL in operating hours (a lower bound where censored)",
                },
            )
            variables[f"{label}_censored"] = xr.DataArray(
                censored[:, c],
                dims="rul_time",
                attrs={
                    "units": "1",
                    "description": "1 where the quantile lies beyond the prediction horizon (value = horizon, a lower bound)",
                },
            )
        if settings.probability_horizons:
            coords["failure_horizon"] = ("failure_horizon", np.asarray(settings.probability_horizons) / _HOUR, {"units": "h"})
            variables["failure_probability"] = xr.DataArray(
                probabilities,
                dims=("rul_time", "failure_horizon"),
                attrs={"units": "1", "description": "probability of failure within each horizon (operating time)"},
            )
        return xr.Dataset(variables, coords=coords), last

    def _assemble(
        self,
        data: SensorData,
        filtered: xr.Dataset,
        inputs: np.ndarray,
        start: int,
        calibration: FitResult | None,
        rul: xr.Dataset | None,
    ) -> xr.Dataset:
        dataset = filtered.copy()
        for column, record in enumerate(self.model.inputs):
            dataset[record.name] = xr.DataArray(
                inputs[start:, column],
                dims="time",
                attrs={"units": record.unit, "description": record.description, "kind": "input"},
            )
        dataset = dataset.assign_coords(timestamp=("time", data.timestamps[start:], {"description": "UTC time of each sample"}))
        if calibration is not None:
            dataset = dataset.assign_coords(calibrated_parameter=("calibrated_parameter", list(calibration.names)))
            for label, values in (
                ("value", calibration.values),
                ("std", calibration.std),
                ("lower", calibration.lower),
                ("upper", calibration.upper),
            ):
                dataset[f"calibration_{label}"] = xr.DataArray(
                    values,
                    dims="calibrated_parameter",
                    attrs={
                        "description": f"batch calibration: {label}"
                        + (
                            f" of the {100 * calibration.confidence:g} % confidence interval"
                            if label in ("lower", "upper")
                            else ""
                        ),
                        "units": "see parameter_unit",
                    },
                )
            dataset["calibration_correlation"] = xr.DataArray(
                calibration.correlation, dims=("calibrated_parameter", "calibrated_parameter_")
            )
        if rul is not None:
            dataset = xr.merge([dataset, rul], combine_attrs="override")
        dataset.attrs.update(self._attrs(data, start))
        for channel, value in self.measurement_noise_used.items():
            dataset[f"{channel}_measured"].attrs["noise_std"] = value
        if calibration is not None:
            dataset.attrs["calibration_reduced_chi_square"] = calibration.reduced_chi_square
            dataset.attrs["calibration_warnings"] = "; ".join(calibration.identifiability_warnings()) or "none"
        return dataset

    def _attrs(self, data: SensorData, start: int | None) -> dict[str, Any]:
        quality = data.quality
        attrs = {
            "twin": self.config.name,
            "asset_id": self.config.asset_id,
            "config_source": self.config.source,
            "data_source": data.source or "sensor data",
            "origin_utc": data.origin.isoformat().replace("+00:00", "Z"),
            "end_utc": data.end.isoformat().replace("+00:00", "Z"),
            "duplicate_rows": int(getattr(quality, "duplicate_rows", 0) or 0),
            "rows_moved_when_sorting": int(getattr(quality, "rows_moved", 0) or 0),
            "physics_twin_version": _version(),
        }
        if start is not None:
            attrs["filter_start_utc"] = str(np.datetime_as_string(data.timestamps[start], unit="s")) + "Z"
            attrs["filter_start_s"] = float(data.times[start])
        return attrs

    def _document(
        self, dataset: xr.Dataset, estimator: UnscentedKalmanFilter, rul: RULDistribution, data: SensorData
    ) -> dict[str, Any]:
        settings = self.config.rul
        estimate_time = datetime.fromisoformat(str(np.datetime_as_string(data.timestamps[-1], unit="us"))).replace(tzinfo=UTC)
        last = estimator.physical(dataset["mean_transformed"].values[-1])
        flags = []
        if dataset.attrs.get("gaps_flagged", 0):
            flags.append("gaps")
        if dataset.attrs.get("samples_gated", 0):
            flags.append("gated_samples")
        if dataset.attrs.get("duplicate_rows", 0):
            flags.append("duplicates_merged")
        measured = [dataset[f"{m.name}_measured"] for m in self.config.measurements]
        if any(int(np.isnan(v.values).sum()) > v.attrs.get("out_of_range_readings", 0) for v in measured):
            flags.append("missing_values")
        if any(dataset[f"{m.name}_measured"].attrs.get("out_of_range_readings", 0) for m in self.config.measurements):
            flags.append("out_of_range_readings")
        horizons = [h for h in settings.probability_horizons if h <= settings.horizon / settings.utilisation]
        return build_rul_document(
            rul,
            asset_id=self.config.asset_id,
            estimate_time=estimate_time,
            model_name=self.model.name,
            parameter_set_version=parameter_set_hash(list(estimator.names), last),
            failure_mode=settings.failure_mode,
            utilisation=settings.utilisation,
            horizons=horizons,
            consistency=dataset.attrs,
            data_quality_flags=flags,
        )


def _state_at(filtered: xr.Dataset, estimator: UnscentedKalmanFilter, index: int):
    from physics_twin.estimation.ukf import FilterState

    return FilterState(
        float(filtered["time"].values[index]),
        np.array(filtered["mean_transformed"].values[index]),
        np.array(filtered["covariance"].values[index]),
        estimator.names,
        np.zeros(len(estimator.model.inputs)),
    )


def trailing_mean(times: np.ndarray, values: np.ndarray, window: float) -> np.ndarray:
    """Causal moving average over ``(t - window, t]`` ignoring NaN (NaN where the window has no value). [value unit]"""
    finite = np.isfinite(values)
    cumulative = np.concatenate([[0.0], np.cumsum(np.where(finite, values, 0.0))])
    counts = np.concatenate([[0], np.cumsum(finite)])
    first = np.searchsorted(times, times - window, side="right")
    last = np.arange(1, times.size + 1)
    count = counts[last] - counts[first]
    with np.errstate(invalid="ignore", divide="ignore"):
        return np.where(count > 0, (cumulative[last] - cumulative[first]) / np.maximum(count, 1), np.nan)


def trailing_median(times: np.ndarray, values: np.ndarray, window: float) -> np.ndarray:
    """Causal moving median over ``(t - window, t]`` ignoring NaN. [value unit]"""
    if window <= 0:
        return np.asarray(values, float).copy()
    first = np.searchsorted(times, times - window, side="right")
    result = np.full(times.size, np.nan)
    for k in range(times.size):
        segment = values[first[k] : k + 1]
        segment = segment[np.isfinite(segment)]
        if segment.size:
            result[k] = float(np.median(segment))
    return result


def _remove_stale_rul_document(path: Path, status: str) -> None:
    """Remove an earlier run's RUL document at ``path`` (this run has none); leave any other file alone."""
    try:
        version = json.loads(path.read_text(encoding="utf-8")).get("schema_version", "")
    except (OSError, ValueError, AttributeError):
        version = ""
    if not str(version).startswith("physics_twin.rul/"):
        warnings.warn(
            f"left {str(path)!r} untouched: this run has no RUL estimate ({status}), and that file is not a RUL document.",
            UserWarning,
            stacklevel=3,
        )
        return
    path.unlink()
    warnings.warn(
        f"removed {str(path)!r}: it held an earlier run's RUL estimate and this run has none ({status}).",
        UserWarning,
        stacklevel=3,
    )


def _netcdf_ready(dataset: xr.Dataset) -> xr.Dataset:
    """A copy whose attributes NetCDF can store (booleans as 0/1, None as "none", lists and dicts as text)."""
    clean = dataset.copy()
    clean.attrs = {k: _netcdf_attr(v) for k, v in dataset.attrs.items()}
    for name in clean.variables:
        clean[name].attrs = {k: _netcdf_attr(v) for k, v in clean[name].attrs.items()}
    return clean


def _netcdf_attr(value: Any) -> Any:
    if isinstance(value, bool | np.bool_):
        return int(value)
    if value is None:
        return "none"
    if isinstance(value, (list, tuple)):
        return ", ".join(map(str, value))
    if isinstance(value, dict):
        return str(value)
    return value


def _version() -> str:
    from physics_twin import __version__

    return __version__
