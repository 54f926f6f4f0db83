"""Load an exported file the way an outside user would and compare its outputs with the live model.

An export that disagrees with the model by more than TOLERANCE (scaled up for large regression
values) is refused, so a file on disk always reproduces what the user trained. Comparisons are in the
units the user sees: probabilities, or regression values in the target's original units (the
un-standardising head is part of the reference model and of every export).
"""

from __future__ import annotations

import importlib.util
import json
import sys
import uuid
import warnings
from pathlib import Path

import numpy as np
import torch

from core.data.dataset import Dataset
from core.export.errors import ExportError
from core.export.wrapper import METADATA_FILE, DeployableModel, ExportMetadata

TOLERANCE = 1e-4
ONNX_BATCH_SIZES = (1, 7, 1000)
SAMPLE_ROWS = 1000


def sample_inputs(dataset: Dataset, rows: int = SAMPLE_ROWS, seed: int = 0) -> np.ndarray:
    """float32 (rows, n_raw): real rows first, then jittered copies (or points over the plane);
    for image sets raw images (rows, C, H, W), as exports take them."""
    flat = _sample_rows(dataset, rows, seed)
    if dataset.modality in ("image", "sequence"):
        return flat.reshape(len(flat), *dataset.input_shape)
    return flat


def _sample_rows(dataset: Dataset, rows: int, seed: int) -> np.ndarray:
    rng = np.random.default_rng(seed)
    real = np.concatenate([np.asarray(dataset.raw_test, np.float32),
                           np.asarray(dataset.raw_train, np.float32)])[:rows]
    n_raw = len(dataset.raw_names) or (real.shape[1] if real.ndim == 2 else 2)
    missing = rows - len(real)
    if missing <= 0:
        return real
    if dataset.is_planar:
        lo1, hi1, lo2, hi2 = dataset.extent
        extra = np.stack([rng.uniform(lo1, hi1, missing), rng.uniform(lo2, hi2, missing)], axis=1)
    elif len(real):
        base = real[rng.integers(0, len(real), missing)]
        spread = np.std(real, axis=0) + 1e-3
        extra = base + rng.normal(0.0, 0.1, base.shape) * spread
    else:
        extra = rng.normal(0.0, 1.0, (missing, n_raw))
    return np.concatenate([real.reshape(-1, n_raw), extra.astype(np.float32)]).astype(np.float32)


def reference_outputs(deployable: DeployableModel, raw: np.ndarray) -> np.ndarray:
    """What the user should get from raw inputs: probabilities, or values in the target's original units."""
    with torch.no_grad():
        return deployable(torch.as_tensor(raw)).numpy()


def compare(what: str, got: np.ndarray, expected: np.ndarray) -> float:
    """Max abs difference, or ExportError if shapes differ, values are not finite or too far apart."""
    got = np.asarray(got)
    if got.shape != expected.shape:
        raise ExportError(f"{what} returned shape {got.shape}, expected {expected.shape}")
    if not np.all(np.isfinite(got)) and np.all(np.isfinite(expected)):
        raise ExportError(f"{what} returned NaN or infinite values where the model does not")
    diff = float(np.max(np.abs(got.astype(np.float64) - expected))) if got.size else 0.0
    scale = max(1.0, float(np.max(np.abs(expected))) if expected.size else 1.0)
    if not diff <= TOLERANCE * scale:
        raise ExportError(f"{what} differs from the live model by {diff:.3g} (allowed {TOLERANCE * scale:.1g}); "
                          "the export was not kept")
    return diff


