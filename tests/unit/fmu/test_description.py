"""Model descriptions: start literals parsed by type, units translated, validation reports."""

from __future__ import annotations

import numpy as np
import pytest

from physics_twin.core.units import converter
from physics_twin.errors import FMUError, ParameterError
from physics_twin.fmu import testing
from physics_twin.fmu.description import parse_start, pint_unit, read_description, validate


@pytest.mark.parametrize(("literal", "expected"), [("0", False), ("false", False), ("1", True), ("true", True)])
def test_boolean_start_literals_of_the_xml_schema(literal, expected):
    # xs:boolean allows exactly these four literals (XML Schema Part 2, 3.2.2)
    value = parse_start("enabled", "Boolean", literal)
    assert value is expected


@pytest.mark.parametrize("literal", ["False", "TRUE", "yes", "2"])
def test_invalid_boolean_start_names_the_variable(literal):
    with pytest.raises(ParameterError, match=rf"Boolean variable `enabled`.*got '{literal}'"):
        parse_start("enabled", "Boolean", literal)


def test_numbers_and_arrays_parse_by_type():
    assert parse_start("n", "Int32", "7") == 7
    assert parse_start("r", "Real", "1e-3") == 1e-3
    array = parse_start("gains", "Float64", "1 2 3", (3,))
    assert array.dtype == float
    assert array.tolist() == [1.0, 2.0, 3.0]
    assert parse_start("flags", "Boolean", "true 0", (2,)).tolist() == [True, False]
    with pytest.raises(ParameterError, match=r"`gains` must have 3 elements \(shape \(3,\)\); got 2"):
        parse_start("gains", "Float64", "1 2", (3,))
    with pytest.raises(ParameterError, match=r"Int32 variable `n` must be an integer literal; got '1.5'"):
        parse_start("n", "Int32", "1.5")


def test_fmu_with_invalid_boolean_start_is_rejected_naming_the_variable(fmu_dir):
    path = testing.build_oscillator_fmu(fmu_dir, enabled_start="False", name="bad_boolean")
    with pytest.raises(ParameterError, match=r"invalid start values(?s:.*)`enabled`.*'False'"):
        read_description(path)
    report = validate(path)
    assert not report.ok
    assert "`enabled`" in report.errors[0]


def test_zero_literal_gives_false_default(fmu_dir):
    path = testing.build_oscillator_fmu(fmu_dir, enabled_start="0", name="zero_boolean")
    assert read_description(path).variable("enabled").start is False


def test_description_of_the_oscillator(oscillator_fmu):
    description = read_description(oscillator_fmu)
    assert description.fmi_version == "2.0"
    assert set(description.capabilities) == {"ME", "CS"}
    assert description.state_names == ("x", "v")
    assert [v.name for v in description.inputs] == ["force", "mode"]
    assert description.variable("d").unit == "N*s/m"
    assert description.output_dependencies["force_out"] == ("force",)
    assert description.output_dependencies["position"] == ()
    assert validate(oscillator_fmu).ok


def test_array_description(array_fmu):
    description = read_description(array_fmu)
    gains = description.variable("gains")
    assert gains.shape == (3,)
    assert gains.start.tolist() == [1.0, 2.0, 3.0]
    assert description.variable("y").shape == (3,)
    assert description.variable("flag").start is True


@pytest.mark.parametrize(
    ("fmu_unit", "pint_syntax"),
    [
        ("N.m", "N*m"),
        ("kg.m2", "kg*m^2"),
        ("rad/s2", "rad/s^2"),
        ("Ohm", "ohm"),
        ("W/(m2.K)", "W/(m^2*K)"),
        ("", "1"),
        ("-", "1"),
    ],
)
def test_modelica_units_translate_to_pint(fmu_unit, pint_syntax):
    assert pint_unit(fmu_unit) == pint_syntax


def test_translated_units_convert_exactly():
    # 1 N.m.s/rad is 1 kg m^2 s^-1 rad^-1: factor 1
    scale, offset = converter(pint_unit("N.m.s/rad"), "kg*m^2/s/rad")
    assert (scale, offset) == (1.0, 0.0)


def test_missing_file_is_an_fmu_error(tmp_path):
    with pytest.raises(FMUError, match=r"`path` must be an existing FMU file"):
        read_description(tmp_path / "nothing.fmu")


def test_report_text_lists_errors(fmu_dir):
    path = testing.build_oscillator_fmu(fmu_dir, enabled_start="yes", name="yes_boolean")
    text = str(validate(path))
    assert "INVALID" in text
    assert np.char.count(text, "error:") == 1
