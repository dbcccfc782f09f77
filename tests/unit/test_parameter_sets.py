"""The parameter-set loader: format, exact unit check, every problem listed at once."""

from __future__ import annotations

import math

import pytest

from physics_twin.components import CentrifugalPump
from physics_twin.errors import ConfigError, ParameterError, UnitError
from physics_twin.parameter_sets import ParameterSet, component_folder, list_parameter_sets, load_parameter_set

GOOD = """
[meta]
description = "test pump"
source = "written for this test"

[parameters.shutoff_head]
value = 30.0
unit = "m"
source = "test"

[parameters.rated_speed]
value = 300
unit = "rad/s"
source = "test"

[parameters.fluid_density]
value = 1000.0
unit = "kg*m^-3"
source = "test"
"""


def write(tmp_path, text, name="good", folder="centrifugal_pump"):
    path = tmp_path / folder
    path.mkdir(exist_ok=True)
    (path / f"{name}.toml").write_text(text, encoding="utf-8")
    return tmp_path


@pytest.mark.parametrize(
    ("registry_name", "folder"),
    [("DCMotor", "dc_motor"), ("CentrifugalPump", "centrifugal_pump"), ("PMSM", "pmsm"), ("InductionMotor", "induction_motor")],
)
def test_component_folder_is_the_snake_case_registry_name(registry_name, folder):
    assert component_folder(registry_name) == folder


def test_a_good_set_loads_as_a_mapping_with_units_and_sources(tmp_path):
    root = write(tmp_path, GOOD)
    values = load_parameter_set("CentrifugalPump", "good", directory=root)
    assert isinstance(values, ParameterSet)
    assert dict(values) == {"shutoff_head": 30.0, "rated_speed": 300.0, "fluid_density": 1000.0}
    assert isinstance(values["rated_speed"], float)
    assert values.units["fluid_density"] == "kg*m^-3"  # same pint unit as the declared "kg/m^3"
    assert values.sources["shutoff_head"] == "test"
    assert (values.description, values.source) == ("test pump", "written for this test")
    assert (values.component, values.name) == ("CentrifugalPump", "good")
    pump = CentrifugalPump("p", **values)
    assert pump.parameter("shutoff_head") == 30.0


def test_component_may_be_given_as_a_class_and_sets_are_listed(tmp_path):
    root = write(tmp_path, GOOD)
    write(root, GOOD, name="another")
    assert list_parameter_sets(CentrifugalPump, directory=root) == ["another", "good"]
    assert list_parameter_sets(directory=root) == {"CentrifugalPump": ["another", "good"]}
    assert load_parameter_set(CentrifugalPump, "good", directory=root)["shutoff_head"] == 30.0


def test_unknown_set_suggests_the_closest_and_says_how_to_list(tmp_path):
    root = write(tmp_path, GOOD)
    expected = (
        r"unknown parameter set 'godo' for component 'CentrifugalPump'.*Did you mean 'good'\?"
        r".*list_parameter_sets\('CentrifugalPump'\)"
    )
    with pytest.raises(ParameterError, match=expected):
        load_parameter_set("CentrifugalPump", "godo", directory=root)


def test_unknown_component_is_a_config_error_with_the_closest_name():
    with pytest.raises(ConfigError, match="Did you mean 'CentrifugalPump'"):
        load_parameter_set("CentrifugalPumps", "x")


def test_unit_mismatches_are_never_converted_and_list_every_problem(tmp_path):
    text = GOOD.replace('unit = "rad/s"', 'unit = "Hz"').replace('unit = "m"', 'unit = "mm"')
    root = write(tmp_path, text, name="bad_units")
    with pytest.raises(UnitError) as caught:
        load_parameter_set("CentrifugalPump", "bad_units", directory=root)
    message = str(caught.value)
    assert "`shutoff_head` must be given in 'm' exactly; got 'mm'; convert the value yourself (1 mm = 0.001 m" in message
    # Hz and rad/s are both 1/s to pint's dimensional analysis, but differ by 2*pi in meaning: rejected
    assert "`rated_speed` must be given in 'rad/s' exactly; got 'Hz'" in message


