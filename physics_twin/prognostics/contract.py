"""The RUL contract: one versioned JSON document per estimate, for maintenance systems.

The document states who (asset), when (estimate time, UTC), with what (model and parameter-set
version, predictor), what failure (failure mode: signal, threshold, unit, direction), the
remaining useful life as quantiles on the operating and the calendar clock, the predicted
end-of-life instants (UTC), failure probabilities within horizons, the future-load assumption,
the health indicators, the estimator's consistency (mean NIS and its chi-square band),
data-quality flags and a recommended action. Its JSON Schema ships with the package
(``rul_contract_v1.schema.json``, draft 2020-12); ``docs/prognostics.md`` shows an example.

Censoring: a quantile beyond the prediction horizon is ``{"censored": true, "greater_than": H}``
(an end-of-life quantile ``{"censored": true, "after": T}``); a known one carries ``value``
(``time``). No field is ever NaN: numbers that are unavailable are ``null`` where the schema
allows it (the NIS block), and non-finite numbers make a document invalid.

Versioning: ``schema_version`` is ``physics_twin.rul/MAJOR.MINOR.PATCH``. A minor version only adds
optional fields, so the v1 schema accepts any ``1.x.y`` and unknown properties: that is what a
consumer checks (``validate_rul_document(document)``, :func:`read_rul_document`). The producer
check (``strict=True``: :func:`build_rul_document`, :func:`write_rul_document`) derives a strict
schema from it: no property the schema does not name, and ``schema_version`` ``1.0.x``, the
version this library writes. Another major version is refused with one message.

Validation uses the ``jsonschema`` library (draft 2020-12) and adds the checks a schema cannot
express (ordered quantile levels, monotone values, censoring that never switches off again,
failure probabilities non-decreasing with the horizon, finite numbers). Every problem is listed.

Writing is atomic: the document goes to a temporary file in the target folder, is flushed to disk
and then renamed over the target (``os.replace``), so a reader sees either the old or the new
document, never a half-written one.
"""

from __future__ import annotations

import contextlib
import copy
import difflib
import functools
import hashlib
import itertools
import json
import math
import os
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from importlib import resources
from pathlib import Path
from typing import Any

import numpy as np

from physics_twin.errors import DataError, ParameterError, join_problems
from physics_twin.io.outputs import write_atomically
from physics_twin.prognostics.rul import RULDistribution, _aware_utc, _check_utilisation, _iso

__all__ = [
    "SCHEMA_VERSION",
    "ActionPolicy",
    "ContractError",
    "HealthIndicator",
    "build_rul_document",
    "parameter_set_hash",
    "read_rul_document",
    "recommend_action",
    "rul_document_schema",
    "rul_document_text",
    "validate_rul_document",
    "write_rul_document",
]

#: Version written into every document; consumers of major version 1 accept any ``physics_twin.rul/1.x.y``.
SCHEMA_VERSION = "physics_twin.rul/1.0.0"
_SCHEMA_FILE = "rul_contract_v1.schema.json"
_VERSION = re.compile(r"^physics_twin\.rul/([0-9]+)\.([0-9]+)\.([0-9]+)$")
_MAJOR, _MINOR = (int(part) for part in _VERSION.match(SCHEMA_VERSION).groups()[:2])  # type: ignore[union-attr]
_HOUR = 3600.0


class ContractError(DataError):
    """A RUL document does not satisfy the contract, or cannot be written."""


@dataclass(frozen=True)
class HealthIndicator:
    """A health indicator reported beside the RUL.

    Parameters
    ----------
    name : str
        Signal name (``"bearing.vibration_level"``).
    value : float
        Current value. [unit]
    threshold : float
        Failure threshold. [unit]
    unit : str
        Unit of value and threshold.
    direction : {">=", "<="}
        Failed when the value is at or above / at or below the threshold.
    """

    name: str
    value: float
    threshold: float
    unit: str
    direction: str = ">="

    def to_dict(self) -> dict[str, Any]:
        return {
            "name": self.name,
            "value": float(self.value),
            "threshold": float(self.threshold),
            "unit": self.unit,
            "direction": self.direction,
        }


