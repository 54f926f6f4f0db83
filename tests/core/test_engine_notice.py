"""When the torch engine runs though the user did not ask for it, the trainer says why in one line."""

from __future__ import annotations

import pytest

from core.spec import parse_experiment
from core.training.trainer import Trainer

pytest.importorskip("numba")


def _trainer(**changes) -> Trainer:
    return Trainer(parse_experiment({"schema_version": 1, "data": {"source": "spiral", "samples": 200}, **changes}))


@pytest.mark.parametrize("changes, words", [
    ({"layers": [{"units": 8, "norm": "batch"}], "optimizer": {"name": "adam"}},
     "batch norm ('norm1') is not on the fast path"),
    ({"layers": [{"units": 8, "activation": "relu"}, {"units": 4, "norm": "batch"}]},
     "batch norm ('norm2') is not on the fast path"),
])
def test_a_setting_the_fast_path_lacks_is_named_with_its_cost(changes, words):
    t = _trainer(**changes)
    assert t.engine == "torch"
    assert t.engine_notice.startswith(f"Torch engine: {words}: about ")
    factor = t.engine_notice.rsplit("about ", 1)[1]
    assert factor.endswith("× slower") and float(factor.split("×")[0].replace(",", "")) >= 10
    assert "\n" not in t.engine_notice


def test_no_notice_on_the_fast_engine_or_when_the_user_chose_torch():
    assert _trainer().engine == "fused" and _trainer().engine_notice == ""
    assert _trainer(optimizer={"name": "adam"}, layers=[{"units": 6, "dropout": 0.2}]).engine_notice == ""
    chosen = _trainer(engine="torch", layers=[{"units": 8, "norm": "batch"}])
    assert chosen.engine == "torch" and chosen.engine_notice == ""


def test_auto_choosing_torch_because_it_is_faster_says_so():
    t = _trainer(layers=[{"units": 1024}, {"units": 1024}], batch_size=100)
    assert t.engine == "torch"
    assert t.engine_notice == "Torch engine: faster than the fast path for this net and batch size"


def test_a_batch_size_change_that_brings_the_fast_engine_back_clears_the_notice():
    t = _trainer(layers=[{"units": 1024}, {"units": 1024}], batch_size=100)
    assert t.engine == "torch" and t.engine_notice
    t.set_batch_size(10)
    assert t.engine == "fused" and t.engine_notice == ""
