"""Set-up checks, data handling, model checks (hard case 6), excitation freezing and the result layout."""

from __future__ import annotations

import math
import warnings

import numpy as np
import pytest

from physics_twin.core.declarations import State
from physics_twin.errors import EstimationError, ModelStructureError, ParameterError, ShapeError, UnitError
from physics_twin.estimation import (
    ConditioningWarning,
    EstimatedParameter,
    ExtendedKalmanFilter,
    FilterState,
    Sensor,
    UnscentedKalmanFilter,
    create_filter,
)

from .conftest import Damage, FirstOrderLag, Kinematics, NoisyInside, RandomWalk, SmallMotor


def test_a_model_with_noise_inside_is_rejected():
    # Hard case 6: rhs draws a random number, so two calls with the same (t, x, u, p) differ.
    with pytest.raises(
        ModelStructureError,
        match=r"`rhs` kernel returned different results for the same \(t, x, u, p\).*"
        r"declare it as process noise \(Q, `process_noise`",
    ):
        create_filter("sr-ukf", NoisyInside().model(), measured={"x": 0.1})


@pytest.mark.parametrize("kind", ["sr-ukf", "ukf", "ekf"])
def test_nonnegative_damage_comes_from_the_transform(kind, rng):
    # Hard case 6, second half: the damage D of the model is declared non-negative and carried as log D, so its
    # estimate and quantiles stay > 0 although the readings (D ≈ 0.02 with noise 0.05) are often negative and the
    # model has no abs(): rhs is D' = r D.
    model = Damage().model()
    flt = create_filter(
        kind,
        model,
        measured={"damage": 0.05},
        initial_std={"damage": 0.01},
        process_noise={"damage": 0.002},
        estimate=[EstimatedParameter("growth_rate", 0.005, 0.0)],
    )
    times = np.arange(200.0)
    readings = 0.02 * np.exp(0.01 * times) + 0.05 * rng.normal(size=200)
    assert np.sum(readings < 0) > 20
    result, _ = flt.run(times, None, readings[:, None])
    for name in ("damage", "damage_p05", "damage_p95", "growth_rate"):
        assert np.all(np.isfinite(result[name].values)) and np.all(result[name].values > 0)
    assert flt._transforms[0] == 1  # log


def test_excitation_freezes_unexcited_parameters(motor_data):
    # The friction is only visible through the speed; with zero voltage for the first 0.5 s the motor stands still,
    # nothing in the data is sensitive to the friction, and its update must freeze: the estimate holds exactly. Once
    # the voltage excites the motor the windowed information passes the threshold and the estimate moves.
    model, times, inputs, measurements, _ = motor_data
    inputs = inputs.copy()
    inputs[:500, 0] = 0.0
    measurements = measurements.copy()
    measurements[:500] = np.random.default_rng(3).normal(size=(500, 2)) * [0.05, 0.5]
    options = dict(
        measured={"current": 0.05, "shaft_speed": 0.5},
        initial_std={"current": 0.1, "shaft_speed": 1.0},
        process_noise={"current": 0.1, "shaft_speed": 1.0},
        max_step=1e-3,
        estimate=[EstimatedParameter("viscous_friction", 1e-4, 1e-6)],
    )
    flt = create_filter("sr-ukf", model, excitation_threshold=0.05, excitation_window=0.05, **options)
    result, _ = flt.run(times[:1000], inputs[:1000], measurements[:1000])
    frozen = result["viscous_friction_frozen"].values.astype(bool)
    friction = result["viscous_friction"].values
    assert frozen[10:500].all()
    assert np.ptp(friction[10:500]) < 1e-12 * friction[10]  # only the rounding of the sigma-point mean
    assert not frozen[700:].any()
    assert abs(friction[-1] - 1e-4) > 1e-6
    assert result["viscous_friction_excitation"].values[999] > 0.05
    free, _ = create_filter("sr-ukf", model, **options).run(times[:1000], inputs[:1000], measurements[:1000])
    assert np.ptp(free["viscous_friction"].values[10:500]) > 0.0


