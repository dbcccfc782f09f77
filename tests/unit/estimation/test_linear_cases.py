"""Hard cases with linear models, where the exact Kalman filter is the independent answer.

For a linear process and measurement model every filter here (UKF, square-root UKF, EKF) must
reproduce the Kalman filter: the unscented transform of a Gaussian through a linear map is exact,
RK4 reproduces exp(A dt) exactly when A is nilpotent (A³ = 0 for the kinematic chain), and central
differences of a linear map are exact up to rounding.
"""

from __future__ import annotations

import decimal
import math

import numpy as np
import pytest

from physics_twin.estimation import ConditioningWarning, FilterState, Sensor, create_filter

from .conftest import KINEMATIC_JACOBIANS, BiasedVelocity, FirstOrderLag, Kinematics, RandomWalk

KINDS = ("sr-ukf", "ukf", "ekf")


def kalman_scalar(measurements, q, r, x0, p0):
    """The scalar Kalman filter by hand: predict P + q, gain P⁻/(P⁻ + r)."""
    x, p = x0, p0
    means, variances = [], []
    for z in measurements:
        p = p + q
        gain = p / (p + r)
        x = x + gain * (z - x)
        p = (1 - gain) * p
        means.append(x)
        variances.append(p)
    return np.array(means), np.array(variances)


@pytest.mark.parametrize("kind", KINDS)
def test_random_walk_equals_the_exact_kalman_filter(kind, rng):
    # Hard case 1: x_{k+1} = x_k + w, z = x + v, Q = R = 1, x0 = 0, P0 = 1, 50 measurements at t = 1..50 (the prior
    # is at t = 0, so each sample first predicts over dt = 1 s with Q = (1 /√s)² × 1 s = 1).
    # The steady variance solves P = (P + 1)/(P + 2), i.e. P² + P - 1 = 0, P = (√5 - 1)/2.
    model = RandomWalk().model()
    flt = create_filter(
        kind, model, measured={"first": 1.0}, initial_state={"x": 0.0}, initial_std={"x": 1.0}, process_noise={"x": 1.0}
    )
    times = np.arange(1.0, 51.0)
    z = np.cumsum(rng.normal(size=50)) + rng.normal(size=50)
    result, _ = flt.run(times, None, z[:, None], state=flt.initial_state(0.0))
    means, variances = kalman_scalar(z, 1.0, 1.0, 0.0, 1.0)
    np.testing.assert_allclose(result["x"].values, means, rtol=0, atol=1e-10)
    np.testing.assert_allclose(result["covariance"].values[:, 0, 0], variances, rtol=0, atol=1e-10)
    assert result["covariance"].values[-1, 0, 0] == pytest.approx((math.sqrt(5) - 1) / 2, abs=1e-10)


@pytest.mark.parametrize("kind", KINDS)
def test_partial_measurements_drop_out_per_channel(kind):
    # Hard case 3: P_prior = 1, two sensors H = [1, 1]ᵀ, R = diag(1, 1). Information adds: 1/P = 1 + (number present),
    # so P = 1/3 with both, 1/2 with one NaN, 1 with both NaN (the sample is then a prediction only).
    model = RandomWalk().model()
    flt = create_filter(kind, model, measured={"first": 1.0, "second": 1.0}, initial_std={"x": 1.0})
    for row, expected in (([0.3, -0.2], 1 / 3), ([np.nan, 0.5], 1 / 2), ([0.4, np.nan], 1 / 2), ([np.nan, np.nan], 1.0)):
        result, _ = flt.run([0.0], None, [row])
        assert result["covariance"].values[0, 0, 0] == pytest.approx(expected, abs=1e-12)
        assert int(result["nis_dof"].values[0]) == int(np.isfinite(row).sum())
        assert np.array_equal(np.isnan(result["first_innovation"].values), [np.isnan(row[0])])


@pytest.mark.parametrize("kind", KINDS)
def test_partial_measurements_batch_equals_streaming(kind):
    # The same three samples at one instant from P = 1: both channels (information 1 + 2 = 3), one (4), none (4),
    # in one batch and fed one sample at a time through FilterState, with no exception.
    model = RandomWalk().model()
    flt = create_filter(kind, model, measured={"first": 1.0, "second": 1.0}, initial_std={"x": 1.0})
    times = np.zeros(3)
    rows = np.array([[0.3, -0.2], [np.nan, 0.5], [np.nan, np.nan]])
    batch, _ = flt.run(times, None, rows)
    state = None
    streamed = []
    for k in range(3):
        piece, state = flt.run(times[k : k + 1], None, rows[k : k + 1], state=state)
        streamed.append(piece["covariance"].values[0, 0, 0])
        assert piece["x"].values[0] == pytest.approx(batch["x"].values[k], abs=1e-14)
    np.testing.assert_allclose(
        batch["covariance"].values[:, 0, 0], [1 / 3, 1 / 4, 1 / 4], rtol=0, atol=1e-12
    )  # EKF: rounding of the central differences
    np.testing.assert_allclose(streamed, batch["covariance"].values[:, 0, 0], rtol=0, atol=1e-15)