@dataclass(frozen=True)
class ActionPolicy:
    """The rule that turns a RUL distribution into a recommended action.

    With ``q`` the ``probability`` quantile of the calendar RUL (the 5 % quantile by default: the
    time by which failure has that probability), the first matching line applies:

    1. the asset is already past its threshold (:attr:`RULDistribution.already_failed`), or
       ``q <= stop_time``: ``"stop"``;
    2. ``q <= lead_time``: ``"plan_maintenance"``;
    3. the estimator is inconsistent (mean NIS outside its chi-square band): ``"review_model"``;
    4. otherwise: ``"continue_operation"``.

    A censored ``q`` is beyond the prediction horizon; the prediction horizon (calendar) must
    therefore reach ``lead_time``.

    Parameters
    ----------
    lead_time : float
        Calendar time needed to plan and carry out maintenance. [s]
    stop_time : float
        Calendar time below which the asset should be stopped. [s]
    probability : float
        Quantile level of the calendar RUL the rule looks at, in (0, 1).
    """

    lead_time: float = 7 * 86400.0
    stop_time: float = 86400.0
    probability: float = 0.05

    RULE = (
        "q = {p:g} quantile of the calendar RUL; stop if already past the threshold or q <= {stop:g} h; "
        "plan_maintenance if q <= {lead:g} h; review_model if the mean NIS lies outside its chi-square band; "
        "else continue_operation"
    )

    def check(self) -> None:
        problems = []
        if not (isinstance(self.lead_time, (int, float)) and math.isfinite(self.lead_time) and self.lead_time > 0):
            problems.append(f"`lead_time` must be a finite number > 0 [s]; got {self.lead_time!r}.")
        if not (
            isinstance(self.stop_time, (int, float)) and math.isfinite(self.stop_time) and 0 <= self.stop_time < self.lead_time
        ):
            problems.append(f"`stop_time` must be a finite number in [0, lead_time) [s]; got {self.stop_time!r}.")
        if not (isinstance(self.probability, (int, float)) and 0 < self.probability < 1):
            problems.append(f"`probability` must be in (0, 1); got {self.probability!r}.")
        if problems:
            raise ParameterError(join_problems("invalid action policy:", problems))


def recommend_action(
    rul: RULDistribution, utilisation: float, policy: ActionPolicy | None = None, consistent: bool | None = None
) -> dict[str, Any]:
    """The recommended action under ``policy`` (see :class:`ActionPolicy`) as a contract block.

    Parameters
    ----------
    rul : RULDistribution
        The distribution.
    utilisation : float
        Operating hours per calendar hour, in (0, 1].
    policy : ActionPolicy, optional
        The rule's settings; defaults to ``ActionPolicy()``.
    consistent : bool or None
        Whether the estimator's NIS lies in its band; None when unknown (no effect on the rule).

    Raises
    ------
    ParameterError
        When the prediction horizon in calendar time is shorter than the lead time.
    """
    policy = policy or ActionPolicy()
    policy.check()
    utilisation = _check_utilisation(utilisation)
    horizon_calendar = rul.horizon / utilisation
    if horizon_calendar < policy.lead_time * (1 - 1e-12):
        raise ParameterError(
            f"the prediction horizon ({horizon_calendar / _HOUR:.6g} h calendar at utilisation {utilisation:g}) must reach the "
            f"policy's `lead_time` ({policy.lead_time / _HOUR:.6g} h); "
            f"predict with `horizon` >= {policy.lead_time * utilisation:.6g} s."
        )
    q = rul.quantile(policy.probability, unit="s", clock="calendar", utilisation=utilisation)
    level = f"p{100 * policy.probability:g}"
    shown = f"> {q.bound / _HOUR:.4g} h" if q.censored else f"{q.bound / _HOUR:.4g} h"
    if rul.already_failed:
        action, reason = (
            "stop",
            f"{100 * rul.fraction_failed_at_start:.3g} % of the samples are past the threshold at the estimate time",
        )
    elif not q.censored and q.bound <= policy.stop_time:
        action, reason = "stop", f"{level} calendar RUL {shown} <= stop time {policy.stop_time / _HOUR:g} h"
    elif not q.censored and q.bound <= policy.lead_time:
        action, reason = "plan_maintenance", f"{level} calendar RUL {shown} <= lead time {policy.lead_time / _HOUR:g} h"
    elif consistent is False:
        action, reason = "review_model", f"{level} calendar RUL {shown}, but the mean NIS lies outside its chi-square band"
    else:
        action, reason = "continue_operation", f"{level} calendar RUL {shown} > lead time {policy.lead_time / _HOUR:g} h"
    return {
        "action": action,
        "reason": reason,
        "rule": ActionPolicy.RULE.format(p=policy.probability, stop=policy.stop_time / _HOUR, lead=policy.lead_time / _HOUR),
        "probability": float(policy.probability),
        "lead_time_hours": policy.lead_time / _HOUR,
        "stop_time_hours": policy.stop_time / _HOUR,
    }