def test_freeze_mask_holds_every_parameter(motor_data):
    model, times, inputs, measurements, _ = motor_data
    flt = create_filter(
        "ukf",
        model,
        measured={"current": 0.05, "shaft_speed": 0.5},
        initial_std={"current": 0.1, "shaft_speed": 1.0},
        process_noise={"current": 0.1, "shaft_speed": 1.0},
        max_step=1e-3,
        estimate=[EstimatedParameter("resistance", 0.3), EstimatedParameter("viscous_friction", 1e-4)],
    )
    freeze = np.zeros(300, bool)
    freeze[100:200] = True
    result, _ = flt.run(times[:300], inputs[:300], measurements[:300], freeze_parameters=freeze)
    for name in ("resistance", "viscous_friction"):
        assert np.ptp(result[name].values[99:200]) < 1e-12 * result[name].values[99]
        assert np.array_equal(result[f"{name}_frozen"].values.astype(bool), freeze)
        # with a zero gain row the variance must not shrink (no random walk here: it stays)
        assert np.ptp(result[f"{name}_std"].values[99:200]) < 1e-12 * result[f"{name}_std"].values[99]


def test_batches_continue_through_the_filter_state(motor_data):
    model, times, inputs, measurements, _ = motor_data
    flt = UnscentedKalmanFilter(
        model,
        measured={"current": 0.05, "shaft_speed": 0.5},
        initial_std={"current": 0.1, "shaft_speed": 1.0},
        process_noise={"current": 0.1, "shaft_speed": 1.0},
        max_step=1e-3,
        estimate=[EstimatedParameter("resistance", 0.3, 0.01)],
    )
    whole, _ = flt.run(times[:300], inputs[:300], measurements[:300])
    _, state = flt.run(times[:120], inputs[:120], measurements[:120])
    state = FilterState.from_dict(state.to_dict())
    second, _ = flt.run(times[120:300], inputs[120:300], measurements[120:300], state=state)
    np.testing.assert_allclose(second["mean_transformed"].values, whole["mean_transformed"].values[120:], rtol=0, atol=1e-12)


def test_gating_counts_outliers_and_gives_way_to_a_persistent_jump():
    # NIS with one channel is chi-square(1); its 0.999 quantile is 10.83. A single 10 σ reading is rejected and counted;
    # a jump that persists is rejected gate_patience = 3 times, then a reading is accepted (and so on, three rejected,
    # one accepted, while the estimate catches up).
    model = RandomWalk().model()
    flt = create_filter(
        "sr-ukf", model, measured={"first": 0.1}, initial_std={"x": 0.1}, process_noise={"x": 0.01}, gate_probability=0.999
    )
    readings = np.zeros(300)
    readings[10] = 5.0
    readings[20:] = 5.0
    result, _ = flt.run(np.arange(300.0), None, readings[:, None])
    gated = np.flatnonzero(result["gated"].values).tolist()
    assert gated[:4] == [10, 20, 21, 22] and 23 not in gated
    assert result.attrs["samples_gated"] == len(gated)
    assert result["x"].values[-1] == pytest.approx(5.0, abs=0.1)


def test_result_layout_units_and_consistency(motor_data):
    model, times, inputs, measurements, _ = motor_data
    flt = create_filter(
        "sr-ukf",
        model,
        measured={"current": 0.05, "shaft_speed": 0.5},
        initial_std={"current": 0.1, "shaft_speed": 1.0},
        process_noise={"current": 0.1, "shaft_speed": 1.0},
        max_step=1e-3,
        estimate=[EstimatedParameter("resistance", 0.3, 0.01)],
    )
    result, _ = flt.run(times[:500], inputs[:500], measurements[:500])
    assert result["current"].attrs["units"] == "A"
    assert result["resistance_p05"].attrs["units"] == "ohm"
    assert np.all(result["resistance_p05"].values < result["resistance"].values)
    assert result["shaft_speed_innovation"].attrs["units"] == "rad/s"
    assert result["covariance"].dims == ("time", "augmented", "augmented_")
    assert set(result.attrs) >= {
        "nis_mean",
        "nis_band_lower",
        "nis_band_upper",
        "samples_gated",
        "gaps_flagged",
        "covariance_condition_max",
    }
    assert result.attrs["nis_band_lower"] < result.attrs["nis_expected"] == 2.0 < result.attrs["nis_band_upper"]
    assert np.all(result["covariance_condition"].values >= 1.0)


