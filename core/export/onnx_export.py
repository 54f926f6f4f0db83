"""ONNX export with the torch.export-based exporter: dynamic batch size, named input and output."""

from __future__ import annotations

import contextlib
import json
import logging
import warnings
from collections.abc import Iterator
from pathlib import Path

import torch

from core.files.atomic import write_all
from core.export.errors import ExportError
from core.export.wrapper import INPUT_NAME, METADATA_FILE, DeployableModel, ExportMetadata


@contextlib.contextmanager
def _quiet_exporter() -> Iterator[None]:
    """The exporter warns about internals (and torchvision) that mean nothing to a LayerLab user."""
    loggers = [logging.getLogger(name) for name in ("torch.onnx", "torch.export", "torch._dynamo",
                                                     "onnxscript")]
    levels = [lg.level for lg in loggers]
    for lg in loggers:
        lg.setLevel(logging.ERROR)
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            yield
    finally:
        for lg, level in zip(loggers, levels):
            lg.setLevel(level)


def onnx_bytes(deployable: DeployableModel, metadata: ExportMetadata, example: torch.Tensor) -> bytes:
    """The ONNX file's content, made in memory; the metadata goes into metadata_props (spec JSON,
    class and input names)."""
    try:
        import onnx  # noqa: F401 - the model proto below is an onnx.ModelProto
        import onnxscript  # noqa: F401 - the dynamo exporter needs it; fail with a clear message here
    except ImportError as err:
        raise ExportError(f"ONNX export needs the '{err.name}' package; install it with: "
                          "pip install onnx onnxscript onnxruntime") from None
    if example.shape[0] < 2:  # torch.export specialises a batch of 1; keep the batch dimension free
        example = example.repeat(2, *[1] * (example.ndim - 1))
    batch = torch.export.Dim("batch", min=1)
    try:
        with _quiet_exporter():
            program = torch.onnx.export(
                deployable, (example,), dynamo=True, dynamic_shapes={INPUT_NAME: {0: batch}},
                input_names=[INPUT_NAME], output_names=[metadata.output_name],
                verbose=False, optimize=True)
            model = program.model_proto
    except ExportError:
        raise
    except Exception as err:  # noqa: BLE001 - the exporter raises many types; all mean "cannot export"
        first = str(err).strip().splitlines()[0] if str(err).strip() else type(err).__name__
        raise ExportError(f"the model cannot be exported to ONNX: {first}") from None
    props = {
        METADATA_FILE: metadata.to_json(),
        "layerlab_version": metadata.layerlab_version,
        "experiment": metadata.spec_json,
        "input_names": json.dumps(list(metadata.raw_names)),
        "class_names": json.dumps(list(metadata.class_names)),
        "output_meaning": metadata.output_meaning,
    }
    del model.metadata_props[:]
    for key, value in props.items():
        entry = model.metadata_props.add()
        entry.key, entry.value = key, value
    model.doc_string = f"LayerLab model: {metadata.input_name} ({', '.join(metadata.raw_names)}) -> " \
                       f"{metadata.output_name}, {metadata.output_meaning}"
    try:
        return model.SerializeToString()
    except ValueError as err:  # protobuf's 2 GB limit
        raise ExportError(f"the model is too large for one ONNX file ({err})") from None


def write_onnx(deployable: DeployableModel, metadata: ExportMetadata, example: torch.Tensor,
               path: Path) -> None:
    """Write the ONNX file (one plain write of bytes made in memory)."""
    write_all(path, onnx_bytes(deployable, metadata, example))