def parameter_set_hash(names: Sequence[str], values: Sequence[float] | np.ndarray) -> str:
    """A short, stable version tag of a parameter vector: ``"sha256:"`` + 16 hex digits.

    The hash covers the names and the exact float64 values (``float.hex``), so any change of a
    value or of the layout gives a new tag.
    """
    values = np.asarray(values, dtype=float).ravel()
    if len(names) != values.size:
        raise ParameterError(f"`names` and `values` must have the same length; got {len(names)} and {values.size}.")
    payload = json.dumps([[str(n), float(v).hex()] for n, v in zip(names, values, strict=True)], separators=(",", ":"))
    return "sha256:" + hashlib.sha256(payload.encode("utf-8")).hexdigest()[:16]


def _consistency_block(consistency: Mapping[str, Any] | None) -> dict[str, Any]:
    """NIS block from ``nis_summary``-style keys (``nis_mean``, ``nis_band_lower``, ``nis_band_upper``, ``nis_samples``)."""

    def number(key: str) -> float | None:
        value = None if consistency is None else consistency.get(key)
        if value is None:
            return None
        value = float(value)
        return value if math.isfinite(value) else None

    mean, lower, upper = number("nis_mean"), number("nis_band_lower"), number("nis_band_upper")
    samples = 0 if consistency is None else int(consistency.get("nis_samples", 0) or 0)
    known = mean is not None and lower is not None and upper is not None
    return {
        "nis_mean": mean,
        "nis_band_lower": lower,
        "nis_band_upper": upper,
        "nis_samples": samples,
        "consistent": bool(lower <= mean <= upper) if known else None,  # type: ignore[operator]
    }