def test_set_up_problems_are_listed_together():
    model = SmallMotor().model()
    expected = (
        r"(?s)cannot set up the filter on model 'SmallMotor':"
        r".*unknown measured output in `measured` 'curent'.*Did you mean 'current'"
        r".*measurement noise of `shaft_speed` must be a finite number > 0 \[rad/s\]; got -1"
        r".*unknown parameter 'resistence'.*Did you mean 'resistance'"
        r".*`max_step` must be a finite number > 0 \[s\]; got 0"
        r".*`gate_patience` must be an integer >= 1; got 0"
        r".*`integrator` must be one of \['RK4', 'ROS2'\]; got 'Euler'"
    )
    with pytest.raises(ParameterError, match=expected):
        create_filter(
            "sr-ukf",
            model,
            measured={"curent": 0.1, "shaft_speed": -1.0},
            estimate=[EstimatedParameter("resistence", 0.1)],
            max_step=0,
            gate_patience=0,
            integrator="Euler",
        )


def test_other_set_up_errors():
    model = Kinematics().model()
    with pytest.raises(ParameterError, match=r"give either `measured` \(with `relative_noise`\) or `sensors`, not both"):
        create_filter("ukf", model, measured={"position": 1.0}, sensors=[Sensor("a", {"position": 1.0})])
    with pytest.raises(ParameterError, match=r"sensor name 'a' is used twice"):
        create_filter("ukf", model, sensors=[Sensor("a", {"position": 1.0}), Sensor("a", {"velocity": 1.0})])
    with pytest.raises(ParameterError, match=r"`kind` must be one of \['sr-ukf', 'ukf', 'ekf', 'dual-ukf'\]; got 'pf'"):
        create_filter("pf", model, measured={"position": 1.0})
    with pytest.raises(TypeError, match=r"unknown keyword argument\(s\) \['measurement'\]"):
        create_filter("ukf", model, measurement={"position": 1.0})
    with pytest.raises(ParameterError, match=r"`alpha` must be > 0 with alpha² \(n \+ kappa\) > 0 \(n = 3\); got alpha 0.0"):
        UnscentedKalmanFilter(model, measured={"position": 1.0}, alpha=0.0)
    with pytest.raises(
        ParameterError,
        match=r"kernel `rhs_jacobian` of model 'Kinematics' must write exactly 9 values into `out`; it leaves entries "
        r"\[3, 4, 5, 6, 7, 8\] of `out` unwritten",
    ):
        ExtendedKalmanFilter(model, measured={"position": 1.0}, rhs_jacobian=model.rhs)
    with pytest.raises(ParameterError, match=r"`excitation_threshold` must be a finite number > 0 or None; got -1"):
        create_filter("ukf", model, measured={"position": 1.0}, excitation_threshold=-1)


class AirGap(RandomWalk):
    """The random walk with its state named like a result variable of the filter (``gap``, the gap flags)."""

    STATES = (State("gap", "m", "air gap"),)


def test_names_that_would_overwrite_result_variables_are_refused():
    # A state `gap` would share the result variable `gap` with the gap flags, one silently replacing the other.
    with pytest.raises(ParameterError, match=r"result variable 'gap' would hold both the filter's own result and estimate 'gap'"):
        create_filter("ukf", AirGap().model(), measured={"first": 1.0})
    # one parameter estimated twice is refused when the filter is built (run() failed later, blaming `state`)
    with pytest.raises(ParameterError, match=r"parameter 'gain' is listed 2 times in `estimate`"):
        create_filter(
            "ukf",
            FirstOrderLag().model(),
            measured={"y": 0.1},
            estimate=[EstimatedParameter("gain", 0.1), EstimatedParameter("gain", 0.2)],
        )


def test_datetime_times_are_refused_not_read_as_ticks():
    # numpy datetime64[ns] ticks read as seconds would make a 0.1 s step 1e8 s (hours of sub-steps)
    flt = create_filter("sr-ukf", FirstOrderLag().model(), measured={"y": 0.1})
    stamps = np.datetime64("2024-01-01T00:00:00", "ns") + np.arange(3) * np.timedelta64(100, "ms")
    with pytest.raises(UnitError, match=r"`times` must be seconds \(numbers\); got datetimes \(datetime64\[ns\]\)"):
        flt.run(stamps, None, np.zeros((3, 1)))
    with pytest.raises(ParameterError, match=r"`times` must be numbers \[s\]; got values of type <U"):
        flt.run(["a", "b", "c"], None, np.zeros((3, 1)))
    result, _ = flt.run((stamps - stamps[0]) / np.timedelta64(1, "s"), None, np.zeros((3, 1)))  # the conversion offered
    np.testing.assert_allclose(result["time"].to_numpy(), [0.0, 0.1, 0.2])