def test_a_convertible_but_different_unit_is_rejected():
    # J and N*m have the same dimension and factor 1, but the loader compares units, not dimensions
    from physics_twin.parameter_sets import _same_unit_exactly

    assert _same_unit_exactly("m*N", "N*m")
    assert not _same_unit_exactly("J", "N*m")
    assert not _same_unit_exactly("degC", "K")
    assert not _same_unit_exactly("not a unit", "K")


def test_every_kind_of_problem_is_reported_together(tmp_path):
    text = """
unexpected = 1

[meta]
description = ""
author = "x"

[parameters.shutof_head]
value = 1.0
unit = "m"
source = "x"

[parameters.bep_flow]
value = -1.0
unit = "m^3/s"
source = ""

[parameters.bep_head]
value = inf
unit = "m"
source = "x"
comment = "not allowed"

[parameters.bep_efficiency]
value = "high"
unit = "1"
source = "x"

[parameters.fluid_density]
value = 998.0
unit = "g/cm^3"
source = "x"

[parameters.shutoff_power]
unit = "W"
source = "x"
"""
    root = write(tmp_path, text, name="everything_wrong")
    with pytest.raises(UnitError) as caught:
        load_parameter_set("CentrifugalPump", "everything_wrong", directory=root)
    message = str(caught.value)
    expected = [
        "unknown top-level key 'unexpected'",
        "`meta.description` must be a non-empty string",
        "`meta.source` must be a non-empty string",
        "unknown key `meta.author`",
        "unknown parameter 'shutof_head' of CentrifugalPump. Did you mean 'shutoff_head'",
        "`bep_flow` needs a non-empty `source` string",
        "`bep_flow` must be within (0, inf] m^3/s; got -1.0",
        "`bep_head` has unknown key 'comment'",
        "`bep_head` must be finite [m]; got inf",
        "`bep_efficiency` must be a real number [1]; got 'high'",
        "`fluid_density` must be given in 'kg/m^3' exactly; got 'g/cm^3'",
        "`shutoff_power` needs a `value` [W]",
    ]
    missing = [e for e in expected if e not in message]
    assert missing == []


def test_cross_parameter_constraints_of_the_component_are_checked(tmp_path):
    text = GOOD.replace("value = 30.0", "value = 10.0")  # shut-off head below the default BEP head (15 m)
    root = write(tmp_path, text, name="rising_curve")
    with pytest.raises(ParameterError, match="`bep_head` must be below `shutoff_head`"):
        load_parameter_set("CentrifugalPump", "rising_curve", directory=root)


def test_malformed_toml_and_missing_tables(tmp_path):
    root = write(tmp_path, "[meta\n", name="broken")
    with pytest.raises(ParameterError, match="is not valid TOML"):
        load_parameter_set("CentrifugalPump", "broken", directory=root)
    write(root, "", name="empty")
    with pytest.raises(ParameterError, match=r"(?s)`\[meta\]` table is missing.*`\[parameters.<name>\]` tables are missing"):
        load_parameter_set("CentrifugalPump", "empty", directory=root)
    write(root, '[meta]\ndescription = "d"\nsource = "s"\n[parameters]\nshutoff_head = 3.0\n', name="flat")
    with pytest.raises(ParameterError, match=r"`shutoff_head` must be a table with `value`, `unit` and `source`; got 3\.0"):
        load_parameter_set("CentrifugalPump", "flat", directory=root)


def test_nan_values_are_rejected(tmp_path):
    root = write(tmp_path, GOOD.replace("value = 1000.0", "value = nan"), name="nan")
    with pytest.raises(ParameterError, match=r"`fluid_density` must be finite \[kg/m\^3\]; got nan"):
        load_parameter_set("CentrifugalPump", "nan", directory=root)
    assert math.isnan(float("nan"))


def test_packaged_sets_all_load():
    # every set shipped in the package passes its own checks (this runs over whatever sets exist)
    for component, names in list_parameter_sets().items():
        for name in names:
            values = load_parameter_set(component, name)
            assert len(values) > 0
            assert all(values.sources[k] for k in values)