def build_rul_document(
    rul: RULDistribution,
    *,
    asset_id: str,
    estimate_time: datetime,
    model_name: str,
    parameter_set_version: str,
    failure_mode: str | None = None,
    utilisation: float = 1.0,
    quantiles: Sequence[float] = (0.05, 0.5, 0.95),
    horizons: Sequence[float] = (86400.0, 7 * 86400.0, 30 * 86400.0),
    health_indicators: Sequence[HealthIndicator] = (),
    consistency: Mapping[str, Any] | None = None,
    data_quality_flags: Sequence[str] = (),
    policy: ActionPolicy | None = None,
) -> dict[str, Any]:
    """Assemble and validate one RUL contract document.

    Parameters
    ----------
    rul : RULDistribution
        Monte-Carlo result of :func:`~physics_twin.prognostics.predict_rul`.
    asset_id : str
        Identifier of the asset in the maintenance system.
    estimate_time : datetime
        Time of the estimate (the posterior's time), timezone-aware; written in UTC.
    model_name : str
        Name of the model (``model.name``).
    parameter_set_version : str
        Version of the parameter set, e.g. :func:`parameter_set_hash` of the posterior parameters.
    failure_mode : str, optional
        Failure-mode name; default ``rul.failure.name`` or else the signal name.
    utilisation : float
        Operating hours per calendar hour, in (0, 1]; converts to the calendar clock.
    quantiles : sequence of float
        RUL quantile levels to report, increasing in (0, 1).
    horizons : sequence of float
        Calendar horizons for failure probabilities, within the prediction horizon. [s]
    health_indicators : sequence of HealthIndicator
        Further indicators; the failure signal (median over the samples at the estimate) is always first.
    consistency : mapping, optional
        The filter's NIS summary (``dataset.attrs`` of a filter run, or
        :func:`~physics_twin.estimation.nis_summary`): ``nis_mean``, ``nis_band_lower``,
        ``nis_band_upper``, ``nis_samples``.
    data_quality_flags : sequence of str
        Lower-case identifiers such as ``"gaps"``, ``"gated_samples"``, ``"missing_channels"``.
    policy : ActionPolicy, optional
        Rule for the recommended action.

    Returns
    -------
    dict
        A document that passes :func:`validate_rul_document` (``strict=True``).
    """
    from physics_twin import __version__

    if not isinstance(rul, RULDistribution):
        raise ParameterError(f"`rul` must be a RULDistribution (from predict_rul); got {type(rul).__name__}.")
    utilisation = _check_utilisation(utilisation)
    start = _aware_utc(estimate_time, "estimate_time")
    levels = [float(q) for q in quantiles]
    if not levels or any(not 0 < q < 1 for q in levels) or any(b <= a for a, b in itertools.pairwise(levels)):
        raise ParameterError(f"`quantiles` must be strictly increasing levels in (0, 1); got {list(quantiles)}.")
    calendar_horizons = np.asarray(list(horizons), dtype=float)
    probabilities = (
        rul.failure_probability(calendar_horizons, clock="calendar", utilisation=utilisation)
        if calendar_horizons.size
        else np.zeros(0)
    )
    block = _consistency_block(consistency)
    failure = rul.failure
    indicators = [
        HealthIndicator(
            failure.signal, float(np.median(rul.initial_signal)), failure.threshold, rul.signal_unit, failure.direction
        )
    ]
    indicators += list(health_indicators)

    def on_clock(clock: str) -> dict[str, Any]:
        values = rul.quantiles(levels, unit="h", clock=clock, utilisation=utilisation)
        return {"clock": clock, "unit": "h", "utilisation": utilisation, "quantiles": [q.to_dict() for q in values]}

    document = {
        "schema_version": SCHEMA_VERSION,
        "asset_id": asset_id,
        "estimate_time": _iso(start),
        "generated_by": {"library": "physics_twin", "version": __version__},
        "model": {"name": model_name, "parameter_set_version": parameter_set_version},
        "failure_mode": {
            "name": failure_mode or failure.name or failure.signal,
            "signal": failure.signal,
            "threshold": float(failure.threshold),
            "unit": rul.signal_unit,
            "direction": failure.direction,
        },
        "method": dict(rul.method),
        "rul": {"operating": on_clock("operating"), "calendar": on_clock("calendar")},
        "censoring": {
            "horizon_operating_hours": rul.horizon / _HOUR,
            "horizon_calendar_hours": rul.horizon / utilisation / _HOUR,
            "censored_fraction": rul.censored_fraction,
            "already_failed": rul.already_failed,
            "fraction_failed_at_start": rul.fraction_failed_at_start,
            "diverged_fraction": float(np.mean(rul.diverged)),
        },
        "end_of_life": {"clock": "calendar", "quantiles": [q.to_dict() for q in rul.end_of_life(start, utilisation, levels)]},
        "failure_probability": [
            {"horizon": float(h / _HOUR), "unit": "h", "clock": "calendar", "probability": float(p)}
            for h, p in zip(calendar_horizons, probabilities, strict=True)
        ],
        "future_load": copy.deepcopy(rul.future_load),
        "health_indicators": [i.to_dict() for i in indicators],
        "estimator_consistency": block,
        "data_quality": {"flags": [str(f) for f in data_quality_flags]},
        "recommended_action": recommend_action(rul, utilisation, policy, block["consistent"]),
    }
    validate_rul_document(document, strict=True)
    return document