def test_an_interval_needing_too_many_substeps_is_refused_before_running():
    # A timestamp error (1e6 s between two 0.1 s samples) at max_step 0.01 s would mean 1e8 sub-steps: refused with the
    # sample named, before any work; the limit is the filter's `max_substeps` (2.0 s / 0.01 s = 200 sub-steps here).
    flt = create_filter("sr-ukf", FirstOrderLag().model(), measured={"y": 0.1}, max_step=0.01)
    with pytest.raises(
        ParameterError,
        match=r"interval of 1e\+06 s before sample 2 \(t = 1e\+06 s\) would take 1e\+08 sub-steps.*max_substeps 1e\+07",
    ):
        flt.run([0.0, 0.1, 1e6 + 0.1], None, np.zeros((3, 1)))
    tight = create_filter("sr-ukf", FirstOrderLag().model(), measured={"y": 0.1}, max_step=0.01, max_substeps=199)
    with pytest.raises(ParameterError, match=r"would take 200 sub-steps of max_step 0.01 s, more than max_substeps 199"):
        tight.run([0.0, 2.0], None, np.zeros((2, 1)))
    enough = create_filter("sr-ukf", FirstOrderLag().model(), measured={"y": 0.1}, max_step=0.01, max_substeps=200)
    assert enough.run([0.0, 2.0], None, np.zeros((2, 1)))[0].sizes["time"] == 2
    with pytest.raises(ParameterError, match=r"`max_substeps` must be an integer >= 1; got 0.5"):
        create_filter("sr-ukf", FirstOrderLag().model(), measured={"y": 0.1}, max_substeps=0.5)


def test_run_input_errors():
    model = FirstOrderLag().model()
    flt = create_filter("sr-ukf", model, measured={"y": 0.1})
    with pytest.raises(ParameterError, match=r"`times` must be finite and non-decreasing"):
        flt.run([0.0, 2.0, 1.0], None, np.zeros((3, 1)))
    with pytest.raises(ShapeError, match=r"`inputs` must have shape \(2, 1\) \(inputs \['u'\]\); got \(2, 2\)"):
        flt.run([0.0, 1.0], np.zeros((2, 2)), np.zeros((2, 1)))
    with pytest.raises(ParameterError, match=r"`measurements` must be finite or NaN \(missing\); got infinite values"):
        flt.run([0.0, 1.0], None, [[0.0], [math.inf]])
    with pytest.raises(ParameterError, match=r"`measurements` must have shape \(2, 1\) .* of real numbers; got complex values"):
        flt.run([0.0, 1.0], None, np.array([[0.0], [1.0 + 2.0j]]))
    with pytest.raises(ShapeError, match=r"`freeze_parameters` must have shape \(2,\); got \(3,\)"):
        flt.run([0.0, 1.0], None, np.zeros((2, 1)), freeze_parameters=np.zeros(3, bool))
    other = FilterState(0.0, np.zeros(2), np.eye(2), ("a", "b"), np.zeros(1))
    with pytest.raises(ParameterError, match=r"`state` belongs to a filter over \['a', 'b'\], not \['y'\]"):
        flt.run([0.0], None, [[0.0]], state=other)
    with pytest.raises(ParameterError, match=r"`times` must start at or after the state's time 5.0 s; got 0.0 s"):
        flt.run([0.0], None, [[0.0]], state=flt.initial_state(5.0))


def test_divergence_stops_with_the_sample():
    # The lag with a time constant of 1e-3 s integrated in 1 s steps: RK4's amplification 1 + z + z²/2 + z³/6 + z⁴/24
    # at z = -1000 is ~4e10 per step, so without measurements the prediction overflows within ~10 steps.
    model = FirstOrderLag(time_constant=1e-3).model()
    flt = create_filter("sr-ukf", model, measured={"y": 0.1}, max_step=1.0, initial_std={"y": 1.0})
    readings = np.full((40, 1), np.nan)
    with pytest.raises(
        EstimationError, match=r"filter stopped at sample \d+ \(t = \d+ s\): a sigma point or its prediction became non-finite"
    ):
        flt.run(np.arange(40.0), np.ones((40, 1)), readings)


