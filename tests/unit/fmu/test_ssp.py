"""SSP reader: nested systems flattened, relayed and reversed connections resolved, parameter bindings applied."""

from __future__ import annotations

import shutil

import pytest
from numpy.testing import assert_allclose

from physics_twin.errors import ConfigError
from physics_twin.fmu import load_ssp, read_ssd

from .test_adapter import damped_oscillator

SSD = """<?xml version="1.0" encoding="UTF-8"?>
<ssd:SystemStructureDescription version="2.0" name="plant" xmlns:ssc="http://ssp-standard.org/SSP1/SystemStructureCommon"
  xmlns:ssd="http://ssp-standard.org/SSP1/SystemStructureDescription" xmlns:ssv="http://ssp-standard.org/SSP1/SystemStructureParameterValues">
  <ssd:System name="plant">
    <ssd:Connectors>
      <ssd:Connector name="push" kind="input"><ssc:Real unit="N"/></ssd:Connector>
      <ssd:Connector name="pos" kind="output"><ssc:Real unit="m"/></ssd:Connector>
    </ssd:Connectors>
    <ssd:Elements>
      <ssd:System name="inner">
        <ssd:Connectors>
          <ssd:Connector name="f" kind="input"><ssc:Real/></ssd:Connector>
          <ssd:Connector name="p" kind="output"><ssc:Real/></ssd:Connector>
        </ssd:Connectors>
        <ssd:Elements>
          <ssd:Component name="osc" type="application/x-fmu-sharedlibrary" source="resources/osc.fmu"
            implementation="ModelExchange">
            <ssd:Connectors>
              <ssd:Connector name="force" kind="input"><ssc:Real unit="N"/></ssd:Connector>
              <ssd:Connector name="position" kind="output"><ssc:Real unit="m"/></ssd:Connector>
            </ssd:Connectors>
            <ssd:ParameterBindings><ssd:ParameterBinding><ssd:ParameterValues>
              <ssv:ParameterSet version="2.0" name="set"><ssv:Parameters>
                <ssv:Parameter name="k"><ssv:Real value="0.004" unit="N/mm"/></ssv:Parameter>
              </ssv:Parameters></ssv:ParameterSet>
            </ssd:ParameterValues></ssd:ParameterBinding></ssd:ParameterBindings>
          </ssd:Component>
        </ssd:Elements>
        <ssd:Connections>
          <ssd:Connection startConnector="f" endElement="osc" endConnector="force"/>
          <ssd:Connection startConnector="p" endElement="osc" endConnector="position"/>
        </ssd:Connections>
      </ssd:System>
    </ssd:Elements>
    <ssd:Connections>
      <ssd:Connection startConnector="push" endElement="inner" endConnector="f"/>
      <ssd:Connection startElement="inner" startConnector="p" endConnector="pos"/>
      {extra}
    </ssd:Connections>
  </ssd:System>
</ssd:SystemStructureDescription>
"""


@pytest.fixture
def ssp_dir(tmp_path, oscillator_fmu):
    (tmp_path / "resources").mkdir()
    shutil.copy(oscillator_fmu, tmp_path / "resources" / "osc.fmu")

    def write(extra: str = "") -> object:
        (tmp_path / "SystemStructure.ssd").write_text(SSD.replace("{extra}", extra), encoding="utf-8")
        return tmp_path

    return write


def test_nested_system_is_flattened(ssp_dir):
    system = read_ssd(ssp_dir())
    assert system.version == "2.0"
    assert [c.name for c in system.components] == ["osc"]
    assert system.components[0].path == ("plant", "inner", "osc")
    assert system.components[0].implementation == "ModelExchange"
    # the position relay is drawn from the subsystem connector to the component output; it still resolves to the output
    assert system.outputs == {"pos": "osc.position"}
    assert system.inputs == {"push": ("osc.force",)}
    assert system.components[0].parameters == {"k": (0.004, "N/mm")}


def test_bound_parameters_reach_the_fmu_with_unit_conversion(ssp_dir):
    simulation = load_ssp(ssp_dir())
    try:
        result = simulation.simulate(2.0, 0.1, inputs={"push": 0.0})
    finally:
        simulation.close()
    # 0.004 N/mm = 4 N/m
    assert_allclose(result["osc.position"].values, damped_oscillator(result.time.values, k=4.0), atol=1e-9)


def test_transformations_are_refused_unless_not_strict(ssp_dir):
    extra = (
        '<ssd:Connection startElement="inner" startConnector="p" endConnector="pos">'
        '<ssc:LinearTransformation factor="2" offset="0"/></ssd:Connection>'
    )
    directory = ssp_dir(extra)
    assert "LinearTransformation" in read_ssd(directory).unsupported[0]
    with pytest.raises(ConfigError, match=r"constructs this reader does not apply(?s:.*)LinearTransformation"):
        load_ssp(directory)
    load_ssp(directory, strict=False).close()


def test_a_net_with_two_drivers_is_an_error(ssp_dir):
    directory = ssp_dir('<ssd:Connection startElement="osc2" startConnector="position" endConnector="pos"/>')
    ssd = directory / "SystemStructure.ssd"
    second = (
        '<ssd:Component name="osc2" type="application/x-fmu-sharedlibrary" source="resources/osc.fmu"><ssd:Connectors>'
        '<ssd:Connector name="position" kind="output"><ssc:Real/></ssd:Connector></ssd:Connectors></ssd:Component>'
    )
    ssd.write_text(ssd.read_text().replace("<ssd:Elements>", "<ssd:Elements>" + second, 1), encoding="utf-8")
    with pytest.raises(ConfigError, match=r"signals (osc|osc2)\.position, (osc|osc2)\.position are connected to each other"):
        read_ssd(directory)


def test_a_missing_fmu_is_reported(ssp_dir):
    directory = ssp_dir()
    (directory / "resources" / "osc.fmu").unlink()
    with pytest.raises(ConfigError, match=r"component 'osc': FMU 'resources/osc.fmu' does not exist"):
        read_ssd(directory)


def test_missing_file_is_a_config_error(tmp_path):
    with pytest.raises(ConfigError, match=r"`path` must be an SSP directory or SystemStructure.ssd"):
        read_ssd(tmp_path)