# -- validation ----------------------------------------------------------------------------------------
@functools.lru_cache(maxsize=1)
def _schema_text() -> str:
    return resources.files("physics_twin.prognostics").joinpath(_SCHEMA_FILE).read_text(encoding="utf-8")


def _close_objects(node: Any) -> None:
    """Set ``additionalProperties: false`` on every object schema that names its properties (in place)."""
    if isinstance(node, dict):
        if node.get("type") == "object" and "properties" in node:
            node.setdefault("additionalProperties", False)
        for item in node.values():
            _close_objects(item)
    elif isinstance(node, list):
        for item in node:
            _close_objects(item)


def rul_document_schema(strict: bool = False) -> dict[str, Any]:
    """The JSON Schema of the contract (a fresh copy).

    Parameters
    ----------
    strict : bool
        False (default): the shipped v1 schema, for consumers: any ``physics_twin.rul/1.x.y``,
        unknown properties allowed. True: the producer's schema derived from it: no unknown
        properties in any object, ``schema_version`` of this library's minor version (1.0.x).
    """
    schema = json.loads(_schema_text())
    if strict:
        _close_objects(schema)
        schema["properties"]["schema_version"]["pattern"] = rf"^physics_twin\.rul/{_MAJOR}\.{_MINOR}\.[0-9]+$"
    return schema


@functools.lru_cache(maxsize=2)
def _validator(strict: bool) -> Any:
    import jsonschema

    schema = rul_document_schema(strict)
    jsonschema.Draft202012Validator.check_schema(schema)
    return jsonschema.Draft202012Validator(schema)


def _path(parts: Sequence[Any]) -> str:
    text = ""
    for part in parts:
        text += f"[{part}]" if isinstance(part, int) else (f".{part}" if text else str(part))
    return text or "(document)"


def _unknown(error: Any) -> list[str]:
    """Keys of the failing object that its schema does not name."""
    known = error.schema.get("properties", {}) if isinstance(error.schema, Mapping) else {}
    return [str(key) for key in error.instance if key not in known]


def _schema_problems(error: Any, strict: bool) -> list[str]:
    """One line per problem of a jsonschema error."""
    where = list(error.absolute_path)
    if error.validator == "required" and isinstance(error.instance, Mapping):
        missing = [name for name in error.validator_value if name not in error.instance]
        unknown = _unknown(error)
        texts = []
        for name in missing:
            close = difflib.get_close_matches(name, unknown, n=1, cutoff=0.75)
            hint = f"; `{_path([*where, close[0]])}` is present: misspelt?" if close else ""
            texts.append(f"`{_path([*where, name])}` is missing (required){hint}")
        return texts
    if error.validator == "type":
        return [f"`{_path(where)}` must be of type {error.validator_value}; got {error.instance!r}"]
    if error.validator == "additionalProperties" and isinstance(error.instance, Mapping):  # strict check only
        return [
            f"`{_path([*where, name])}` is not a field of physics_twin.rul/{_MAJOR}.{_MINOR} (only the strict check refuses it)"
            for name in _unknown(error)
        ]
    if error.validator == "pattern" and where == ["schema_version"]:
        if strict:
            return [
                f"`schema_version` must be physics_twin.rul/{_MAJOR}.{_MINOR}.PATCH, the version physics_twin writes; "
                f"got {error.instance!r} (a consumer validates with strict=False)"
            ]
        return [f"`schema_version` must be physics_twin.rul/{_MAJOR}.MINOR.PATCH; got {error.instance!r}"]
    return [f"`{_path(where)}`: {error.message}"]