def kinematic_streams(rng):
    """Encoder and accelerometer at 100 Hz (interleaved, every fourth sample coinciding) and a 1 Hz check."""
    encoder_times = np.round(np.arange(300) * 0.01, 10)
    accelerometer_times = np.round(np.arange(300) * 0.01 + np.where(np.arange(300) % 4 == 0, 0.0, 0.005), 10)
    check_times = np.arange(3.0)

    def truth(t):
        return np.column_stack([0.5 * 0.3 * t**2 + 0.2 * t, 0.3 * t + 0.2, np.full(t.size, 0.3)])

    return {
        "encoder": (encoder_times, truth(encoder_times)[:, 0] + 1e-3 * rng.normal(size=300)),
        "accelerometer": (accelerometer_times, truth(accelerometer_times)[:, 2] + 0.05 * rng.normal(size=300)),
        "check": (check_times, truth(check_times)[:, :2] + [1e-3, 1e-2] * rng.normal(size=(3, 2))),
    }


SENSORS = (
    Sensor("encoder", {"position": 1e-3}),
    Sensor("accelerometer", {"acceleration": 0.05}),
    Sensor("check", {"position": 1e-3, "velocity": 1e-2}),
)
KINEMATIC_OPTIONS = dict(initial_std={"position": 0.1, "velocity": 0.1, "acceleration": 1.0}, process_noise={"acceleration": 0.5})


def inverse_longdouble(a):
    """Gauss-Jordan inverse in extended precision (numpy.linalg has no long double)."""
    n = a.shape[0]
    work = np.concatenate([a.astype(np.longdouble), np.eye(n, dtype=np.longdouble)], axis=1)
    for col in range(n):
        pivot = col + int(np.argmax(np.abs(work[col:, col])))
        work[[col, pivot]] = work[[pivot, col]]
        work[col] /= work[col, col]
        for row in range(n):
            if row != col:
                work[row] -= work[row, col] * work[col]
    return work[:, n:]


def linear_kalman(times, measurements, t0, x0, p0, q, channels, r):
    """The stacked linear Kalman filter for the kinematic chain in long double (x86: 64-bit mantissa), written with
    matrices: F = exp(A dt) (A³ = 0), P⁻ = F P Fᵀ + diag(q) dt, K = P Hᵀ S⁻¹, P = P - K S Kᵀ. Float64 matrices would
    not do as the reference: P⁻/R reaches 1e4 here and costs them ~4 digits."""
    ld = np.longdouble
    x, p, t_last = np.array(x0, ld), np.array(p0, ld), ld(t0)
    means, covariances = [], []
    for t, row in zip(times, measurements, strict=True):
        dt = ld(t) - t_last
        f = np.array([[1, dt, dt * dt / 2], [0, 1, dt], [0, 0, 1]], dtype=ld)
        x, p = f @ x, f @ p @ f.T + np.diag(np.array(q, ld)) * dt
        used = ~np.isnan(row)
        h = np.eye(3, dtype=ld)[channels[used]]
        s = h @ p @ h.T + np.diag(np.array(r[used], ld))
        gain = p @ h.T @ inverse_longdouble(s)
        x = x + gain @ (np.array(row[used], ld) - h @ x)
        p = p - gain @ s @ gain.T
        means.append(x.astype(float))
        covariances.append(p.astype(float))
        t_last = ld(t)
    return np.array(means), np.array(covariances)