def test_merge_streams_rejects_repeated_times():
    flt = create_filter("sr-ukf", Kinematics().model(), sensors=[Sensor("encoder", {"position": 1e-3})])
    with pytest.raises(ParameterError, match=r"sensor 'encoder' reports twice at the same time"):
        flt.merge_streams({"encoder": ([0.0, 0.0], [1.0, 2.0])})


def test_condition_warning_can_be_switched_off():
    model = RandomWalk().model()
    flt = create_filter("sr-ukf", model, measured={"first": 1.0}, initial_std={"x": 1.0}, condition_warning=None)
    with warnings.catch_warnings():
        warnings.simplefilter("error", ConditioningWarning)
        result, _ = flt.run([0.0], None, [[0.0]])
    assert result.attrs["covariance_condition_max"] == 1.0


def test_dual_estimation_without_parameters_is_the_kalman_filter(rng):
    # With nothing to estimate the dual filter is its state filter alone: for the random walk (Q = R = 1) the exact
    # scalar Kalman filter (predict P + 1, gain P⁻/(P⁻ + 1)).
    model = RandomWalk().model()
    flt = create_filter("dual-ukf", model, measured={"first": 1.0}, initial_std={"x": 1.0}, process_noise={"x": 1.0})
    z = rng.normal(size=30)
    result, _ = flt.run(np.arange(1.0, 31.0), None, z[:, None], state=flt.initial_state(0.0))
    x, p = 0.0, 1.0
    for k, reading in enumerate(z):
        p += 1.0
        gain = p / (p + 1.0)
        x, p = x + gain * (reading - x), (1 - gain) * p
        assert result["x"].values[k] == pytest.approx(x, abs=1e-12)
        assert result["covariance"].values[k, 0, 0] == pytest.approx(p, abs=1e-12)
    assert result.attrs["filter"] == "dual UKF"


def test_dual_and_joint_estimation_both_learn_the_resistance(motor_data):
    # The motor data were made with R = 1.2 Ω; both estimators start at 1 Ω (σ 0.3) and must end within 2 % of it, with
    # the truth inside their 5-95 % band. The
    # dual filter keeps no state-parameter cross-covariance: its recorded covariance is block diagonal.
    model, times, inputs, measurements, _ = motor_data
    options = dict(
        measured={"current": 0.05, "shaft_speed": 0.5},
        initial_std={"current": 0.1, "shaft_speed": 1.0},
        process_noise={"current": 0.1, "shaft_speed": 1.0},
        max_step=1e-3,
        estimate=[EstimatedParameter("resistance", 0.3, 0.001)],
    )
    for kind in ("dual-ukf", "sr-ukf"):
        result, _ = create_filter(kind, model, **options).run(times, inputs, measurements)
        assert result["resistance"].values[-1] == pytest.approx(1.2, rel=0.02), kind
        assert result["resistance_p05"].values[-1] < 1.2 < result["resistance_p95"].values[-1], kind
    dual, _ = create_filter("dual-ukf", model, **options).run(times[:50], inputs[:50], measurements[:50])
    assert np.all(dual["covariance"].values[:, :2, 2] == 0.0)
    with pytest.raises(ParameterError, match=r"`estimation` must be 'joint' or 'dual'; got 'both'"):
        UnscentedKalmanFilter(model, estimation="both", **options)


def test_twin_config_chooses_the_filter():
    import tomllib
    from pathlib import Path

    from physics_twin.config import parse_config
    from physics_twin.errors import ConfigError
    from physics_twin.twin import Twin

    examples = Path(__file__).resolve().parents[3] / "examples"
    raw = tomllib.loads((examples / "skab_pump_motor.toml").read_text())
    assert parse_config(raw).filter.kind == "sr-ukf"  # the default
    raw["filter"]["kind"] = "ekf"
    twin = Twin(parse_config(raw, "skab_pump_motor.toml with kind = ekf"))
    result = twin.run(twin.read(examples / "skab" / "valve2_3.csv"))
    assert result.dataset.attrs["filter"] == "EKF"
    raw["filter"]["kind"] = "pf"
    with pytest.raises(ConfigError, match=r"`filter.kind` must be one of \['sr-ukf', 'ukf', 'ekf', 'dual-ukf'\]; got 'pf'"):
        parse_config(raw)
