"""Export formats: one record each (file names, what checks it, what it is for, its writer).

The CLI's --export list, export_model's formats and the GUI's export dialog read these records;
adding a format is one record plus its writer. Importing this module never imports torch.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

from core.registry import Record, Registry, resolve

if TYPE_CHECKING:
    from core.export.api import ExportReport


@dataclass(frozen=True, kw_only=True)
class ExportFormat(Record):
    suffix: str  # the file ending the GUI offers (and recognises a format by)
    default_name: str  # the file the CLI writes into a run folder
    checked_with: str  # what loads the file back before it is published
    description: str
    kind: str  # "model" (export_model writes it) or "run" (the whole run: spec, weights, optimizer)
    write: str | Callable[..., "ExportReport"]  # (source, path, name) -> ExportReport


FORMATS: Registry[ExportFormat] = Registry("export format")
FORMATS.add(ExportFormat(
    name="checkpoint", label="LayerLab checkpoint (.ckpt)", suffix=".ckpt", default_name="checkpoint.pt",
    checked_with="LayerLab's safe loader", kind="run", write="core.export.formats:write_checkpoint",
    description="The experiment, weights, optimizer state and loss history: reopen it in LayerLab "
                "and training resumes where it stopped."))
FORMATS.add(ExportFormat(
    name="torchscript", label="TorchScript (.pt)", suffix=".torchscript.pt", default_name="model.torchscript.pt",
    checked_with="torch.jit.load", kind="model", write="core.export.api:export_model",
    description="A single file that loads with torch.jit.load(path), without LayerLab installed. "
                "Takes raw inputs (features included) and returns probabilities or values."))
FORMATS.add(ExportFormat(
    name="onnx", label="ONNX (.onnx)", suffix=".onnx", default_name="model.onnx", checked_with="onnxruntime",
    kind="model", write="core.export.api:export_model",
    description="For onnxruntime and other ONNX runtimes; any batch size. Input and output names and "
                "the feature transform are inside the graph; the metadata says what they mean."))
FORMATS.add(ExportFormat(
    name="python", label="PyTorch code (.py)", suffix=".py", default_name="model.py",
    checked_with="the generated code", kind="model", write="core.export.api:export_model",
    description="A readable, standalone module that rebuilds the network with nn.Sequential and loads "
                "its weights from <name>_weights.pt written beside it."))


def write_format(source: Any, path: str | Path, fmt: str, *, part: str = "all") -> "ExportReport":
    """Write `source` (a Trainer, or for model formats a (spec, dataset, model) tuple) as `fmt` to `path`;
    `part` "encoder" or "decoder" writes that half of an autoencoder (model formats only).

    Raises ExportError (or CheckpointError for a checkpoint) and leaves no file behind on failure.
    """
    record = FORMATS[fmt]
    if record.kind == "model":
        return resolve(record.write)(source, Path(path), record.name, part=part)
    if part != "all":
        from core.export.errors import ExportError

        raise ExportError(f"a {record.name} holds the whole run; export the {part} as onnx or torchscript")
    return resolve(record.write)(source, Path(path), record.name)


def write_checkpoint(source: Any, path: Path, fmt: str = "checkpoint") -> "ExportReport":
    """Save the whole run (save_checkpoint reads it back before it is published)."""
    from core.export.api import ExportReport
    from core.files.checkpoint import save_checkpoint

    target = save_checkpoint(source, path)
    return ExportReport(path=target, format=fmt, max_abs_diff=0.0, files=(target,))
