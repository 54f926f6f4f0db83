"""TorchScript export: one .pt file that `torch.jit.load` opens without LayerLab installed."""

from __future__ import annotations

import io
import warnings
from pathlib import Path

import torch

from core.files.atomic import write_all
from core.export.errors import ExportError
from core.export.wrapper import METADATA_FILE, DeployableModel, ExportMetadata


def to_torchscript(deployable: DeployableModel, example: torch.Tensor) -> torch.jit.ScriptModule:
    """Script the model (keeps it shape-agnostic); fall back to tracing if scripting fails."""
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # torch.jit.* is deprecated in torch >= 2.10 but still works
        try:
            return torch.jit.script(deployable)
        except Exception as script_err:  # noqa: BLE001 - any scripting failure: try tracing instead
            try:
                return torch.jit.trace(deployable, example, check_trace=False)
            except Exception as trace_err:  # noqa: BLE001
                raise ExportError(f"the model cannot be converted to TorchScript (script: {script_err}; "
                                  f"trace: {trace_err})") from None


def torchscript_bytes(deployable: DeployableModel, metadata: ExportMetadata, example: torch.Tensor) -> bytes:
    """The scripted model with its metadata as the extra file 'layerlab.json', serialised in memory:
    torch.jit.save straight to a file aborts the whole process when the disk fills up."""
    scripted = to_torchscript(deployable, example)
    buffer = io.BytesIO()
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        try:
            torch.jit.save(scripted, buffer, _extra_files={METADATA_FILE: metadata.to_json()})
        except RuntimeError as err:
            raise ExportError(f"the model cannot be saved as TorchScript: {str(err).strip()[:200]}") from None
    return buffer.getvalue()


def write_torchscript(deployable: DeployableModel, metadata: ExportMetadata, example: torch.Tensor,
                      path: Path) -> None:
    """Write the TorchScript file (one plain write of bytes made in memory)."""
    write_all(path, torchscript_bytes(deployable, metadata, example))
