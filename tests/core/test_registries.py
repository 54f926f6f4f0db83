"""The registries are the one place a choice lives: records agree with the engines and the enums,
and their faces load without torch (the window paints before torch is imported)."""

import subprocess
import sys
from pathlib import Path

import pytest

from core.data.sources import SOURCES, DataSource
from core.export.formats import FORMATS
from core.nn.activations import ACTIVATIONS, Activation, ActivationRecord
from core.nn.losses import LOSSES, Loss
from core.nn.optimizers import OPTIMIZERS, OptimizerName
from core.registry import Registry

ROOT = Path(__file__).resolve().parents[2]


def test_record_faces_import_without_torch():
    code = ("import sys, core.spec, core.registry, core.choices, core.nn.activations, core.nn.losses, "
            "core.nn.optimizers, core.data.sources, core.export, core.export.formats, core.cli, core.training.control, core.training.snapshot;"
            "bad=[m for m in sys.modules if m.split('.')[0] in ('torch', 'numba')];"
            "assert not bad, bad[:5]")
    subprocess.run([sys.executable, "-c", code], cwd=ROOT, check=True, timeout=120)


def test_builtin_records_match_their_enums():
    assert set(ACTIVATIONS) == set(Activation)
    assert set(LOSSES) == set(Loss)
    assert set(OPTIMIZERS) == set(OptimizerName)
    assert set(SOURCES) == set(DataSource)


def test_export_formats_are_one_list_for_the_cli_and_export_model():
    from core.cli import EXPORT_CHOICES
    from core.export import EXPORT_FORMATS, default_filename

    assert EXPORT_CHOICES == FORMATS.names() == ("checkpoint", "torchscript", "onnx", "python")
    assert EXPORT_FORMATS == ("torchscript", "onnx", "python")
    assert default_filename("onnx") == FORMATS["onnx"].default_name == "model.onnx"


def test_fused_records_match_the_engine_codes():
    from core.engines import fused_act, fused_kernels, fused_optim

    assert set(ACTIVATIONS.names(fused=True)) == set(fused_act.CODES)
    for record in LOSSES.records():
        assert isinstance(getattr(fused_kernels, record.fused), int), record.name
    for record in OPTIMIZERS.records():
        assert isinstance(getattr(fused_optim, record.fused), int), record.name


def test_registry_names_the_kind_and_the_choices_on_a_miss():
    with pytest.raises(KeyError, match="unknown activation 'swish'; allowed: relu, tanh"):
        ACTIVATIONS["swish"]
    registry: Registry[ActivationRecord] = Registry("activation")
    record = ActivationRecord(name="a", label="A", module="Tanh")
    registry.add(record)
    with pytest.raises(ValueError, match="already registered"):
        registry.add(record)


def test_added_registers_for_the_block_only():
    extra = ActivationRecord(name="hardtanh", label="Hard tanh", module="Hardtanh")
    with ACTIVATIONS.added(extra):
        assert "hardtanh" in ACTIVATIONS and ACTIVATIONS["hardtanh"].make().__class__.__name__ == "Hardtanh"
    assert "hardtanh" not in ACTIVATIONS


# ------------------------------------------------ a throw-away activation and layer type, registered only

import csv  # noqa: E402
import json  # noqa: E402
from typing import Literal  # noqa: E402

import torch  # noqa: E402
from torch import nn  # noqa: E402

from core.cli import main  # noqa: E402
from core.files.checkpoint import load_checkpoint, restore_trainer  # noqa: E402
from core.nn.layers import LAYER_TYPES, LayerSpecBase, LayerType, LayerView, ShapeError  # noqa: E402
from core.spec import SpecError, parse_experiment  # noqa: E402


class SinPlus(nn.Module):
    def forward(self, x):
        return torch.sin(x) + 0.1 * x


class PairSum(nn.Module):
    """(n,) -> (n/2,): adds neighbouring values."""

    def forward(self, x):
        return x.view(x.shape[0], -1, 2).sum(-1)


class PairSpec(LayerSpecBase):
    type: Literal["pairsum"] = "pairsum"