@pytest.mark.parametrize("kind", KINDS)
def test_multirate_sequential_updates_equal_one_stacked_update(kind, rng):
    # Hard case 4: each sensor updates with its own channels; one after the other equals one stacked update (linear
    # model, block-diagonal R), and both equal the linear Kalman filter computed with matrices above.
    # The EKF gets the analytic Jacobians (central differences would add their rounding, ~1e-11 per step).
    model = Kinematics().model()
    jacobians = KINEMATIC_JACOBIANS if kind == "ekf" else {}
    sequential = create_filter(kind, model, sensors=SENSORS, **KINEMATIC_OPTIONS, **jacobians)
    stacked = create_filter(kind, model, sensors=SENSORS, sequential_updates=False, **KINEMATIC_OPTIONS, **jacobians)
    times, measurements = sequential.merge_streams(kinematic_streams(rng))
    prior = FilterState(-0.01, np.zeros(3), np.diag([0.01, 0.01, 1.0]), sequential.names, np.zeros(0))
    one, _ = sequential.run(times, None, measurements, state=prior)
    two, _ = stacked.run(times, None, measurements, state=prior)
    np.testing.assert_allclose(one["mean_transformed"].values, two["mean_transformed"].values, rtol=1e-9, atol=1e-12)
    np.testing.assert_allclose(one["covariance"].values, two["covariance"].values, rtol=1e-9, atol=1e-15)
    channels = np.array([0, 2, 0, 1])  # encoder.position, accelerometer.acceleration, check.position, check.velocity
    r = np.array([1e-3, 0.05, 1e-3, 1e-2]) ** 2
    means, covariances = linear_kalman(
        times, measurements, -0.01, np.zeros(3), np.diag([0.01, 0.01, 1.0]), [0, 0, 0.25], channels, r
    )
    np.testing.assert_allclose(one["mean_transformed"].values, means, rtol=1e-9, atol=1e-12)
    np.testing.assert_allclose(one["covariance"].values, covariances, rtol=1e-8, atol=1e-15)


def test_multirate_innovations_are_stored_per_sensor(rng):
    model = Kinematics().model()
    flt = create_filter("sr-ukf", model, sensors=SENSORS, **KINEMATIC_OPTIONS)
    streams = kinematic_streams(rng)
    times, measurements = flt.merge_streams(streams)
    result, _ = flt.run(times, None, measurements)
    for sensor, (sensor_times, _) in streams.items():
        reported = np.isin(times, sensor_times)
        for output in {"encoder": ["position"], "accelerometer": ["acceleration"], "check": ["position", "velocity"]}[sensor]:
            innovation = result[f"{sensor}.{output}_innovation"].values
            assert np.array_equal(np.isfinite(innovation), reported)
        assert np.array_equal(
            result[f"{sensor}_nis_dof"].values, np.where(reported, len(streams[sensor][1].reshape(len(sensor_times), -1)[0]), 0)
        )
    # coinciding samples share a row: 300 encoder + 225 accelerometer times off the encoder grid
    assert times.size == 300 + 225
    assert result["nis_dof"].values.max() == 4


def test_multirate_dimension_mismatch_is_a_clear_error(rng):
    flt = create_filter("sr-ukf", Kinematics().model(), sensors=SENSORS, **KINEMATIC_OPTIONS)
    streams = kinematic_streams(rng)
    streams["check"] = (streams["check"][0], streams["check"][1][:, :1])
    with pytest.raises(
        ValueError,
        match=r"sensor 'check' measures 2 value\(s\) per sample \(position, velocity\): its values must "
        r"have shape \(3, 2\); got values \(3, 1\)",
    ):
        flt.merge_streams(streams)
    with pytest.raises(ValueError, match=r"unknown sensor 'gyro' of this filter"):
        flt.merge_streams({"gyro": ([0.0], [1.0])})
    with pytest.raises(ValueError, match=r"`measurements` must have shape \(2, 4\) \(channels \['encoder.position'"):
        flt.run([0.0, 0.01], None, np.zeros((2, 3)))


def decimal_reference(steps, update_every, q, r, p0, reading):
    """The linear Kalman filter in 40-digit decimal arithmetic (the higher-precision reference of hard case 5)."""
    decimal.getcontext().prec = 40
    D = decimal.Decimal
    zero = D(0)
    p = [[D(float(p0[i][j])) for j in range(3)] for i in range(3)]
    x = [zero, zero, zero]
    q = [D(float(v)) for v in q]
    r = D(float(r))
    out = []
    for k in range(1, steps + 1):
        # F = [[1, 1, 0], [0, 1, 0], [0, 0, 1]] for dt = 1: P⁻ = F P Fᵀ + diag(q)
        fp = [[p[0][j] + p[1][j] for j in range(3)], list(p[1]), list(p[2])]
        p = [[fp[i][0] + fp[i][1], fp[i][1], fp[i][2]] for i in range(3)]
        x = [x[0] + x[1], x[1], x[2]]
        for i in range(3):
            p[i][i] += q[i]
        if k % update_every == 0:
            # H = [0, 1, 1]
            ph = [p[i][1] + p[i][2] for i in range(3)]
            s = ph[1] + ph[2] + r
            gain = [v / s for v in ph]
            nu = D(float(reading(k))) - (x[1] + x[2])
            x = [x[i] + gain[i] * nu for i in range(3)]
            p = [[p[i][j] - gain[i] * s * gain[j] for j in range(3)] for i in range(3)]
        out.append([[float(v) for v in row] for row in p])
    return np.array(out)