def _non_finite(value: Any, where: list[Any], problems: list[str]) -> None:
    if isinstance(value, float) and not math.isfinite(value):
        problems.append(f"`{_path(where)}` must be a finite number (the contract never holds NaN or infinity); got {value!r}")
    elif isinstance(value, Mapping):
        for key, item in value.items():
            _non_finite(item, [*where, key], problems)
    elif isinstance(value, (list, tuple)):
        for k, item in enumerate(value):
            _non_finite(item, [*where, k], problems)


def _ordinal(value: Any) -> float | None:
    """A number, or an ISO 8601 time as a POSIX timestamp; None when neither."""
    if isinstance(value, (int, float)) and not isinstance(value, bool):
        return float(value)
    if isinstance(value, str):
        with contextlib.suppress(ValueError):
            return datetime.fromisoformat(value.replace("Z", "+00:00")).timestamp()
    return None


def _quantile_problems(entries: Any, where: list[Any], value_key: str, problems: list[str]) -> None:
    """Levels strictly increasing, known values non-decreasing, censoring never switching off."""
    if not isinstance(entries, list):
        return
    previous_level, previous_value, censored_seen = -math.inf, None, False
    for k, entry in enumerate(entries):
        if not isinstance(entry, Mapping):
            return
        level, censored = entry.get("probability"), entry.get("censored")
        if isinstance(level, (int, float)) and level <= previous_level:
            problems.append(
                f"`{_path([*where, k, 'probability'])}` must be greater than the previous level {previous_level!r}; got {level!r}"
            )
        if isinstance(level, (int, float)):
            previous_level = level
        if censored is True:
            censored_seen = True
        elif censored is False:
            if censored_seen:
                problems.append(
                    f"`{_path([*where, k, 'censored'])}` is false after a censored lower quantile (censoring cannot switch off)"
                )
            value = _ordinal(entry.get(value_key))
            if previous_value is not None and value is not None and value < previous_value:
                problems.append(
                    f"`{_path([*where, k, value_key])}` must not be smaller than the previous quantile's; "
                    f"got {entry.get(value_key)!r}"
                )
            if value is not None:
                previous_value = value


def validate_rul_document(document: Any, *, strict: bool = False) -> None:
    """Check a document against the contract (JSON Schema draft 2020-12 plus semantic checks).

    Parameters
    ----------
    document : Any
        The parsed JSON document.
    strict : bool
        False (default, consumer): any ``physics_twin.rul/1.x.y``; properties the v1 schema does not
        name are ignored (later minor versions add optional fields). True (producer): exactly what
        this library writes: ``schema_version`` 1.0.x and no unknown property.

    Raises
    ------
    ContractError
        Listing every problem, each naming the field by its path (``rul.operating.quantiles[1].value``);
        for another major version only that.
    """
    if not isinstance(document, Mapping):
        raise ContractError(f"`document` must be a JSON object (dict); got {type(document).__name__}.")
    version = document.get("schema_version")
    match = _VERSION.match(version) if isinstance(version, str) else None
    if match and int(match[1]) != _MAJOR:
        raise ContractError(
            f"the RUL document has schema_version {version!r}, major version {int(match[1])}: this validator reads "
            f"major version {_MAJOR} only (physics_twin.rul/{_MAJOR}.x.y); another major version may rename or remove "
            "fields and needs a consumer written for it."
        )
    problems = [
        problem
        for error in sorted(_validator(strict).iter_errors(document), key=lambda e: list(map(str, e.absolute_path)))
        for problem in _schema_problems(error, strict)
    ]
    _non_finite(document, [], problems)
    rul = document.get("rul")
    if isinstance(rul, Mapping):
        for clock in ("operating", "calendar"):
            block = rul.get(clock)
            if isinstance(block, Mapping):
                _quantile_problems(block.get("quantiles"), ["rul", clock, "quantiles"], "value", problems)
                if block.get("clock") not in (None, clock):
                    problems.append(f"`rul.{clock}.clock` must be {clock!r}; got {block.get('clock')!r}")
    eol = document.get("end_of_life")
    if isinstance(eol, Mapping):
        _quantile_problems(eol.get("quantiles"), ["end_of_life", "quantiles"], "time", problems)
    failure = document.get("failure_probability")
    if isinstance(failure, list):
        pairs = [(e.get("horizon"), e.get("probability")) for e in failure if isinstance(e, Mapping)]
        pairs = [(h, p) for h, p in pairs if isinstance(h, (int, float)) and isinstance(p, (int, float))]
        for (h0, p0), (h1, p1) in zip(sorted(pairs), sorted(pairs)[1:], strict=False):
            if p1 < p0:
                problems.append(
                    f"`failure_probability` must not decrease with the horizon: {p0!r} at {h0!r} h but {p1!r} at {h1!r} h"
                )
    stamp = document.get("estimate_time")
    if isinstance(stamp, str):
        try:
            datetime.fromisoformat(stamp.replace("Z", "+00:00"))
        except ValueError:
            problems.append(f"`estimate_time` must be a valid ISO 8601 UTC time; got {stamp!r}")
    problems = [p for p in problems if p]
    if problems:
        scope = f"{_MAJOR}.{_MINOR}, strict check of physics_twin's own output" if strict else f"major version {_MAJOR}"
        raise ContractError(join_problems(f"the RUL document does not satisfy physics_twin.rul {scope}:", problems))


