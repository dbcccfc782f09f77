"""The standard suite every registered component must pass, and the meta-test that keeps the registry complete.

Registered components must be constructible from their declared defaults (every parameter has a default), so the
suite can exercise them without a parameter set.
"""

from __future__ import annotations

import importlib
import inspect
import math
import pkgutil

import numpy as np
import pytest
import xarray as xr

import physics_twin.components
from physics_twin.components.registry import COMPONENTS, component_class, list_components
from physics_twin.core import Component
from physics_twin.core.model import checked_kernel_values
from physics_twin.core.units import unit_registry
from physics_twin.errors import ConfigError

NAMES = sorted(COMPONENTS)


@pytest.fixture(params=NAMES)
def cls(request) -> type[Component]:
    return COMPONENTS[request.param]


def default_point(cls: type[Component]) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    return (
        np.array([s.start for s in cls.STATES], dtype=float),
        np.array([i.default for i in cls.INPUTS], dtype=float),
        cls("contract").parameter_values,
    )


# -- the declaration --------------------------------------------------------------------------------


def test_declaration_passes_the_class_check(cls):
    cls.check_declaration()


def test_names_are_unique_identifiers_within_each_group(cls):
    for group in (cls.STATES, cls.INPUTS, cls.OUTPUTS, cls.PARAMETERS):
        names = [record.name for record in group]
        assert len(names) == len(set(names))
        assert all(name.isidentifier() for name in names)


def test_units_parse_and_are_coherent_si(cls):
    # SI inside: each declared unit converts to SI base units with factor 1 and no offset
    registry = unit_registry()
    for record in (*cls.STATES, *cls.INPUTS, *cls.OUTPUTS, *cls.PARAMETERS):
        quantity = registry.Quantity(1.0, record.unit if record.unit.strip() else "1")
        assert math.isclose(quantity.to_base_units().magnitude, 1.0, rel_tol=1e-12), (record.name, record.unit)
        zero = registry.Quantity(0.0, record.unit if record.unit.strip() else "1").to_base_units().magnitude
        assert zero == 0.0, (record.name, record.unit)


def test_every_record_is_described(cls):
    for record in (*cls.STATES, *cls.INPUTS, *cls.OUTPUTS, *cls.PARAMETERS):
        assert record.description.strip(), record.name


def test_every_parameter_has_a_source_a_default_and_sane_bounds(cls):
    for parameter in cls.PARAMETERS:
        lower, upper = parameter.bounds
        assert parameter.source.strip(), parameter.name
        assert parameter.default is not None, parameter.name
        assert not (math.isnan(lower) or math.isnan(upper)), parameter.name
        assert lower <= upper, parameter.name
        assert math.isfinite(parameter.default), parameter.name
        assert lower <= parameter.default <= upper, parameter.name


def test_start_values_and_input_defaults_are_finite(cls):
    assert all(math.isfinite(s.start) for s in cls.STATES)
    assert all(math.isfinite(i.default) for i in cls.INPUTS)
    assert all(s.start >= 0.0 for s in cls.STATES if s.nonnegative)


def test_feedthrough_is_declared_explicitly(cls):
    # None would mean "every output depends on every input", which makes false algebraic loops in systems
    assert cls.FEEDTHROUGH is not None


# -- the kernels ------------------------------------------------------------------------------------


def test_kernels_write_exactly_their_declared_sizes_and_finite_values_at_the_defaults(cls, rng):
    # compiled loops do not check bounds: a kernel must fill every declared entry of `out` and nothing past it
    x, u, p = default_point(cls)
    for point in (x, x + rng.uniform(0.1, 1.0, x.shape)):
        dx = checked_kernel_values(cls.rhs, "rhs", len(cls.STATES), 0.0, point, u, p, cls.__name__)
        y = checked_kernel_values(cls.output, "output", len(cls.OUTPUTS), 0.0, point, u, p, cls.__name__)
        assert np.all(np.isfinite(dx)) and np.all(np.isfinite(y))


def test_kernels_do_not_modify_their_arguments(cls, rng):
    x, u, p = default_point(cls)
    x = x + rng.uniform(0.0, 1.0, x.shape)
    u = u * rng.uniform(0.5, 1.5, u.shape) + rng.uniform(0.0, 1.0, u.shape)
    copies = (x.copy(), u.copy(), p.copy())
    cls.derivative(0.0, x, u, p)
    cls.output_values(0.0, x, u, p)
    for before, after in zip(copies, (x, u, p), strict=True):
        assert np.array_equal(before, after)


