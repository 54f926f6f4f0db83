"""Python-code export: a readable, standalone .py that rebuilds the network layer by layer.

The file needs only PyTorch. It spells out the feature transform, builds the same
nn.Sequential(OrderedDict(...)) with the same names, and loads the weights from a sibling
state-dict file with torch.load(weights_only=True), so nothing in it runs hidden code.
"""

from __future__ import annotations

import inspect
import io
import json
from pathlib import Path

import torch
from torch import nn

from core.data.input_modules import FeatureMap, ImageInput, SequenceInput, Standardize
from core.nn.activations import record_of
from core.nn.layers import LAYER_TYPES
from core.registry import resolve
from core.files.atomic import write_all
from core.export.errors import ExportError
from core.export.wrapper import DeployableModel, ExportMetadata

_FEATURE_CODE = {
    "x1": "x1",
    "x2": "x2",
    "x1^2": "x1 * x1",
    "x2^2": "x2 * x2",
    "x1*x2": "x1 * x2",
    "sin(x1)": "torch.sin(x1)",
    "sin(x2)": "torch.sin(x2)",
}

def weights_filename(code_path: Path) -> str:
    """The state-dict file that sits next to the generated code: model.py -> model_weights.pt."""
    return f"{Path(code_path).stem}_weights.pt"


def layer_code(name: str, module: nn.Module) -> str:
    """Constructor code for one layer of the Sequential, or ExportError for layers it cannot spell."""
    record = record_of(module)
    code = record.code(module) if record is not None else None
    for layer_type in LAYER_TYPES.records():
        if code is not None:
            break
        code = resolve(layer_type.python_code)(module)
    if code is not None:
        return code
    raise ExportError(f"layer '{name}' ({type(module).__name__}) cannot be written as Python code; "
                      "export as TorchScript or ONNX instead")


def _features_code(preprocess: nn.Module, metadata: ExportMetadata) -> tuple[str, str]:
    """(constants, body) of `features(raw)` reproducing the preprocess module."""
    if isinstance(preprocess, FeatureMap):
        exprs = [_FEATURE_CODE[f] for f in preprocess.features]
        body = ("    x1 = raw[:, 0:1]\n"
                "    x2 = raw[:, 1:2]\n"
                f"    return torch.cat([{', '.join(exprs)}], dim=1)  # {', '.join(preprocess.features)}\n")
        return "", body
    if isinstance(preprocess, SequenceInput) and metadata.input_shape:
        features = metadata.input_shape[-1]
        mean = [float(v) for v in preprocess.mean.reshape(-1)[:features].tolist()]
        std = [float(v) for v in preprocess.std.reshape(-1)[:features].tolist()]
        constants = ("# Standardisation fitted on the training rows: one mean and std per feature, the same at\n"
                     "# every time step.\n"
                     f"MEAN = torch.tensor([{_floats(mean)}])\n"
                     f"STD = torch.tensor([{_floats(std)}])\n")
        return constants, f"    return ((raw.reshape(len(raw), -1, {features}) - MEAN) / STD).flatten(1)\n"
    if isinstance(preprocess, ImageInput) and not preprocess.mean.any() and bool((preprocess.std == preprocess.std.reshape(-1)[0]).all()):
        scale = float(preprocess.std.reshape(-1)[0])
        constants = f"# Pixel values are divided by SCALE before the network sees them.\nSCALE = {scale!r}\n"
        return constants, "    return raw.flatten(1) / SCALE\n"
    if isinstance(preprocess, Standardize):
        mean = [float(v) for v in preprocess.mean.reshape(-1).tolist()]
        std = [float(v) for v in preprocess.std.reshape(-1).tolist()]
        constants = ("# Standardisation fitted on the training rows, one value per raw column.\n"
                     f"MEAN = torch.tensor([{_floats(mean)}])\n"
                     f"STD = torch.tensor([{_floats(std)}])\n")
        return constants, "    return (raw - MEAN) / STD\n"
    if isinstance(preprocess, nn.Identity):
        return "", "    return raw\n"
    raise ExportError(f"the feature transform ({type(preprocess).__name__}) cannot be written as Python code; "
                      "export as TorchScript or ONNX instead")


def _head_constants(metadata: ExportMetadata) -> str:
    """Y_MEAN / Y_STD for a standardised regression target (the network predicts standardised values)."""
    if metadata.head != "unstandardize":
        return ""
    if metadata.y_mean is None or metadata.y_std is None:
        raise ExportError("the regression target was standardised but the export has no y_mean/y_std; "
                          "rebuild the dataset with load_dataset and export again")
    return ("# The network predicts the standardised target; prediction = output * Y_STD + Y_MEAN\n"
            "# gives it back in the target's original units (fitted on the training rows).\n"
            f"Y_MEAN = torch.tensor({float(metadata.y_mean)!r})\n"
            f"Y_STD = torch.tensor({float(metadata.y_std)!r})\n")


def _floats(values: list[float], per_line: int = 6) -> str:
    parts = [repr(v) for v in values]
    if len(parts) <= per_line:
        return ", ".join(parts)
    lines = [", ".join(parts[i:i + per_line]) for i in range(0, len(parts), per_line)]
    return "\n    " + ",\n    ".join(lines) + ",\n"


