"""Save an FMU's state to bytes or a file and restore it in a fresh instance or another process.

:func:`save_state` serializes the current state (``serializeFMUstate``) together with what
identifies it: the FMU file's SHA-256, GUID (instantiation token), interface, FMI version and the
simulation time. :func:`restore_state` refuses a state made by another FMU or interface, initializes
the target instance at the saved time, deserializes the state into it and sets it, so the run can
go on from there. An FMU that does not declare ``canSerializeFMUstate`` yields an
:class:`~physics_twin.errors.FMUError` saying that its state is not portable; a vendor binary that
rejects its own bytes yields an FMUError too — never a crash of the host (pair with
:class:`~physics_twin.fmu.isolation.IsolatedFMU` to guard against binaries that crash instead).

File format: ``PTFMUSTATE1\\n``, a 4-byte big-endian header length, a UTF-8 JSON header, then the
FMU's own bytes.
"""

from __future__ import annotations

import hashlib
import json
import os
import struct
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from physics_twin.errors import FMUError

__all__ = ["SavedState", "fmu_sha256", "read_state", "restore_state", "save_state", "write_state"]

_MAGIC = b"PTFMUSTATE1\n"


def fmu_sha256(path: str | os.PathLike) -> str:
    """SHA-256 of an FMU file (hex)."""
    digest = hashlib.sha256()
    with open(path, "rb") as handle:
        for block in iter(lambda: handle.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


@dataclass(frozen=True)
class SavedState:
    """A serialized FMU state with what identifies the FMU it belongs to.

    Attributes
    ----------
    data : bytes
        The FMU's serialized state.
    time : float
        Simulation time of the state. [s]
    model_name, guid, fmu_sha256, interface, fmi_version : str
        Identity of the FMU and the interface that produced it.
    """

    data: bytes
    time: float
    model_name: str
    guid: str
    fmu_sha256: str
    interface: str
    fmi_version: str

    def to_bytes(self) -> bytes:
        """The state in the file format described in the module docstring."""
        header = json.dumps(
            {
                "time": self.time,
                "model_name": self.model_name,
                "guid": self.guid,
                "fmu_sha256": self.fmu_sha256,
                "interface": self.interface,
                "fmi_version": self.fmi_version,
                "size": len(self.data),
            }
        ).encode()
        return _MAGIC + struct.pack(">I", len(header)) + header + self.data

    @classmethod
    def from_bytes(cls, blob: bytes) -> SavedState:
        """Inverse of :meth:`to_bytes`; FMUError for anything else."""
        if not blob.startswith(_MAGIC) or len(blob) < len(_MAGIC) + 4:
            raise FMUError("`data` is not a saved FMU state (missing PTFMUSTATE1 header).")
        (length,) = struct.unpack(">I", blob[len(_MAGIC) : len(_MAGIC) + 4])
        start = len(_MAGIC) + 4
        try:
            header = json.loads(blob[start : start + length])
        except ValueError as exc:
            raise FMUError(f"saved FMU state has a corrupt header: {exc}") from None
        data = blob[start + length :]
        if len(data) != header.get("size"):
            raise FMUError(f"saved FMU state is truncated: expected {header.get('size')} bytes of state, got {len(data)}.")
        return cls(
            data,
            float(header["time"]),
            header["model_name"],
            header["guid"],
            header["fmu_sha256"],
            header["interface"],
            header["fmi_version"],
        )


def save_state(fmu: Any) -> SavedState:
    """Serialize the current state of ``fmu`` (an FMUComponent or IsolatedFMU).

    Raises
    ------
    FMUError
        When the FMU cannot serialize its state (``canSerializeFMUstate`` false: "not portable") or the call fails.
    """
    if fmu.version < 2 or not fmu.capabilities.can_serialize_state:
        raise FMUError(
            f"the state of FMU {fmu.name!r} ({fmu.path.name}) is not portable: it does not declare canSerializeFMUstate, so it "
            "cannot be saved and restored in a fresh instance or process. Re-run from the start instead."
        )
    data = fmu.serialize_state()
    return SavedState(
        bytes(data),
        float(fmu.time if fmu.time is not None else 0.0),
        fmu.description.model_name,
        fmu.description.guid,
        fmu_sha256(fmu.path),
        fmu.interface,
        fmu.description.fmi_version,
    )


def restore_state(fmu: Any, saved: SavedState) -> None:
    """Initialize ``fmu`` at the saved time and restore ``saved`` into it; stepping continues from ``saved.time``.

    Raises
    ------
    FMUError
        When ``saved`` belongs to another FMU or interface, or the FMU rejects the bytes.
    """
    problems = []
    if saved.fmu_sha256 != fmu_sha256(fmu.path):
        problems.append(f"it was saved from a different FMU file (model {saved.model_name!r}, GUID {saved.guid})")
    if saved.interface != fmu.interface:
        problems.append(f"it was saved from the {saved.interface} interface, not {fmu.interface}")
    if problems:
        raise FMUError(f"cannot restore the saved state into FMU {fmu.name!r} ({fmu.path.name}): " + "; ".join(problems) + ".")
    if fmu.version < 2 or not fmu.capabilities.can_serialize_state:
        raise FMUError(f"the state of FMU {fmu.name!r} ({fmu.path.name}) is not portable (canSerializeFMUstate is false).")
    fmu.initialize(saved.time)
    try:
        state = fmu.deserialize_state(saved.data, saved.time)
        try:
            fmu.set_state(state)
        finally:
            state.free()
    except FMUError as exc:
        raise FMUError(
            f"the state of FMU {fmu.name!r} ({fmu.path.name}) saved at t = {saved.time:g} s could not be restored; "
            "its state is not "
            f"portable to this instance ({exc})"
        ) from exc


def write_state(saved: SavedState, path: str | os.PathLike) -> Path:
    """Write ``saved`` to ``path`` atomically (temporary file, then rename)."""
    path = Path(path)
    temporary = path.with_name(path.name + ".tmp")
    temporary.write_bytes(saved.to_bytes())
    os.replace(temporary, path)
    return path


def read_state(path: str | os.PathLike) -> SavedState:
    """Read a state written by :func:`write_state`."""
    return SavedState.from_bytes(Path(path).read_bytes())