@pytest.mark.parametrize("kind", KINDS)
def test_mixed_scales_keep_the_covariance_accurate(kind):
    # Hard case 5: an unobserved position whose variance grows by 1e4 per step, a velocity, a bias with initial variance
    # 1e-9; 1000 one-second predictions with a velocity reading (velocity + bias) every 100 steps. P must stay symmetric
    # with non-negative diagonal and agree with the 40-digit decimal Kalman filter to 1e-6 (relative to
    # sqrt(P_ii P_jj) for each entry); the condition number (~1e17) triggers the rescaling warning.
    model = BiasedVelocity().model()
    flt = create_filter(
        kind,
        model,
        measured={"reading": 0.1},
        initial_std={"position": 1.0, "velocity": 1.0, "bias": math.sqrt(1e-9)},
        process_noise={"position": 100.0, "velocity": 0.1},
        max_step=1.0,
    )
    times = np.arange(1.0, 1001.0)

    def reading(k):
        return 0.5 + 0.01 * math.sin(k)

    measurements = np.full((1000, 1), np.nan)
    measurements[99::100, 0] = [reading(k) for k in range(100, 1001, 100)]
    with pytest.warns(ConditioningWarning, match=r"badly conditioned: condition number .* consider rescaling the state"):
        result, _ = flt.run(times, None, measurements, state=flt.initial_state(0.0))
    p = result["covariance"].values
    assert np.array_equal(p, np.swapaxes(p, 1, 2))
    assert np.all(np.einsum("nii->ni", p) >= 0)
    reference = decimal_reference(1000, 100, [1e4, 0.01, 0.0], 0.01, np.diag([1.0, 1.0, 1e-9]), reading)
    scale = np.sqrt(np.einsum("nii->ni", reference))
    np.testing.assert_array_less(np.abs(p - reference) / (scale[:, :, None] * scale[:, None, :]), 1e-6)
    assert result.attrs["covariance_condition_max"] > 1e12


@pytest.mark.parametrize("kind", KINDS)
def test_a_long_gap_is_sub_stepped_and_flagged(kind):
    # Hard case 7: lag with time constant 0.5 s, samples every 0.1 s for 10 s, a 60 s gap, then every 0.1 s again.
    # RK4 is unstable for h/τ > 2.785, so a 60 s step would explode; the filter integrates the gap in sub-steps of at
    # most max_step. Closed form with the input held over the gap: y(t0 + 60) = u + (y(t0) - u) exp(-60 / 0.5).
    model = FirstOrderLag().model()
    flt = create_filter(
        kind, model, measured={"y": 0.02}, initial_std={"y": 0.5}, process_noise={"y": 0.05}, max_step=0.05, gap_threshold=1.0
    )
    before = np.round(np.arange(0.0, 10.0, 0.1), 10)
    after = np.round(70.0 + np.arange(0.0, 10.0, 0.1), 10)
    times = np.concatenate([before, after])
    inputs = np.where(times < 5.0, 1.0, 2.0)[:, None]
    truth = np.where(
        times < 5.0, 1.0 - np.exp(-times / 0.5), 2.0 - (2.0 - (1.0 - math.exp(-10.0))) * np.exp(-(times - 5.0) / 0.5)
    )
    measurements = (truth + 0.02 * np.sin(np.arange(times.size)))[:, None]
    result, _ = flt.run(times, inputs, measurements)
    k = before.size  # the first sample after the gap
    y_before = result["y"].values[k - 1]
    held = inputs[k - 1, 0]
    np.testing.assert_allclose(
        result["y_predicted"].values[k], held + (y_before - held) * math.exp(-60.0 / 0.5), rtol=0, atol=1e-9
    )
    assert np.array_equal(np.flatnonzero(result["gap"].values), [k])
    assert result.attrs["gaps_flagged"] == 1
    prior_variance = result["y_innovation_std"].values[k] ** 2 - 0.02**2
    assert prior_variance > result["covariance"].values[k - 1, 0, 0]  # grew over the gap: 0.05² × 60 s of process noise
    assert math.isfinite(prior_variance) and prior_variance > 0
    assert np.all(np.linalg.eigvalsh(result["covariance"].values) > 0)
    np.testing.assert_allclose(result["y"].values[-1], 2.0, atol=0.02)