# -- files ---------------------------------------------------------------------------------------------
def write_rul_document(
    path: str | os.PathLike[str], document: Mapping[str, Any], *, validate: bool = True, strict: bool = True
) -> Path:
    """Write a document atomically (temporary file in the same folder, fsync, ``os.replace``).

    Parameters
    ----------
    path : path-like
        Target file; its folder must exist. An existing file is replaced only once the new
        document is completely on disk.
    document : mapping
        The document.
    validate : bool
        Validate before writing (default).
    strict : bool
        Validate as the producer (default: ``schema_version`` 1.0.x, no unknown property); False
        accepts any 1.x.y document, e.g. one passed on unchanged (see :func:`validate_rul_document`).

    Returns
    -------
    pathlib.Path
        The target path.

    Raises
    ------
    ContractError
        When the document is invalid or cannot be serialised; the target is then untouched and
        no temporary file is left behind.
    """
    text = rul_document_text(document, validate=validate, strict=strict)
    target = Path(path)
    folder = target.parent if str(target.parent) else Path(".")
    if not folder.is_dir():
        raise ContractError(f"`path` must be in an existing folder; {str(folder)!r} does not exist.")
    return write_atomically(target, lambda name: Path(name).write_text(text, encoding="utf-8"), "path")


def rul_document_text(document: Mapping[str, Any], *, validate: bool = True, strict: bool = True) -> str:
    """The document as the JSON text :func:`write_rul_document` writes (validated first, as there).

    Raises
    ------
    ContractError
        When the document is invalid or cannot be serialised (NaN, objects JSON does not know).
    """
    if validate:
        validate_rul_document(document, strict=strict)
    try:
        return json.dumps(document, indent=2, allow_nan=False, ensure_ascii=False) + "\n"
    except (TypeError, ValueError) as exc:
        raise ContractError(f"cannot serialise the RUL document to JSON: {exc}") from exc


def read_rul_document(path: str | os.PathLike[str], *, strict: bool = False) -> dict[str, Any]:
    """Read and validate a document (as a consumer: any 1.x.y; ``strict``: see :func:`validate_rul_document`).

    Raises
    ------
    ContractError
        When the file is not JSON or the document does not satisfy the contract.
    """
    try:
        document = json.loads(Path(path).read_text(encoding="utf-8"))
    except json.JSONDecodeError as exc:
        raise ContractError(f"{os.fspath(path)!r} is not valid JSON: {exc}") from exc
    validate_rul_document(document, strict=strict)
    return document
