"""Unscented Kalman filtering over FMUs: sigma points propagated with get/set FMU state.

FMU models cannot be compiled, so filtering over them takes the generic Python path: filterpy's
``UnscentedKalmanFilter`` does the algebra, and :class:`FMUFilter` supplies its process model
by running the co-simulation. The filter's state is the co-simulation's exposed continuous states
(model-exchange FMU states and native states) followed by the estimated parameters, carried in
a transformed space (log for positive parameters, as :mod:`physics_twin.estimation.ukf` does).

One filter step from ``t_k`` to ``t_{k+1}``:

1. for every sigma point: restore the saved co-simulation state at ``t_k`` (``setFMUstate``), write
   the sigma point's states and parameters, step to ``t_{k+1}``, keep the new states and the
   measured outputs;
2. restore again, write the posterior mean, step, and save the state at ``t_{k+1}`` (``getFMUstate``):
   the starting point of the next step; internal states that the filter does not carry (those of
   co-simulation FMUs, discrete states) follow this mean path;
3. update with the measurement (a sample with NaN skips the update).

The measurement update uses the propagated sigma points themselves (Julier's original form):
filterpy 1.4.5 redraws sigma points from the predicted mean and covariance before the update, but
an FMU gives outputs only for states it actually stepped to, so the propagated points are put back
before calling ``update``. Every run reports NIS per sample and its chi-square band, as
:class:`~physics_twin.estimation.ukf.UnscentedKalmanFilter` does.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from typing import Any

import numpy as np
import xarray as xr
from scipy import stats

from physics_twin.errors import EstimationError, ParameterError, ShapeError, join_problems, unknown_name_message
from physics_twin.estimation.ukf import EstimatedParameter, nis_summary

__all__ = ["FMUFilter"]

_Z95 = 1.6448536269514722


class FMUFilter:
    """Joint state and parameter UKF over a co-simulation of FMUs (and native components).

    Parameters
    ----------
    simulation : CoSimulation or FMUComponent
        The model; a single FMU is wrapped in a co-simulation. Every FMU must support getting and
        setting its state.
    measured : mapping of str to float
        Measured output (qualified, ``"edrive_mass.wB"``) -> measurement-noise standard deviation. [output unit]
    estimate : sequence of EstimatedParameter
        Parameters to estimate (qualified names); ``transform`` ``"auto"`` takes log when the FMU
        declares ``min >= 0``.
    step : float
        Communication step of the co-simulation inside a filter step; sample intervals must be
        multiples of it (rounded). [s]
    initial_std : mapping of str to float, optional
        Initial standard deviation per state (qualified). [state unit]; default 1e-6 × max(1, |x0|).
    process_noise : mapping of str to float, optional
        Per state: standard deviation of the change over one second. [state unit/√s]; default 0.
    parameters : mapping, optional
        Fixed parameter values (qualified names) applied at initialization.
    inputs : mapping, optional
        External inputs of the co-simulation (as for :meth:`CoSimulation.simulate`).
    alpha, beta, kappa : float
        Merwe scaled sigma-point parameters (filterpy's ``MerweScaledSigmaPoints``).
    """

    def __init__(
        self,
        simulation: Any,
        *,
        measured: Mapping[str, float],
        estimate: Sequence[EstimatedParameter],
        step: float,
        initial_std: Mapping[str, float] | None = None,
        process_noise: Mapping[str, float] | None = None,
        parameters: Mapping[str, Any] | None = None,
        inputs: Mapping[str, Any] | None = None,
        alpha: float = 1.0,
        beta: float = 2.0,
        kappa: float = 0.0,
    ) -> None:
        from physics_twin.fmu.master import CoSimulation

        if not isinstance(simulation, CoSimulation):
            simulation = CoSimulation([simulation], name=simulation.name)
        self.simulation = simulation
        self.step = float(step)
        self.alpha, self.beta, self.kappa = alpha, beta, kappa
        self.parameters = dict(parameters or {})
        self.inputs = dict(inputs or {})
        problems: list[str] = []
        outputs = simulation.output_names()
        for name, std in measured.items():
            if name not in outputs:
                problems.append(unknown_name_message("measured output", name, outputs, f"co-simulation {simulation.name!r}"))
            if not (isinstance(std, (int, float)) and math.isfinite(std) and std > 0):
                problems.append(f"measurement noise of `{name}` must be a finite number > 0; got {std!r}.")
        if not self.step > 0:
            problems.append(f"`step` must be > 0 [s]; got {step!r}.")
        self.measured = tuple(measured)
        self._r = np.array([float(measured[n]) ** 2 for n in self.measured]) if not problems else np.zeros(0)
        self.state_names = tuple(simulation.state_names())
        self.estimate = tuple(estimate)
        self._transforms: list[str] = []
        self._units: list[str] = []
        self._targets: list[tuple[Any, str]] = []
        for item in self.estimate:
            target = self._parameter_target(item.name, problems)
            if target is None:
                continue
            self._targets.append(target)
            lower = target[2]
            transform = item.transform
            if transform == "auto":
                transform = "log" if lower >= 0 else "none"
            if transform not in ("log", "none"):
                problems.append(
                    f"`transform` of `{item.name}` must be 'auto', 'log' or 'none' for FMU filtering; got {item.transform!r}."
                )
            self._transforms.append(transform)
            self._units.append(target[3])
        unknown_states = [n for n in {**(initial_std or {}), **(process_noise or {})} if n not in self.state_names]
        for name in unknown_states:
            problems.append(unknown_name_message("state", name, self.state_names, f"co-simulation {simulation.name!r}"))
        self.simulation._check_configuration(np.array([0.0, self.step]))
        for member in simulation.members:
            fmu = getattr(member, "fmu", None)
            if fmu is not None and not fmu.capabilities.can_get_and_set_state:
                problems.append(
                    f"participant {member.name!r} cannot get and set its FMU state, which sigma-point propagation needs."
                )
        if problems:
            raise ParameterError(join_problems("invalid FMU filter settings:", problems))
        self._initial_std = dict(initial_std or {})
        self._process_noise = dict(process_noise or {})
        self.names = (*self.state_names, *(e.name for e in self.estimate))

    # -- parameters -------------------------------------------------------------------------------------------------
    def _parameter_target(self, qualified: str, problems: list[str]) -> tuple[Any, str, float, str] | None:
        member_name, _, variable = qualified.partition(".")
        member = self.simulation._by_name.get(member_name)
        if member is None:
            problems.append(
                unknown_name_message("participant", member_name, list(self.simulation._by_name), f"parameter {qualified!r}")
            )
            return None
        if hasattr(member, "fmu"):
            try:
                record = member.fmu.variable(variable)
            except ParameterError as exc:
                problems.append(str(exc))
                return None
            if record.kind != "float" or record.shape or record.causality != "parameter" or record.variability != "tunable":
                problems.append(
                    f"`{qualified}` must be a scalar tunable real parameter to be estimated; it is a {record.variability} "
                    f"{record.causality} {record.type}{record.shape or ''}."
                )
                return None
            return member, variable, record.minimum, record.unit
        names = member.model.parameter_names
        if variable not in names:
            problems.append(unknown_name_message("parameter", variable, names, f"participant {member_name!r}"))
            return None
        declaration = member.model.parameters[names.index(variable)]
        return member, variable, declaration.bounds[0], declaration.unit

    def _write_parameters(self, theta: np.ndarray) -> None:
        for (member, variable, _, _), value in zip(self._targets, theta, strict=True):
            if hasattr(member, "fmu"):
                member.fmu.set_values({variable: float(value)})
            else:
                member.p[member.model.parameter_names.index(variable)] = float(value)

    def _read_parameter(self, target: tuple[Any, str, float, str]) -> float:
        member, variable, _, _ = target
        if hasattr(member, "fmu"):
            return float(member.fmu.get_values([variable])[variable])
        return float(member.p[member.model.parameter_names.index(variable)])

    def _to_physical(self, z: np.ndarray) -> np.ndarray:
        theta = np.array(z, dtype=float)
        for i, transform in enumerate(self._transforms):
            if transform == "log":
                theta[i] = math.exp(theta[i])
        return theta

    def _to_transformed(self, theta: np.ndarray) -> np.ndarray:
        z = np.array(theta, dtype=float)
        for i, transform in enumerate(self._transforms):
            if transform == "log":
                if not theta[i] > 0:
                    raise ParameterError(
                        f"`{self.estimate[i].name}` is carried in log space: its initial value must be > 0; got {theta[i]!r}."
                    )
                z[i] = math.log(theta[i])
        return z

    # -- propagation ------------------------------------------------------------------------------------------------
    def _propagate(self, saved: Any, t: float, duration: float, z: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        simulation = self.simulation
        n = len(self.state_names)
        simulation.set_state(saved)
        self._write_parameters(self._to_physical(z[n:]))
        simulation.block_state = np.array(z[:n], dtype=float)
        simulation._propagate(t)
        steps = max(1, round(duration / self.step))
        h = duration / steps
        for k in range(steps):
            simulation._step(t + k * h, h, 0)
        simulation.time = t + duration
        y = np.array([float(simulation.output(name)) for name in self.measured])
        propagated = np.concatenate([simulation.block_state, z[n:]])
        return propagated, y

    # -- running ----------------------------------------------------------------------------------------------------
    def run(self, times: np.ndarray, measurements: np.ndarray, *, start_time: float | None = None) -> xr.Dataset:
        """Filter ``measurements`` (rows at ``times``) and return the posterior over time.

        Parameters
        ----------
        times : array_like, shape (n,)
            Strictly increasing sample times after ``start_time``. [s]
        measurements : array_like, shape (n, n_measured)
            Columns in the order of ``measured``; NaN marks a missing sample.
        start_time : float, optional
            Where the co-simulation starts (default: one step before ``times[0]``). [s]

        Returns
        -------
        xarray.Dataset
            ``<name>``, ``<name>_std``, ``<name>_p05``, ``<name>_p95`` for every state and estimated parameter;
            ``<output>_measured``, ``_predicted``, ``_innovation``; ``nis``, ``nis_dof``, ``nis_lower``,
            ``nis_upper``; attrs with the NIS summary.
        """
        from filterpy.kalman import MerweScaledSigmaPoints, UnscentedKalmanFilter

        times = np.asarray(times, dtype=float)
        measurements = np.asarray(measurements, dtype=float)
        if times.ndim != 1 or times.size == 0 or np.any(np.diff(times) <= 0) or not np.all(np.isfinite(times)):
            raise ParameterError("`times` must be a non-empty, finite, strictly increasing 1-D array [s].")
        if measurements.shape != (times.size, len(self.measured)):
            raise ShapeError(
                f"`measurements` must have shape ({times.size}, {len(self.measured)}) (columns {list(self.measured)}); "
                f"got {measurements.shape}."
            )
        start = float(times[0] - self.step if start_time is None else start_time)
        if not times[0] > start:
            raise ParameterError(f"`times` must start after `start_time` {start!r} s; got {times[0]!r} s.")
        simulation = self.simulation
        simulation.initialize(start, float(times[-1]), parameters=self.parameters, inputs=self.inputs)
        n_x, n_p = len(self.state_names), len(self.estimate)
        initial = []
        for item, target in zip(self.estimate, self._targets, strict=True):
            initial.append(item.initial if item.initial is not None else self._read_parameter(target))
        initial = np.array(initial, dtype=float)
        z0 = np.concatenate([simulation.block_state.copy(), self._to_transformed(initial)])
        std = np.empty(n_x + n_p)
        q_rate = np.zeros(n_x + n_p)
        for i, name in enumerate(self.state_names):
            std[i] = self._initial_std.get(name, 1e-6 * max(1.0, abs(z0[i])))
            q_rate[i] = self._process_noise.get(name, 0.0) ** 2
        for j, item in enumerate(self.estimate):
            scale = 1.0 / initial[j] if self._transforms[j] == "log" else 1.0
            std[n_x + j] = item.initial_std * scale
            q_rate[n_x + j] = (item.random_walk * scale) ** 2
        points = MerweScaledSigmaPoints(n_x + n_p, alpha=self.alpha, beta=self.beta, kappa=self.kappa)
        context: dict[str, Any] = {}
        cache: dict[bytes, np.ndarray] = {}
        stepped: list[np.ndarray] = []

        def fx(z: np.ndarray, dt: float) -> np.ndarray:
            propagated, y = self._propagate(context["saved"], context["t"], dt, z)
            cache[propagated.tobytes()] = y
            stepped.append(propagated)
            return propagated

        def hx(z: np.ndarray) -> np.ndarray:
            try:
                return cache[np.asarray(z, dtype=float).tobytes()]
            except KeyError:
                raise EstimationError("internal: a measurement was requested for a state the FMUs were not stepped to.") from None

        ukf = UnscentedKalmanFilter(
            dim_x=n_x + n_p, dim_z=len(self.measured), dt=float(times[0] - start), hx=hx, fx=fx, points=points
        )
        ukf.x = z0.copy()
        ukf.P = np.diag(std**2)
        ukf.R = np.diag(self._r)
        n = times.size
        z_post = np.empty((n, n_x + n_p))
        p_post = np.empty((n, n_x + n_p, n_x + n_p))
        y_pred = np.full((n, len(self.measured)), np.nan)
        innovation = np.full_like(y_pred, np.nan)
        innovation_var = np.full_like(y_pred, np.nan)
        nis = np.full(n, np.nan)
        dof = np.zeros(n, dtype=np.int64)
        saved = simulation.get_state()
        t = start
        try:
            for k in range(n):
                dt = float(times[k] - t)
                context.update(saved=saved, t=t)
                cache.clear()
                stepped.clear()
                ukf.Q = np.diag(q_rate * dt)
                posterior_mean = ukf.x.copy()
                try:
                    ukf.predict(dt=dt)
                except np.linalg.LinAlgError as exc:
                    raise EstimationError(
                        f"FMU filter stopped at sample {k} (t = {times[k]:.6g} s): the covariance lost positive "
                        f"definiteness ({exc}). Check the noise settings."
                    ) from None
                # put back the propagated points (filterpy redraws them from the prior; the FMUs only know these)
                ukf.sigmas_f = np.array(stepped, dtype=float)
                # the mean path gives the FMU state at the next sample
                self._propagate(saved, t, dt, posterior_mean)
                next_saved = simulation.get_state()
                saved.free()
                saved = next_saved
                row = measurements[k]
                if np.all(np.isfinite(row)):
                    ukf.update(row)
                    y = ukf.y
                    y_pred[k] = row - y
                    innovation[k] = y
                    innovation_var[k] = np.diag(ukf.S)
                    nis[k] = float(y @ ukf.SI @ y)
                    dof[k] = len(self.measured)
                else:
                    ukf.x_post, ukf.P_post = ukf.x.copy(), ukf.P.copy()
                if not np.all(np.isfinite(ukf.x)):
                    raise EstimationError(
                        f"FMU filter stopped at sample {k} (t = {times[k]:.6g} s): the estimate became non-finite."
                    )
                z_post[k] = ukf.x
                p_post[k] = ukf.P
                t = float(times[k])
        finally:
            saved.free()
        return self._dataset(times, measurements, z_post, p_post, y_pred, innovation, innovation_var, nis, dof)

    def _dataset(self, times, measurements, z_post, p_post, y_pred, innovation, innovation_var, nis, dof) -> xr.Dataset:
        n_x = len(self.state_names)
        std_z = np.sqrt(np.clip(np.einsum("nii->ni", p_post), 0.0, None))
        variables: dict[str, xr.DataArray] = {}
        state_units = {name: unit for name, (_, unit, _) in zip(self.state_names, self.simulation._state_meta(), strict=True)}
        for i, name in enumerate(self.names):
            if i < n_x:
                estimate, lower, upper, std, unit, kind = (
                    z_post[:, i],
                    z_post[:, i] - _Z95 * std_z[:, i],
                    z_post[:, i] + _Z95 * std_z[:, i],
                    std_z[:, i],
                    state_units[name],
                    "state",
                )
            else:
                j = i - n_x
                log = self._transforms[j] == "log"
                center = np.exp(z_post[:, i]) if log else z_post[:, i]
                lower = np.exp(z_post[:, i] - _Z95 * std_z[:, i]) if log else center - _Z95 * std_z[:, i]
                upper = np.exp(z_post[:, i] + _Z95 * std_z[:, i]) if log else center + _Z95 * std_z[:, i]
                estimate, std, unit, kind = center, std_z[:, i] * (center if log else 1.0), self._units[j], "parameter"
            variables[name] = xr.DataArray(
                estimate,
                dims="time",
                attrs={"units": unit, "description": f"posterior estimate ({kind}; median for log-carried)", "kind": kind},
            )
            variables[f"{name}_std"] = xr.DataArray(
                std, dims="time", attrs={"units": unit, "description": "posterior standard deviation (delta method)"}
            )
            variables[f"{name}_p05"] = xr.DataArray(
                lower, dims="time", attrs={"units": unit, "description": "posterior 5 % quantile"}
            )
            variables[f"{name}_p95"] = xr.DataArray(
                upper, dims="time", attrs={"units": unit, "description": "posterior 95 % quantile"}
            )
        for c, name in enumerate(self.measured):
            variables[f"{name}_measured"] = xr.DataArray(measurements[:, c], dims="time", attrs={"description": "measured value"})
            variables[f"{name}_predicted"] = xr.DataArray(
                y_pred[:, c], dims="time", attrs={"description": "one-step-ahead prediction"}
            )
            variables[f"{name}_innovation"] = xr.DataArray(
                innovation[:, c], dims="time", attrs={"description": "measured minus predicted"}
            )
            variables[f"{name}_innovation_std"] = xr.DataArray(
                np.sqrt(innovation_var[:, c]), dims="time", attrs={"description": "predicted innovation standard deviation"}
            )
        variables["nis"] = xr.DataArray(nis, dims="time", attrs={"units": "1", "description": "normalised innovation squared"})
        variables["nis_dof"] = xr.DataArray(dof, dims="time", attrs={"units": "1", "description": "channels in the update"})
        variables["nis_lower"] = xr.DataArray(
            np.where(dof > 0, stats.chi2.ppf(0.025, np.maximum(dof, 1)), np.nan),
            dims="time",
            attrs={"units": "1", "description": "2.5 % chi-square quantile"},
        )
        variables["nis_upper"] = xr.DataArray(
            np.where(dof > 0, stats.chi2.ppf(0.975, np.maximum(dof, 1)), np.nan),
            dims="time",
            attrs={"units": "1", "description": "97.5 % chi-square quantile"},
        )
        dataset = xr.Dataset(variables, coords={"time": ("time", times, {"units": "s", "description": "sample times"})})
        dataset.attrs.update(nis_summary(nis, dof))
        dataset.attrs.update({"model": self.simulation.name, "filter": "UKF (filterpy) over FMUs"})
        return dataset