def verify_torchscript(path: Path, raw: np.ndarray, expected: np.ndarray) -> float:
    extra = {METADATA_FILE: ""}
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")  # torch.jit.* is deprecated in torch >= 2.10
            loaded = torch.jit.load(str(path), map_location="cpu", _extra_files=extra)
        with torch.no_grad():
            got = [loaded(torch.as_tensor(raw[:n])).numpy() for n in _batches(raw)]
    except Exception as err:  # noqa: BLE001 - any failure to load/run means the file is unusable
        raise ExportError(f"the TorchScript file could not be loaded back with torch.jit.load: {err}") from None
    _check_metadata("TorchScript", extra[METADATA_FILE])
    return max(compare(_at("the TorchScript file", len(g), len(raw)), g, expected[:len(g)]) for g in got)


def _batches(raw: np.ndarray) -> list[int]:
    """The batch sizes every format is checked at (1, 7, 1000; fewer when there are fewer rows)."""
    return sorted({min(n, len(raw)) for n in ONNX_BATCH_SIZES} | {len(raw)}, reverse=True)  # all rows first


def _at(what: str, n: int, rows: int) -> str:
    return what if n == rows else f"{what} at a batch of {n}"


def verify_onnx(path: Path, raw: np.ndarray, expected: np.ndarray,
                batch_sizes: tuple[int, ...] = ONNX_BATCH_SIZES) -> float:
    try:
        import onnxruntime as ort
    except ImportError:
        raise ExportError("onnxruntime is not installed, so the ONNX file cannot be checked; "
                          "install it with: pip install onnxruntime") from None
    try:
        options = ort.SessionOptions()
        options.intra_op_num_threads = 1
        options.inter_op_num_threads = 1
        session = ort.InferenceSession(str(path), options, providers=["CPUExecutionProvider"])
        meta = session.get_modelmeta().custom_metadata_map
        input_name = session.get_inputs()[0].name
    except Exception as err:  # noqa: BLE001
        raise ExportError(f"onnxruntime could not open the ONNX file: {err}") from None
    _check_metadata("ONNX", meta.get(METADATA_FILE, ""))
    worst = 0.0
    for n in batch_sizes:
        n = min(n, len(raw))
        try:
            got = session.run(None, {input_name: raw[:n]})[0]
        except Exception as err:  # noqa: BLE001
            raise ExportError(f"onnxruntime failed to run the ONNX file on a batch of {n}: {err}") from None
        worst = max(worst, compare(f"the ONNX file (batch of {n})", got, expected[:n]))
    return worst


def load_generated_module(code_path: Path):
    """Import a generated .py file under a private name, as `importlib` would for a user."""
    name = f"_layerlab_export_{uuid.uuid4().hex}"
    spec = importlib.util.spec_from_file_location(name, code_path)
    if spec is None or spec.loader is None:
        raise ExportError(f"{code_path} cannot be imported as Python")
    module = importlib.util.module_from_spec(spec)
    sys.modules[name] = module
    try:
        spec.loader.exec_module(module)
    finally:
        sys.modules.pop(name, None)
    return module


def verify_python(code_path: Path, raw: np.ndarray, expected: np.ndarray) -> float:
    try:
        module = load_generated_module(code_path)
        model = module.load_model()
        with torch.no_grad():
            got = [module.predict(torch.as_tensor(raw[:n]), model).numpy() for n in _batches(raw)]
    except ExportError:
        raise
    except Exception as err:  # noqa: BLE001
        raise ExportError(f"the generated Python code failed when run: {type(err).__name__}: {err}") from None
    return max(compare(_at("the generated Python code", len(g), len(raw)), g, expected[:len(g)]) for g in got)


def _check_metadata(fmt: str, text: str | bytes) -> None:
    if isinstance(text, bytes):
        text = text.decode("utf-8")
    try:
        metadata = ExportMetadata.from_json(text)
    except (ValueError, TypeError, KeyError, json.JSONDecodeError):
        raise ExportError(f"the {fmt} file lost its LayerLab metadata when saved") from None
    if metadata.head == "unstandardize" and (metadata.y_mean is None or metadata.y_std is None):
        raise ExportError(f"the {fmt} file's metadata lacks the target scale (y_mean, y_std) its "
                          "regression head uses; the export was not kept")