def generate_code(deployable: DeployableModel, metadata: ExportMetadata, weights_name: str) -> str:
    """The source text of the standalone module."""
    network = deployable.network
    if not isinstance(network, nn.Sequential):
        raise ExportError("only nn.Sequential models can be written as Python code")
    layers = "\n".join(f"        ({name!r}, {layer_code(name, m)})," for name, m in network.named_children())
    constants, features_body = _features_code(deployable.preprocess, metadata)
    constants += _head_constants(metadata)
    head = {"sigmoid": "torch.sigmoid(logits)", "softmax": "torch.softmax(logits, dim=1)",
            "identity": "logits", "unstandardize": "logits * Y_STD + Y_MEAN"}[metadata.head]
    spec = json.loads(metadata.spec_json)
    summary = (f"{spec['data']['source']} data, layers "
               f"{[layer.get('units', layer.get('type')) for layer in spec['layers']]}, loss {spec['loss']}")
    raw_names = list(metadata.raw_names)
    shape = tuple(metadata.input_shape or ())
    example_input = (f"torch.zeros(1, {', '.join(map(str, shape))})" if shape
                     else f"torch.tensor([[{', '.join('0.5' for _ in raw_names)}]])")
    shell_line = "" if shape else f"\nor from a shell:  python this_file.py {' '.join('0.5' for _ in raw_names)}\n"
    kind = ("raw sequences (time steps, features)" if len(shape) == 2
            else "raw images (channels, height, width) in the data's pixel values")
    input_line = (f"Input  (n, {', '.join(map(str, shape))}): {kind}" if shape else f"Input  (n, {len(raw_names)}): columns {', '.join(raw_names)}")
    return f'''"""LayerLab model ({summary}), written as plain PyTorch by LayerLab {metadata.layerlab_version}.

Needs only torch. The weights are in {weights_name}, next to this file.

    import torch, {_module_hint(weights_name)} as m
    model = m.load_model()
    print(m.predict({example_input}, model))
{shell_line}
{input_line}
Output: {metadata.output_name}: {metadata.output_meaning}
"""

import sys
from collections import OrderedDict
from pathlib import Path

import torch
from torch import nn

RAW_INPUTS = {raw_names!r}
MODEL_INPUTS = {list(metadata.model_input_names)!r}
OUTPUT = {metadata.output_name!r}
CLASS_NAMES = {list(metadata.class_names)!r}
WEIGHTS_FILE = Path(__file__).with_name({weights_name!r})
{constants}{_module_sources(network)}

def features(raw: torch.Tensor) -> torch.Tensor:
    """Raw inputs (n, {len(raw_names)}) -> the network's inputs (n, {len(metadata.model_input_names)})."""
{features_body}

def build_network() -> nn.Sequential:
    """The layers as drawn in LayerLab, with the same names as the weight file's keys."""
    return nn.Sequential(OrderedDict([
{layers}
    ]))


def load_model(weights_path: str | Path = WEIGHTS_FILE) -> nn.Sequential:
    """The network with its trained weights, in eval mode."""
    network = build_network()
    network.load_state_dict(torch.load(weights_path, map_location="cpu", weights_only=True))
    return network.eval()


def predict(raw, model: nn.Sequential | None = None) -> torch.Tensor:
    """{metadata.output_name} for raw inputs (anything torch.as_tensor accepts, shape (n, {", ".join(map(str, shape or (len(raw_names),)))}))."""
    model = load_model() if model is None else model
    raw = torch.as_tensor(raw, dtype=torch.float32).reshape(-1, {len(raw_names)})
    with torch.no_grad():
        logits = model(features(raw))
    return {head}


if __name__ == "__main__":
    values = [float(v) for v in sys.argv[1:]] or [0.0] * {len(raw_names)}
    if len(values) % {len(raw_names)}:
        sys.exit(f"give {len(raw_names)} numbers per row ({{', '.join(RAW_INPUTS)}})")
    for row in predict(values).tolist():
        print(" ".join(f"{{v:.6g}}" for v in row))
'''


def _module_sources(network: nn.Module) -> str:
    """The source of each LayerLab module class the network uses (those marked `export_source`), so
    the generated file defines them itself."""
    classes = []
    for module in network.modules():
        cls = type(module)
        if getattr(cls, "export_source", False) and cls not in classes:
            classes.append(cls)
    return "".join("\n\n" + inspect.getsource(cls).replace("    export_source = True\n\n", "")
                   for cls in classes)


def _module_hint(weights_name: str) -> str:
    stem = weights_name[: -len("_weights.pt")] if weights_name.endswith("_weights.pt") else "model"
    return stem if stem.isidentifier() else "model"


def write_python(deployable: DeployableModel, metadata: ExportMetadata, code_path: Path,
                 weights_path: Path) -> None:
    """Write the code and its state-dict file (plain tensors only), each serialised in memory first."""
    state = {k: v.detach().clone().cpu() for k, v in deployable.network.state_dict().items()}
    buffer = io.BytesIO()
    torch.save(state, buffer)
    code = generate_code(deployable, metadata, weights_path.name)
    write_all(weights_path, buffer.getvalue())
    write_all(code_path, code.encode("utf-8"))
