"""TorchScript export: one .pt file that `torch.jit.load` opens without LayerLab installed."""

from __future__ import annotations

import warnings
from pathlib import Path

import torch

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


def write_torchscript(deployable: DeployableModel, metadata: ExportMetadata, example: torch.Tensor,
                      path: Path) -> None:
    """Write the scripted model with its metadata as the extra file 'layerlab.json'."""
    scripted = to_torchscript(deployable, example)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        torch.jit.save(scripted, str(path), _extra_files={METADATA_FILE: metadata.to_json()})
