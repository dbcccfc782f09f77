"""Test FMUs built once per session from the C sources in physics_twin/fmu/testing (needs a C compiler)."""

from __future__ import annotations

import pytest

from physics_twin.fmu import testing


def _need_compiler() -> None:
    if not testing.compiler_available():
        pytest.skip("no C compiler (cc) on PATH: the test FMUs are built from C sources")


@pytest.fixture(scope="session")
def fmu_dir(tmp_path_factory):
    _need_compiler()
    return tmp_path_factory.mktemp("fmus")


@pytest.fixture(scope="session")
def oscillator_fmu(fmu_dir):
    """FMI 2.0 oscillator (ME + CS), variable step, get/set/serialize state."""
    return testing.build_oscillator_fmu(fmu_dir)


@pytest.fixture(scope="session")
def fixed_step_fmu(fmu_dir):
    """The oscillator declaring canHandleVariableCommunicationStepSize=false."""
    return testing.build_oscillator_fmu(fmu_dir, variable_step=False, name="fixed_step")


@pytest.fixture(scope="session")
def stateless_fmu(fmu_dir):
    """The oscillator declaring neither canGetAndSetFMUstate nor canSerializeFMUstate."""
    return testing.build_oscillator_fmu(fmu_dir, can_get_state=False, name="stateless")


@pytest.fixture(scope="session")
def array_fmu(fmu_dir):
    """FMI 3.0 lag with the 3-element parameter `gains` and array output `y` (ME + CS)."""
    return testing.build_array_fmu(fmu_dir)
