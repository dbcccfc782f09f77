"""The RUL contract: building, validation messages, versioning, JSON round trip, atomic writing, the action rule."""

from __future__ import annotations

import copy
import json
import math
import os
from datetime import UTC, datetime

import numpy as np
import pytest

from physics_twin.components.bearing_degradation import BearingDegradation
from physics_twin.errors import ParameterError
from physics_twin.prognostics import (
    SCHEMA_VERSION,
    ActionPolicy,
    ContractError,
    FailureThreshold,
    HealthIndicator,
    LoadScenario,
    PosteriorSamples,
    build_rul_document,
    parameter_set_hash,
    predict_rul,
    read_rul_document,
    rul_document_schema,
    validate_rul_document,
    write_rul_document,
)
from physics_twin.prognostics import contract as contract_module

RATE = 1e-5
HOUR = 3600.0
ESTIMATE = datetime(2026, 3, 1, 8, 0, tzinfo=UTC)
NIS_OK = {"nis_mean": 1.02, "nis_band_lower": 0.93, "nis_band_upper": 1.08, "nis_samples": 1200}


@pytest.fixture(scope="module")
def model():
    return BearingDegradation(baseline_vibration=0.1, growth_rate=RATE).model()


def _rul(model, damage, horizon=60 * 86400.0):
    damage = np.atleast_1d(np.asarray(damage, float))
    samples = PosteriorSamples(damage[:, None], np.tile(model.parameter_values, (damage.size, 1)))
    failure = FailureThreshold("vibration_level", 0.3, ">=", "outer-race spall")
    return predict_rul(model, samples, failure, LoadScenario.constant({}, "nominal: 2000 rpm, 26.7 kN"), horizon=horizon)


def _document(model, rul, **overrides):
    options = dict(
        asset_id="pump-7/bearing-DE",
        estimate_time=ESTIMATE,
        model_name=model.name,
        parameter_set_version=parameter_set_hash(model.parameter_names, model.parameter_values),
        utilisation=0.75,
        consistency=NIS_OK,
        data_quality_flags=["gaps"],
    )
    options.update(overrides)
    return build_rul_document(rul, **options)


@pytest.fixture(scope="module")
def spread_rul(
    model,
):
    # damage spread so that the samples fail between ~120 h and ~165 h of operation (ln(2 / D0) / c)
    return _rul(model, np.geomspace(0.006, 0.03, 41))


@pytest.fixture
def document(model, spread_rul):
    return _document(model, spread_rul)


@pytest.mark.parametrize("strict", [False, True])
def test_schema_is_valid_draft_2020_12(strict):
    import jsonschema

    jsonschema.Draft202012Validator.check_schema(rul_document_schema(strict=strict))


def test_built_document_validates_and_round_trips(document, spread_rul):
    validate_rul_document(document)
    validate_rul_document(document, strict=True)  # what physics_twin emits passes the producer check
    assert document["schema_version"] == SCHEMA_VERSION
    text = json.dumps(document, allow_nan=False)  # raises on NaN
    assert json.loads(text) == document
    # calendar = operating / utilisation (0.75)
    operating = [q["value"] for q in document["rul"]["operating"]["quantiles"]]
    calendar = [q["value"] for q in document["rul"]["calendar"]["quantiles"]]
    np.testing.assert_allclose(calendar, np.array(operating) / 0.75, rtol=1e-12)
    np.testing.assert_allclose(operating, [q.value / HOUR for q in spread_rul.quantiles((0.05, 0.5, 0.95))], rtol=1e-12)
    # the failure signal is the first health indicator, its median value over the samples: 0.1 (1 + D0 median = 0.0134)
    indicator = document["health_indicators"][0]
    assert indicator["name"] == "vibration_level" and indicator["threshold"] == 0.3 and indicator["unit"] == "m/s^2"
    assert indicator["value"] == pytest.approx(0.1 * (1 + math.sqrt(0.006 * 0.03)), rel=1e-12)
    assert document["estimator_consistency"]["consistent"] is True
    assert document["estimate_time"] == "2026-03-01T08:00:00Z"
    assert document["failure_probability"][0] == {"horizon": 24.0, "unit": "h", "clock": "calendar", "probability": 0.0}


