"""Pick the torch device a run asks for, and say plainly why when it cannot have it."""

from __future__ import annotations

import torch

from core.echo import echo


class DeviceUnavailable(RuntimeError):
    """A device was asked for strictly (e.g. `layerlab train --device cuda`) and this machine lacks it."""


def _cuda_reason(index: int | None) -> str:
    """'' when cuda (device `index`) can be used, else why not."""
    if not torch.cuda.is_available():
        if torch.version.cuda is None:
            why = "this torch build is CPU-only"
        else:
            why = f"torch was built for CUDA {torch.version.cuda} but no usable GPU or driver was found"
        return f"CUDA was asked for but torch.cuda.is_available() is False ({why})"
    count = torch.cuda.device_count()
    if index is not None and index >= count:
        return (f"cuda:{index} was asked for but this machine has {count} CUDA device"
                f"{'s' if count != 1 else ''} (cuda:0..cuda:{count - 1})")
    return ""


def _mps_reason() -> str:
    backend = getattr(torch.backends, "mps", None)
    if backend is None or not backend.is_built():
        return "MPS was asked for but this torch build has no MPS support (Apple silicon builds only)"
    if not backend.is_available():
        return "MPS was asked for but torch.backends.mps.is_available() is False (needs macOS 12.3+ on Apple silicon)"
    return ""


def _parse(name: str) -> tuple[str, int | None]:
    text = (name or "auto").strip().lower()
    base, _, index = text.partition(":")
    if base not in ("auto", "cpu", "cuda", "mps") or (index and not (base == "cuda" and index.isdigit())):
        raise ValueError(f"device {echo(name)} is not one of auto, cpu, cuda, cuda:N, mps")
    return base, int(index) if index else None


def resolve_device(name: str = "auto", strict: bool = False) -> tuple[torch.device, str]:
    """The device to use for `name` and '' — or cpu and the reason the requested one is unavailable.

    "auto" takes cuda, then mps, then cpu, with no reason (nothing was refused). With strict=True an
    unavailable device raises DeviceUnavailable instead of falling back.
    """
    base, index = _parse(name)
    if base == "cpu":
        return torch.device("cpu"), ""
    if base == "auto":
        if torch.cuda.is_available():
            return torch.device("cuda"), ""
        if not _mps_reason():
            return torch.device("mps"), ""
        return torch.device("cpu"), ""
    reason = _cuda_reason(index) if base == "cuda" else _mps_reason()
    if not reason:
        return torch.device(base if index is None else f"{base}:{index}"), ""
    if strict:
        raise DeviceUnavailable(f"{reason}. Use --device cpu (or auto) to run on the CPU.")
    return torch.device("cpu"), f"{reason}; using cpu"


def available_devices() -> list[tuple[str, bool, str]]:
    """(name, available, reason) for the GUI device combo: auto, cpu, each cuda:N (or cuda), mps."""
    rows: list[tuple[str, bool, str]] = [("auto", True, ""), ("cpu", True, "")]
    cuda_reason = _cuda_reason(None)
    if cuda_reason:
        rows.append(("cuda", False, cuda_reason))
    else:
        count = torch.cuda.device_count()
        for i in range(count):
            rows.append((f"cuda:{i}" if count > 1 else "cuda", True, ""))
    mps_reason = _mps_reason()
    rows.append(("mps", not mps_reason, mps_reason))
    return rows
