"""Results as xarray Datasets: dimension ``time`` in seconds, one variable per declared signal.

Every variable carries ``attrs["units"]`` and ``attrs["description"]``; the dataset records the
model name and what produced it.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import numpy as np
import xarray as xr

from physics_twin.core.model import Model

__all__ = ["model_dataset", "signal_attrs"]


def signal_attrs(record: Any, kind: str) -> dict[str, str]:
    """Attributes of a variable built from a declaration record."""
    return {"units": record.unit, "description": record.description, "kind": kind}


def model_dataset(
    model: Model,
    times: np.ndarray,
    states: np.ndarray,
    inputs: np.ndarray,
    outputs: np.ndarray,
    parameters: np.ndarray | None = None,
    attrs: Mapping[str, Any] | None = None,
) -> xr.Dataset:
    """Pack trajectories (rows = times) into a Dataset.

    One variable per state, input and output, named as declared; a name used twice (an output that repeats a state,
    such as a motor's ``current``) is stored once as declared (the state) and then as ``"<name>:input"`` or
    ``"<name>:output"``.

    Parameters
    ----------
    model : Model
        Supplies names, units and descriptions.
    times : numpy.ndarray, shape (n,)
        Time points. [s]
    states, inputs, outputs : numpy.ndarray, shape (n, n_states|n_inputs|n_outputs)
        Trajectories in SI units.
    parameters : numpy.ndarray, optional
        Parameter vector used; defaults to the model's. [SI]
    attrs : mapping, optional
        Extra dataset attributes.
    """
    variables: dict[str, xr.DataArray] = {}
    for records, values, kind in (
        (model.states, states, "state"),
        (model.inputs, inputs, "input"),
        (model.outputs, outputs, "output"),
    ):
        for column, record in enumerate(records):
            name = record.name if record.name not in variables else f"{record.name}:{kind}"
            variables[name] = xr.DataArray(values[:, column], dims="time", attrs=signal_attrs(record, kind))
    dataset = xr.Dataset(
        variables, coords={"time": ("time", np.asarray(times, float), {"units": "s", "description": "time since start"})}
    )
    dataset["parameter_value"] = xr.DataArray(
        model.parameter_values if parameters is None else np.asarray(parameters, float),
        dims="parameter",
        attrs={"description": "parameter values used (SI units, see parameter_unit)"},
    )
    dataset = dataset.assign_coords(
        state=("state", np.asarray(model.state_names, dtype=str)),  # the state names; length 0 for algebraic models
        parameter=("parameter", np.asarray(model.parameter_names, dtype=str)),  # str even when empty
        parameter_unit=("parameter", np.asarray([p.unit for p in model.parameters], dtype=str)),
    )
    dataset.attrs.update({"model": model.name, "producer": "physics_twin"})
    dataset.attrs.update(attrs or {})
    return dataset