def test_censored_quantiles_are_explicit(model):
    # horizon 130 h of operation: the samples with T > 130 h (about half) are censored
    rul = _rul(model, np.geomspace(0.006, 0.03, 41), horizon=130 * HOUR)
    document = _document(model, rul, utilisation=1.0, horizons=(24 * HOUR, 130 * HOUR), policy=ActionPolicy(lead_time=100 * HOUR))
    p95 = document["rul"]["operating"]["quantiles"][2]
    assert p95 == {"probability": 0.95, "censored": True, "greater_than": 130.0}
    assert document["end_of_life"]["quantiles"][2] == {"probability": 0.95, "censored": True, "after": "2026-03-06T18:00:00Z"}
    assert "NaN" not in json.dumps(document)
    assert 0 < document["censoring"]["censored_fraction"] < 1


def test_missing_field_is_named(document):
    broken = copy.deepcopy(document)
    del broken["asset_id"]
    del broken["model"]["parameter_set_version"]
    with pytest.raises(ContractError, match=r"`asset_id` is missing(.|\n)*`model.parameter_set_version` is missing"):
        validate_rul_document(broken)


def test_wrong_type_is_named(document):
    broken = copy.deepcopy(document)
    broken["censoring"]["censored_fraction"] = "0.1"
    broken["rul"]["operating"]["quantiles"][1]["value"] = True
    with pytest.raises(ContractError, match=r"`censoring.censored_fraction` must be of type number; got '0.1'") as info:
        validate_rul_document(broken)
    assert "`rul.operating.quantiles[1].value` must be of type number; got True" in str(info.value)


@pytest.mark.parametrize(
    ("edit", "message"),
    [
        (lambda d: d.update(schema_version="physics_twin.rul/1.0"), r"`schema_version` must be physics_twin.rul/1.MINOR.PATCH"),
        (
            lambda d: d["health_indicators"][0].update(value=float("nan")),
            r"`health_indicators\[0\].value` must be a finite number",
        ),
        (
            lambda d: d["rul"]["operating"]["quantiles"][0].update(censored=True),
            r"`rul.operating.quantiles\[0\].greater_than` is missing",
        ),
        (
            lambda d: d["rul"]["calendar"]["quantiles"][2].update(value=1.0),
            r"`rul.calendar.quantiles\[2\].value` must not be smaller",
        ),
        (
            lambda d: d["rul"]["operating"]["quantiles"][1].update(probability=0.01),
            r"`rul.operating.quantiles\[1\].probability` must be greater",
        ),
        (
            lambda d: d["failure_probability"][2].update(probability=0.0) or d["failure_probability"][1].update(probability=0.5),
            r"`failure_probability` must not decrease",
        ),
        (lambda d: d["recommended_action"].update(action="panic"), r"`recommended_action.action`: 'panic' is not one of"),
        (lambda d: d.update(estimate_time="2026-03-01 08:00"), r"`estimate_time`: '2026-03-01 08:00' does not match"),
    ],
)
def test_invalid_documents_are_rejected(document, edit, message):
    broken = copy.deepcopy(document)
    edit(broken)
    with pytest.raises(ContractError, match=message):
        validate_rul_document(broken)


# -- versioning: consumers accept any 1.x.y with unknown fields; the producer check is strict --------------
def _later_minor(document):
    """The document as a hypothetical physics_twin.rul/1.7.3 producer would write it: optional fields added."""
    later = copy.deepcopy(document)
    later["schema_version"] = "physics_twin.rul/1.7.3"
    later["site"] = {"plant": "line-2"}
    later["model"]["training_window_h"] = 720.0
    later["rul"]["operating"]["quantiles"][0]["standard_error"] = 0.4
    return later


def test_consumer_accepts_later_minor_version_with_added_fields(tmp_path, document):
    later = _later_minor(document)
    validate_rul_document(later)
    target = tmp_path / "rul.json"
    target.write_text(json.dumps(later), encoding="utf-8")
    assert read_rul_document(target) == later
    write_rul_document(tmp_path / "relayed.json", later, strict=False)  # passed on unchanged


