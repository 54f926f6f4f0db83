"""Atomic file writes: a temp file beside the target, fsync, then rename, so no file is half-written.

Writers serialise into memory first (`atomic_write_bytes`), so the only disk I/O is a plain write
that fails with an OSError (disk full, read-only, permission) instead of an abort inside a library;
any failure removes the temp file and raises WriteError saying "nothing was written".
"""

from __future__ import annotations

import contextlib
import errno
import os
import stat
import tempfile
from collections.abc import Callable, Iterator
from pathlib import Path


class WriteError(OSError):
    """A file could not be written; the message names the path and the reason."""


_REASONS = {
    errno.ENOSPC: "the disk is full",
    errno.EDQUOT: "the disk quota is used up",
    errno.EROFS: "the disk is read-only (not writable)",
    errno.EACCES: "it is not writable (permission denied)",
    errno.EPERM: "it is not writable (operation not permitted)",
    errno.EFBIG: "the file is too large for this disk",
    errno.EISDIR: "that is a folder; give a file name",
    errno.ENAMETOOLONG: "the file name is too long",
}


def describe_write_failure(target: Path | str, err: BaseException) -> str:
    """One line for a failed write: what, where, and that nothing was written."""
    code = getattr(err, "errno", None)
    reason = _REASONS.get(code) if code is not None else None
    if reason is None:
        text = str(err).strip()
        reason = getattr(err, "strerror", None) or (text.splitlines()[0] if text else type(err).__name__)
    return f"cannot write {target}: {reason}; nothing was written"


def check_target(target: Path) -> None:
    """Refuse a target that is a folder or a read-only file before any work is done."""
    target = Path(target)
    try:
        info = target.stat()
    except FileNotFoundError:
        return
    except OSError as err:  # e.g. a symlink loop, a name too long
        raise WriteError(describe_write_failure(target, err)) from None
    if stat.S_ISDIR(info.st_mode):
        raise WriteError(f"cannot write {target}: that is a folder; give a file name; nothing was written")
    if not stat.S_ISREG(info.st_mode):
        raise WriteError(f"cannot write {target}: it is a device or pipe, not a file; nothing was written")
    if not info.st_mode & (stat.S_IWUSR | stat.S_IWGRP | stat.S_IWOTH):
        raise WriteError(f"cannot write {target}: the file is read-only; make it writable or choose "
                         "another name; nothing was written")


@contextlib.contextmanager
def atomic_path(target: Path) -> Iterator[Path]:
    """Yield a temp path in the target's folder; on success it replaces the target, on error it goes."""
    target = Path(target)
    folder = target.parent if str(target.parent) else Path(".")
    check_target(target)
    try:
        fd, tmp_name = tempfile.mkstemp(prefix=f".{target.name}.", suffix=".tmp", dir=folder)
    except FileNotFoundError:
        raise WriteError(f"cannot write {target}: folder {folder} does not exist") from None
    except PermissionError:
        raise WriteError(f"cannot write {target}: folder {folder} is not writable") from None
    except (OSError, ValueError) as err:  # ValueError: a NUL byte in the name
        raise WriteError(describe_write_failure(target, err)) from None
    os.close(fd)
    tmp = Path(tmp_name)
    try:
        os.chmod(tmp, 0o666 & ~_umask())  # mkstemp makes 0600; a published file gets normal permissions
        yield tmp
        with open(tmp, "rb+") as fh:
            os.fsync(fh.fileno())
        os.replace(tmp, target)
    except OSError as err:
        tmp.unlink(missing_ok=True)
        if isinstance(err, WriteError):
            raise
        raise WriteError(describe_write_failure(target, err)) from None
    except BaseException:
        tmp.unlink(missing_ok=True)
        raise


def _umask() -> int:
    mask = os.umask(0)
    os.umask(mask)
    return mask


def write_all(path: Path | str, data: bytes) -> None:
    """Write `data` to `path` in one plain file write (an OSError, never an abort, when the disk fills)."""
    with open(path, "wb") as fh:
        fh.write(data)
        fh.flush()


def atomic_write_bytes(target: Path, data: bytes) -> None:
    with atomic_path(target) as tmp:
        write_all(tmp, data)


def atomic_write_text(target: Path, text: str) -> None:
    atomic_write_bytes(target, text.encode("utf-8"))


def atomic_write_with(target: Path, writer: Callable[[Path], None]) -> None:
    """Let `writer` fill a temp path (e.g. write_checkpoint); publish it only if it succeeds."""
    with atomic_path(target) as tmp:
        writer(tmp)
