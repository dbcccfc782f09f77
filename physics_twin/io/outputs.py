"""Output paths checked before any work starts, so a run never ends in a traceback or a half-written file.

:func:`check_output_paths` is called by the CLI and :meth:`physics_twin.twin.TwinResult.write` before the
first byte is written: every output must have a file name, live in an existing folder this process can
write in, not be a folder, a symbolic link or a special file (it would be replaced, not written through), and
be neither one of the run's inputs nor another output (``run --out data.csv`` would otherwise replace the
sensor data with NetCDF). :func:`write_files_atomically` then writes a run's files all or nothing.
"""

from __future__ import annotations

import contextlib
import os
import tempfile
from collections.abc import Callable, Mapping
from pathlib import Path

from physics_twin.errors import OutputError, join_problems

__all__ = ["check_output_paths", "publish_mode", "write_atomically", "write_files_atomically"]

#: Permissions of the files we publish (``mkstemp`` creates 0600; results are meant to be shared like any file).
FILE_MODE = 0o644
NETCDF_SUFFIXES = (".nc", ".nc4")
JSON_SUFFIXES = (".json",)


def publish_mode(path: str | os.PathLike[str]) -> None:
    """Give a finished temporary file the permissions of a normally created file (0644 less the umask)."""
    umask = os.umask(0)
    os.umask(umask)
    os.chmod(path, FILE_MODE & ~umask)


def write_files_atomically(files: Mapping[str, tuple[str | os.PathLike[str], Callable[[str], None]]]) -> list[Path]:
    """Write several files all or nothing; returns their paths.

    ``files`` maps an argument name (for messages) to ``(path, write)``; ``write(temporary_name)`` fills a
    temporary file beside ``path``. Only when every file is complete on disk (fsync) are they renamed into
    place, so a failure (a full disk, a writer's error) leaves every target as it was and no temporary file.

    Raises
    ------
    OutputError
        When the operating system or the file library fails to write a file (named by its argument).
    """
    temporaries: list[tuple[str, Path]] = []
    try:
        for argument, (path, write) in files.items():
            target = Path(path)
            try:
                handle, temporary = tempfile.mkstemp(prefix=f".{target.name}.", suffix=".tmp", dir=target.parent)
                os.close(handle)
                temporaries.append((temporary, target))
                write(temporary)
                with open(temporary, "rb+") as written:
                    os.fsync(written.fileno())
            except (OSError, RuntimeError) as exc:  # netCDF4 reports a full disk as RuntimeError("NetCDF: HDF error")
                cause = " (the file library gives no reason: usually a full disk)" if isinstance(exc, RuntimeError) else ""
                raise OutputError(f"`{argument}` {str(target)!r} could not be written: {exc}{cause}.") from exc
            publish_mode(temporary)
        for temporary, target in temporaries:
            os.replace(temporary, target)
    except BaseException:
        for temporary, _ in temporaries:
            Path(temporary).unlink(missing_ok=True)
        raise
    for folder in {target.parent for _, target in temporaries}:
        with contextlib.suppress(OSError):  # make the renames durable where the platform allows it
            descriptor = os.open(folder, os.O_RDONLY)
            try:
                os.fsync(descriptor)
            finally:
                os.close(descriptor)
    return [target for _, target in temporaries]


def write_atomically(path: str | os.PathLike[str], write: Callable[[str], None], argument: str = "path") -> Path:
    """One file by :func:`write_files_atomically`: ``write(temporary_name)``, then renamed into place."""
    return write_files_atomically({argument: (path, write)})[0]


def check_output_paths(
    outputs: Mapping[str, str | os.PathLike[str] | None],
    inputs: Mapping[str, str | os.PathLike[str] | None] | None = None,
    suffixes: Mapping[str, tuple[str, ...]] | None = None,
) -> dict[str, Path]:
    """Check output paths before writing; return them as :class:`~pathlib.Path` (``None`` entries are skipped).

    Parameters
    ----------
    outputs : mapping
        Argument name (as the user wrote it, e.g. ``"--out"``) to output path.
    inputs : mapping, optional
        Argument name to input path; an output may not be one of them.
    suffixes : mapping, optional
        Argument name to the file suffixes its format allows (e.g. :data:`NETCDF_SUFFIXES`): a NetCDF file
        written under ``result.csv`` would mislead whoever opens it.

    Raises
    ------
    OutputError
        Listing every problem at once, each naming its argument.
    """
    problems: list[str] = []
    checked: dict[str, Path] = {}
    given_inputs = {name: Path(path) for name, path in (inputs or {}).items() if path is not None}
    for name, raw in outputs.items():
        if raw is None:
            continue
        if str(raw).strip() == "":
            problems.append(f"`{name}` must be a file path; got an empty string.")
            continue
        path = Path(raw)
        folder = path.parent
        allowed = (suffixes or {}).get(name)
        if allowed and path.suffix.lower() not in allowed:
            problems.append(
                f"`{name}` {str(path)!r} must end in {' or '.join(allowed)} (the file's format); got "
                f"{repr(path.suffix) if path.suffix else 'no suffix'}."
            )
        if path.is_dir():
            problems.append(f"`{name}` must be a file path; {str(path)!r} is a folder.")
        elif path.is_symlink() or (path.exists() and not path.is_file()):
            kind = "a symbolic link" if path.is_symlink() else "not a regular file (a device, FIFO or socket)"
            problems.append(f"`{name}` {str(path)!r} is {kind}: it would be replaced, not written through; give a file path.")
        elif not folder.is_dir():
            problems.append(f"`{name}` must be in an existing folder; {str(folder)!r} does not exist.")
        else:
            reason = _not_writable(folder)
            if reason:
                problems.append(f"`{name}`: cannot write in folder {str(folder)!r} ({reason}).")
        for other_name, other in given_inputs.items():
            if _same_file(path, other):
                problems.append(
                    f"`{name}` {str(path)!r} is the input `{other_name}`: writing would destroy it; choose another path."
                )
        for other_name, other in checked.items():
            if _same_file(path, other):
                problems.append(f"`{name}` and `{other_name}` are the same file {str(path)!r}: give each output its own path.")
        checked[name] = path
    if len(problems) == 1:
        raise OutputError(problems[0])
    if problems:
        raise OutputError(join_problems("the outputs cannot be written:", problems))
    return checked


def _same_file(a: Path, b: Path) -> bool:
    try:
        return a.resolve() == b.resolve() or (a.exists() and b.exists() and os.path.samefile(a, b))
    except OSError:
        return False


def _not_writable(folder: Path) -> str:
    """Empty when a file can be created in ``folder``, else the operating system's reason (tested by creating one)."""
    try:
        handle, probe = tempfile.mkstemp(prefix=".physics-twin-probe.", dir=folder)
    except OSError as exc:
        return exc.strerror or str(exc)
    os.close(handle)
    os.unlink(probe)
    return ""