def test_producer_check_refuses_added_fields_and_other_minor_versions(tmp_path, document):
    later = _later_minor(document)
    with pytest.raises(ContractError, match="strict check of physics_twin's own output") as info:
        validate_rul_document(later, strict=True)
    message = str(info.value)
    assert "`schema_version` must be physics_twin.rul/1.0.PATCH" in message
    for field in ("site", "model.training_window_h", "rul.operating.quantiles[0].standard_error"):
        assert f"`{field}` is not a field of physics_twin.rul/1.0" in message
    with pytest.raises(ContractError, match=r"`surplus` is not a field"):
        write_rul_document(tmp_path / "rul.json", dict(document, surplus=1))  # the writer checks strictly by default
    assert os.listdir(tmp_path) == []
    validate_rul_document(dict(document, schema_version="physics_twin.rul/1.0.4"), strict=True)  # patch versions agree


@pytest.mark.parametrize("strict", [False, True])
def test_other_major_version_is_refused_with_one_message(document, strict):
    newer = dict(copy.deepcopy(document), schema_version="physics_twin.rul/2.0.0", surplus=1)
    del newer["asset_id"]
    with pytest.raises(ContractError) as info:
        validate_rul_document(newer, strict=strict)
    assert str(info.value) == (
        "the RUL document has schema_version 'physics_twin.rul/2.0.0', major version 2: this validator reads major "
        "version 1 only (physics_twin.rul/1.x.y); another major version may rename or remove fields and needs a "
        "consumer written for it."
    )


@pytest.mark.parametrize("strict", [False, True])
def test_misspelt_required_field_fails(document, strict):
    broken = _later_minor(document) if not strict else copy.deepcopy(document)
    broken["model"]["parameter_set_verison"] = broken["model"].pop("parameter_set_version")
    with pytest.raises(
        ContractError,
        match=r"`model.parameter_set_version` is missing \(required\); `model.parameter_set_verison` is present: misspelt\?",
    ) as info:
        validate_rul_document(broken, strict=strict)
    assert ("`model.parameter_set_verison` is not a field" in str(info.value)) is strict


def test_censoring_cannot_switch_off(document):
    broken = copy.deepcopy(document)
    quantiles = broken["rul"]["operating"]["quantiles"]
    value = quantiles[1].pop("value")
    quantiles[1].update(censored=True, greater_than=value)
    with pytest.raises(ContractError, match=r"`rul.operating.quantiles\[2\].censored` is false after a censored lower quantile"):
        validate_rul_document(broken)


def test_atomic_write_and_read_back(tmp_path, document):
    target = tmp_path / "rul.json"
    assert write_rul_document(target, document) == target
    assert read_rul_document(target) == document
    assert sorted(os.listdir(tmp_path)) == ["rul.json"]


def test_failed_serialisation_leaves_no_partial_file(tmp_path, document):
    target = tmp_path / "rul.json"
    write_rul_document(target, document)
    before = target.read_bytes()
    broken = copy.deepcopy(document)
    # an object json cannot encode, placed late in the document: json.dump has already streamed the first part of the
    # document into the temporary file when it fails
    broken["data_quality"]["flags"].append(object())
    with pytest.raises(ContractError, match="cannot serialise the RUL document to JSON"):
        write_rul_document(target, broken, validate=False)
    assert target.read_bytes() == before
    assert sorted(os.listdir(tmp_path)) == ["rul.json"]


def test_failed_rename_leaves_target_untouched(tmp_path, document, monkeypatch):
    target = tmp_path / "rul.json"
    target.write_text("old", encoding="utf-8")

    def failing_replace(source, destination):
        raise OSError("disk gone")

    monkeypatch.setattr(contract_module.os, "replace", failing_replace)
    with pytest.raises(OSError, match="disk gone"):
        write_rul_document(target, document)
    assert target.read_text(encoding="utf-8") == "old"
    assert sorted(os.listdir(tmp_path)) == ["rul.json"]


def test_invalid_document_is_not_written(tmp_path, document):
    broken = copy.deepcopy(document)
    del broken["asset_id"]
    with pytest.raises(ContractError, match="`asset_id` is missing"):
        write_rul_document(tmp_path / "rul.json", broken)
    assert os.listdir(tmp_path) == []


# -- the action rule -------------------------------------------------------------------------------------
# A single sample with damage D0 fails at T = ln(2 / D0) / c operating seconds; at utilisation 0.5 the calendar RUL is 2 T.