def observed_feedthrough(cls: type[Component], rng: np.random.Generator, samples: int = 10) -> np.ndarray:
    """(n_outputs, n_inputs) booleans: True where perturbing the input changed the output at some random point."""
    x, u, p = default_point(cls)
    seen = np.zeros((len(cls.OUTPUTS), len(cls.INPUTS)), dtype=bool)
    for _ in range(samples):
        state = x + rng.uniform(0.1, 1.0, x.shape) * np.maximum(np.abs(x), 1.0)
        base_input = u + rng.uniform(0.1, 1.0, u.shape) * np.maximum(np.abs(u), 1.0)
        reference = cls.output_values(0.0, state, base_input, p)
        for column in range(len(cls.INPUTS)):
            perturbed = base_input.copy()
            perturbed[column] *= 1.7
            seen[:, column] |= cls.output_values(0.0, state, perturbed, p) != reference
    return seen


def test_outputs_without_declared_feedthrough_ignore_the_inputs(cls, rng):
    # The evaluation order of a System relies on FEEDTHROUGH: an output that secretly reads an input would be
    # computed from a stale value. Perturb each input and check every output not declared to depend on it.
    undeclared = observed_feedthrough(cls, rng) & ~cls.feedthrough_matrix()
    assert not undeclared.any(), [(cls.OUTPUTS[j].name, cls.INPUTS[i].name) for j, i in np.argwhere(undeclared)]


def test_declared_feedthrough_is_real(cls, rng):
    # the converse, a guard against over-declaring (which creates false algebraic loops): every declared
    # dependency shows up for some perturbation
    unused = cls.feedthrough_matrix() & ~observed_feedthrough(cls, rng)
    assert not unused.any(), [(cls.OUTPUTS[j].name, cls.INPUTS[i].name) for j, i in np.argwhere(unused)]


# -- simulation -------------------------------------------------------------------------------------


def test_simulate_returns_a_dataset_with_units_for_every_variable(cls):
    component = cls("contract")
    result = component.simulate(np.linspace(0.0, 1.0, 5))
    assert isinstance(result, xr.Dataset)
    assert result["time"].values.tolist() == np.linspace(0.0, 1.0, 5).tolist()
    assert result["time"].attrs["units"] == "s"
    declared = {
        "state": {s.name: s for s in cls.STATES},
        "input": {i.name: i for i in cls.INPUTS},
        "output": {o.name: o for o in cls.OUTPUTS},
    }
    seen = {"state": set(), "input": set(), "output": set()}
    # parameter values have one unit each, in the coordinate `parameter_unit` (a single `units` attr cannot hold them)
    assert result["parameter"].values.tolist() == [q.name for q in cls.PARAMETERS]
    assert result["parameter_unit"].values.tolist() == [q.unit for q in cls.PARAMETERS]
    assert "description" in result["parameter_value"].attrs
    for name, variable in result.data_vars.items():
        if name == "parameter_value":
            continue
        assert "units" in variable.attrs and "description" in variable.attrs, name
        if variable.dims == ("time",):
            kind = variable.attrs["kind"]
            record = declared[kind][name.split(":")[0]]
            assert variable.attrs["units"] == record.unit
            assert variable.attrs["description"] == record.description
            assert np.all(np.isfinite(variable.values)), name
            seen[kind].add(record.name)
    assert seen == {kind: set(records) for kind, records in declared.items()}


# -- the registry -----------------------------------------------------------------------------------


def _component_classes_in_the_package() -> set[type[Component]]:
    found: set[type[Component]] = set()
    package = physics_twin.components
    for module_info in pkgutil.walk_packages(package.__path__, prefix=f"{package.__name__}."):
        module = importlib.import_module(module_info.name)
        for _, obj in inspect.getmembers(module, inspect.isclass):
            if issubclass(obj, Component) and obj is not Component and obj.__module__ == module.__name__:
                found.add(obj)
    return found


def test_every_component_class_in_the_package_is_registered():
    defined = _component_classes_in_the_package()
    # the walk must see the classes we know about, or an empty walk would pass trivially
    assert {COMPONENTS["DCMotor"], COMPONENTS["PipeLoop"]} <= defined
    missing = sorted(c.__name__ for c in defined - set(COMPONENTS.values()))
    assert missing == [], f"add {missing} to physics_twin/components/registry.py"


def test_registry_names_are_the_class_names():
    assert all(name == cls.__name__ for name, cls in COMPONENTS.items())
    assert set(NAMES) <= set(list_components())
    assert all(component_class(name) is COMPONENTS[name] for name in NAMES)


def test_unknown_component_type_suggests_close_names():
    with pytest.raises(ConfigError, match=r"unknown component type 'DCMotr'\. Did you mean 'DCMotor'[,?]"):
        component_class("DCMotr")
    with pytest.raises(ConfigError, match=r"Known: \d+ names; `physics-twin components -v` lists them\.$"):
        component_class("NoSuchThing")
