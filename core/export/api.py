"""export_model: build the deployable model, write one format to temp names, verify, then publish."""

from __future__ import annotations

import shutil
import tempfile
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import torch
from torch import nn

from core.files.atomic import WriteError, atomic_path, check_target, describe_write_failure
from core.data.dataset import Dataset
from core.export import verify
from core.export.autoencoder_parts import build_part, check_part
from core.export.errors import ExportError
from core.export.formats import FORMATS
from core.export.onnx_export import write_onnx
from core.export.pycode import weights_filename, write_python
from core.export.torchscript import write_torchscript
from core.export.wrapper import build_deployable
from core.spec import Experiment

EXPORT_FORMATS = FORMATS.names(kind="model")  # the formats export_model writes


@dataclass(frozen=True)
class ExportReport:
    """What was written and how closely it reproduces the live model (max abs output difference)."""

    path: Path
    format: str
    max_abs_diff: float
    files: tuple[Path, ...]
    n_checked: int = 0  # inputs compared (weights, for a checkpoint read back)


def default_filename(fmt: str) -> str:
    """The file name the CLI and GUI suggest for a format (python also writes <stem>_weights.pt)."""
    return FORMATS[_check_format(fmt)].default_name


def _check_format(fmt: str) -> str:
    fmt = str(fmt).strip().lower()
    if fmt not in EXPORT_FORMATS:
        raise ExportError(f"unknown export format '{fmt}'; choose one of {', '.join(EXPORT_FORMATS)}")
    return fmt


def _unpack(source: Any) -> tuple[Experiment, Dataset, nn.Module]:
    if isinstance(source, tuple) and len(source) == 3:
        return source
    try:
        return source.spec, source.dataset, source.model
    except AttributeError:
        raise ExportError("export_model needs a Trainer or a (spec, dataset, model) tuple") from None


def _check_folder(path: Path) -> None:
    folder = path.parent
    try:
        if not folder.exists():
            raise ExportError(f"cannot export to {path}: folder {folder} does not exist; create it or choose another")
        if not folder.is_dir():
            raise ExportError(f"cannot export to {path}: {folder} is a file, not a folder")
        if path.is_dir():
            raise ExportError(f"cannot export to {path}: that is a folder; give a file name")
        check_target(path)
    except WriteError as err:
        raise ExportError(str(err)) from None
    except (OSError, ValueError) as err:  # a symlink loop, a NUL byte or an unencodable name
        raise ExportError(describe_write_failure(short_path(path), err)) from None


def short_path(path: Path, limit: int = 120) -> str:
    """The path for a message, cut to `limit` characters and with unprintable characters escaped."""
    text = repr(str(path))[1:-1] if not str(path).isprintable() else str(path)
    return text if len(text) <= limit else text[: limit - 1] + "…"


def export_model(source: Any, path: str | Path, fmt: str, *,
                 preprocess: nn.Module | None = None, part: str = "all") -> ExportReport:
    """Export a Trainer's (or a (spec, dataset, model) tuple's) model to `path` in format `fmt`.

    The file takes raw inputs (x1, x2 or the CSV columns) and returns probabilities or values.
    It is written under a temporary name, loaded back as an outside user would (torch.jit.load,
    onnxruntime, importing the generated code) and compared with the live model; only then is it
    renamed into place. Any failure raises ExportError and leaves no file behind. An autoencoder exports
    whole (`part` "all": raw inputs -> reconstruction), or its "encoder" or "decoder" half
    (core/export/autoencoder_parts.py).
    """
    fmt = _check_format(fmt)
    path = Path(path)
    spec, dataset, model = _unpack(source)
    part = check_part(part, dataset, fmt)
    _check_folder(path)
    raw = verify.sample_inputs(dataset)
    if dataset.task == "autoencoder":
        deployable, metadata, raw = build_part(spec, dataset, model, part, raw)
    else:
        deployable, metadata = build_deployable(spec, dataset, model, preprocess)
    expected = verify.reference_outputs(deployable, raw)
    example = torch.as_tensor(raw[:8])
    try:
        if fmt == "python":
            return _export_python(deployable, metadata, path, raw, expected)
        with atomic_path(path) as tmp:
            if fmt == "torchscript":
                write_torchscript(deployable, metadata, example, tmp)
                diff = verify.verify_torchscript(tmp, raw, expected)
            else:
                write_onnx(deployable, metadata, example, tmp)
                diff = verify.verify_onnx(tmp, raw, expected)
    except WriteError as err:
        raise ExportError(str(err)) from None
    except OSError as err:
        raise ExportError(describe_write_failure(path, err)) from None
    return ExportReport(path=path, format=fmt, max_abs_diff=diff, files=(path,), n_checked=len(raw))


def _export_python(deployable, metadata, path: Path, raw, expected) -> ExportReport:
    """Code + weights are staged together in a private folder beside the target, then both renamed."""
    weights_path = path.with_name(weights_filename(path))
    _check_folder(weights_path)
    try:
        stage = Path(tempfile.mkdtemp(prefix=f".{path.name}.", suffix=".tmp", dir=path.parent))
    except PermissionError:
        raise ExportError(f"cannot export to {path}: folder {path.parent} is not writable") from None
    except OSError as err:
        raise ExportError(f"cannot export to {path}: {err.strerror or err}") from None
    published: list[Path] = []
    try:
        staged_code, staged_weights = stage / path.name, stage / weights_path.name
        write_python(deployable, metadata, staged_code, staged_weights)
        diff = verify.verify_python(staged_code, raw, expected)
        for staged, final in ((staged_weights, weights_path), (staged_code, path)):
            staged.replace(final)
            published.append(final)
    except BaseException as err:
        for final in published:  # a half-published pair is worse than none
            final.unlink(missing_ok=True)
        if isinstance(err, OSError):
            raise ExportError(describe_write_failure(path, err)) from None
        raise
    finally:
        shutil.rmtree(stage, ignore_errors=True)
    return ExportReport(path=path, format="python", max_abs_diff=diff, files=(path, weights_path),
                        n_checked=len(raw))