def _calendar_hours(d0):
    return 2 * math.log(2.0 / d0) / RATE / HOUR


def test_action_continue_when_p5_beyond_lead_time(model):
    rul = _rul(model, [0.01])  # 2 x 147.2 h = 294.4 h calendar > 168 h lead time
    assert _calendar_hours(0.01) > 168
    action = _document(model, rul, utilisation=0.5)["recommended_action"]
    assert action["action"] == "continue_operation"
    assert "294.4 h" in action["reason"]


def test_action_plan_when_p5_within_lead_time(model):
    rul = _rul(model, [0.1])  # 2 ln(20) / 1e-5 s = 166.4 h calendar <= 168 h
    assert 24 < _calendar_hours(0.1) <= 168
    assert _document(model, rul, utilisation=0.5)["recommended_action"]["action"] == "plan_maintenance"


def test_action_stop_when_failed_or_imminent(model):
    assert _document(model, _rul(model, [2.5]), utilisation=0.5)["recommended_action"]["action"] == "stop"  # D0 > D_th
    rul = _rul(model, [1.5])  # 2 ln(4/3) / 1e-5 s = 16.0 h calendar <= 24 h
    assert _calendar_hours(1.5) <= 24
    document = _document(model, rul, utilisation=0.5)
    assert document["recommended_action"]["action"] == "stop"
    assert document["censoring"]["already_failed"] is False


def test_action_review_when_nis_outside_band(model):
    rul = _rul(model, [0.01])
    inconsistent = dict(NIS_OK, nis_mean=1.5)
    document = _document(model, rul, utilisation=0.5, consistency=inconsistent)
    assert document["estimator_consistency"]["consistent"] is False
    assert document["recommended_action"]["action"] == "review_model"


def test_unknown_consistency_is_null(model):
    document = _document(model, _rul(model, [0.01]), consistency={"nis_mean": float("nan"), "nis_samples": 0})
    assert document["estimator_consistency"] == {
        "nis_mean": None,
        "nis_band_lower": None,
        "nis_band_upper": None,
        "nis_samples": 0,
        "consistent": None,
    }
    assert document["recommended_action"]["action"] == "continue_operation"


def test_build_errors(model):
    short = _rul(model, [0.01], horizon=100 * HOUR)
    with pytest.raises(
        ParameterError, match=r"prediction horizon \(100 h calendar at utilisation 1\) must reach the policy's `lead_time`"
    ):
        _document(model, short, utilisation=1.0, horizons=(24 * HOUR,))
    with pytest.raises(ParameterError, match="`horizons` must lie in"):
        _document(model, short, utilisation=1.0, policy=ActionPolicy(lead_time=48 * HOUR))
    rul = _rul(model, [0.01])
    with pytest.raises(ParameterError, match="`estimate_time` must be a timezone-aware datetime"):
        _document(model, rul, estimate_time=datetime(2026, 3, 1))
    with pytest.raises(ParameterError, match=r"`quantiles` must be strictly increasing"):
        _document(model, rul, quantiles=(0.5, 0.05))
    with pytest.raises(ParameterError, match=r"`stop_time` must be a finite number in \[0, lead_time\)"):
        _document(model, rul, policy=ActionPolicy(lead_time=HOUR, stop_time=2 * HOUR))
    with pytest.raises(ContractError, match=r"`asset_id`: '' should be non-empty"):
        _document(model, rul, asset_id="")


def test_extra_health_indicators_and_hash(model):
    rul = _rul(model, [0.01])
    extra = HealthIndicator("bearing.temperature", 341.0, 373.15, "K")
    document = _document(model, rul, health_indicators=[extra])
    assert document["health_indicators"][1] == {
        "name": "bearing.temperature",
        "value": 341.0,
        "threshold": 373.15,
        "unit": "K",
        "direction": ">=",
    }
    names, values = model.parameter_names, model.parameter_values
    assert parameter_set_hash(names, values) == parameter_set_hash(names, values.copy())
    changed = values.copy()
    changed[1] *= 1 + 1e-15
    assert parameter_set_hash(names, changed) != parameter_set_hash(names, values)
    assert parameter_set_hash(names, values).startswith("sha256:")