def _pairs(layer, shape):
    if len(shape) != 1 or shape[0] % 2:
        raise ShapeError("an even width")
    return (shape[0] // 2,)


SINPLUS = ActivationRecord(name="sinplus", label="Sin plus", module=SinPlus)
PAIRSUM = LayerType(name="pairsum", label="Pair sum", spec_model=PairSpec, output_shape=_pairs,
                    build=lambda layer, shape, k: [(f"pairsum{k}", PairSum())],
                    shown_output=lambda layer, k: f"pairsum{k}",
                    view=LayerView(header="plain", column="units", caption=lambda layer, shape: "pairs"),
                    fused=lambda layer: "pairsum is not on the fast path", same_in_eval=lambda layer: True)


def _write(path, **fields):
    path.write_text(json.dumps({"schema_version": 2, "device": "cpu", **fields}))
    return path


def test_cli_trains_a_new_activation_and_layer_type(tmp_path, capsys):
    with ACTIVATIONS.added(SINPLUS), LAYER_TYPES.added(PAIRSUM):
        exp = _write(tmp_path / "e.json", data={"source": "xor", "samples": 120}, epochs=30, engine="auto",
                     layers=[{"units": 6, "activation": "sinplus"}, {"type": "pairsum"}, {"units": 2}])
        run = tmp_path / "run"
        assert main(["train", str(exp), "--out", str(run), "--export", "checkpoint,torchscript,onnx",
                     "--quiet"]) == 0
        metrics = json.loads((run / "metrics.json").read_text())
        rows = list(csv.DictReader((run / "history.csv").read_text().splitlines()))
        assert metrics["engine"] == "torch" and metrics["epochs"] == 30
        assert float(rows[-1]["train_loss"]) < float(rows[0]["train_loss"])
        trainer = restore_trainer(load_checkpoint(run / "checkpoint.pt"))
        assert trainer.spec.to_dict()["layers"][1] == {"type": "pairsum"}
        assert trainer.epoch == 30 and [type(m) for m in trainer.model][:4] == [nn.Linear, SinPlus, PairSum, nn.Linear]

        bad = _write(tmp_path / "bad.json", layers=[{"units": 5}, {"type": "pairsum"}])
        capsys.readouterr()
        assert main(["train", str(bad), "--quiet"]) == 2
        assert "layers.1 (pairsum): gets (5,) from layers.0; needs an even width" in capsys.readouterr().err
    with pytest.raises(SpecError, match="layers.0.activation"):  # removed again: nothing else remembers it
        parse_experiment({"layers": [{"units": 3, "activation": "sinplus"}]})
    with pytest.raises(SpecError, match="type 'pairsum' is not a layer type; allowed: dense"):
        parse_experiment({"layers": [{"type": "pairsum"}]})


def test_python_export_refuses_a_layer_it_cannot_spell(tmp_path):
    from core.export import ExportError, export_model
    from core.training.trainer import Trainer

    with LAYER_TYPES.added(PAIRSUM):
        trainer = Trainer(parse_experiment({"data": {"source": "xor", "samples": 60}, "engine": "torch",
                                            "layers": [{"units": 4}, {"type": "pairsum"}]}))
        with pytest.raises(ExportError, match=r"layer 'pairsum2' \(PairSum\) cannot be written as Python code"):
            export_model(trainer, tmp_path / "model.py", "python")
        assert not (tmp_path / "model.py").exists()


def test_shapes_name_the_layer_and_both_shapes():
    from core.spec.shapes import layer_shapes

    with LAYER_TYPES.added(PAIRSUM):
        spec = parse_experiment({"layers": [{"units": 6}, {"type": "pairsum"}, {"units": 2}]})
        assert layer_shapes(spec, (2,), 1) == [(6,), (3,), (2,)]
        with pytest.raises(ShapeError, match=r"layers.0 \(pairsum\): gets \(3,\) from the data; needs an even width"):
            layer_shapes(parse_experiment({"layers": [{"type": "pairsum"}]}), (3,), 1)
    # a dense layer flattens an image it gets; an image layer refuses a flat vector
    assert layer_shapes(parse_experiment({"layers": [{"units": 3}]}), (1, 8, 8), 1) == [(3,)]
    with pytest.raises(ShapeError, match=r"layers.1 \(conv2d\): gets \(3,\) from layers.0; needs an image"):
        layer_shapes(parse_experiment({"layers": [{"units": 3}, {"type": "conv2d"}]}), (1, 8, 8), 1)


def test_live_settings_flow_by_name_from_control_to_trainer():
    from core.training.control import TrainingControl
    from core.training.live import LIVE
    from core.training.trainer import Trainer

    trainer = Trainer(parse_experiment({"data": {"source": "xor", "samples": 60}, "engine": "torch"}))
    control = TrainingControl()
    control.set_live("learning_rate", "0.125")
    control.set_batch_size(7)  # the old setters are aliases of set_live
    control.set_live("learning_rate", 0.25)  # latest wins
    settings, edits, _ = control.take_pending()
    assert settings == {"learning_rate": 0.25, "batch_size": 7} and set(settings) <= set(LIVE)
    assert trainer.apply_pending(settings, edits) == ""
    assert trainer.learning_rate == 0.25 and trainer.batch_size == 7
    assert "batch size must be at least 1" in trainer.apply_pending({"batch_size": 0}, [])
    with pytest.raises(KeyError, match="unknown live setting 'momentum'; allowed: learning_rate"):
        control.set_live("momentum", 0.9)
