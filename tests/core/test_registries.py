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
