"""Prognostics: remaining useful life from degradation states, the RUL contract, prognostic metrics.

- :func:`predict_rul` (Monte Carlo, compiled) and :func:`predict_rul_unscented` propagate the
  estimator's posterior under a :class:`LoadScenario` until a :class:`FailureThreshold` is crossed.
- :func:`build_rul_document`, :func:`validate_rul_document`, :func:`write_rul_document`: the
  versioned JSON contract for maintenance systems (``rul_contract_v1.schema.json``).
- :mod:`physics_twin.prognostics.metrics`: alpha-lambda accuracy, prognostic horizon, relative
  accuracy, convergence (Saxena et al. 2010).

See ``docs/prognostics.md``.
"""

from physics_twin.prognostics import metrics
from physics_twin.prognostics.contract import (
    SCHEMA_VERSION,
    ActionPolicy,
    ContractError,
    HealthIndicator,
    build_rul_document,
    parameter_set_hash,
    read_rul_document,
    recommend_action,
    rul_document_schema,
    validate_rul_document,
    write_rul_document,
)
from physics_twin.prognostics.rul import (
    Augmentation,
    DivergenceWarning,
    EndOfLifeQuantile,
    FailureThreshold,
    LoadScenario,
    Posterior,
    PosteriorSamples,
    RULDistribution,
    RULQuantile,
    UnscentedRUL,
    predict_rul,
    predict_rul_unscented,
)

__all__ = [
    "SCHEMA_VERSION",
    "ActionPolicy",
    "Augmentation",
    "ContractError",
    "DivergenceWarning",
    "EndOfLifeQuantile",
    "FailureThreshold",
    "HealthIndicator",
    "LoadScenario",
    "Posterior",
    "PosteriorSamples",
    "RULDistribution",
    "RULQuantile",
    "UnscentedRUL",
    "build_rul_document",
    "metrics",
    "parameter_set_hash",
    "predict_rul",
    "predict_rul_unscented",
    "read_rul_document",
    "recommend_action",
    "rul_document_schema",
    "validate_rul_document",
    "write_rul_document",
]
