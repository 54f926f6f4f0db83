"""The training-health panel (healthPanel): opened from the View menu it fills live while training on
both engines, its plots change between snapshots, and the deep-sigmoid demo names the layer whose
gradients vanish, once, in the panel and the message bar."""

from __future__ import annotations

import numpy as np
import pytest
from PySide6.QtWidgets import QWidget

from window_checks import quick_spec


def _curve(panel, field: str, layer: int = 0) -> np.ndarray:
    """The values drawn (before a log axis takes their logarithm)."""
    y = panel.curves[field][layer].yData
    return np.array([]) if y is None else np.asarray(y, float).copy()


@pytest.mark.parametrize("engine", ["torch", "fused"])
def test_the_panel_opens_from_the_view_menu_and_follows_training(qtbot, make_window, engine):
    if engine == "fused":
        pytest.importorskip("numba")
    window = make_window(quick_spec(engine=engine, layers=[{"units": 6, "activation": "relu"},
                                                           {"units": 4, "activation": "tanh"}]))
    dock = window.health
    assert not dock.isVisible()  # the default window keeps its room
    window.findChild(type(dock.view_action), "healthPanelAction").trigger()
    panel = window.findChild(QWidget, "healthPanel")
    assert panel is dock.panel and panel.isVisible()
    window.controller.play()
    qtbot.waitUntil(lambda: len(panel.series.epochs) >= 3 and panel.redraw_count > 0, timeout=30_000)
    assert panel.layers == ("dense1", "dense2", "output")
    assert panel.latest["gradients"] == ("fused kernel" if engine == "fused" else "torch autograd")
    first = {f: _curve(panel, f) for f in ("weight_norm", "grad_norm")}
    drawn = panel.redraw_count
    qtbot.waitUntil(lambda: panel.redraw_count > drawn + 1 and len(_curve(panel, "grad_norm")) > len(first["grad_norm"]),
                    timeout=30_000)
    window.controller.pause()
    for field, before in first.items():
        after = _curve(panel, field)
        assert len(after) > len(before) and np.isfinite(after[-1]) and after[-1] != before[-1]
    ratio = _curve(panel, "update_ratio")
    assert np.isfinite(ratio[-1]) and 0 < ratio[-1] < 1
    bars_x, bars_y = panel.histogram_bars[0].getData()
    assert len(bars_x) == len(bars_y) + 1 and bars_y.sum() == pytest.approx(1.0, abs=1e-4)
    assert bars_x[0] == 0  # relu: from 0 to the batch's largest output
    window.controller.reset()
    qtbot.waitUntil(lambda: panel.latest is None or panel.latest["epoch"] == 0, timeout=10_000)


def test_the_deep_sigmoid_demo_names_the_layer_whose_gradients_vanish_once(qtbot, make_window):
    pytest.importorskip("numba")
    window = make_window()
    window.findChild(type(window.health.view_action), "deepSigmoidDemoAction").trigger()
    panel = window.health.panel
    assert window.health.isVisible() and len(window.controller.spec.layers) == 8
    window.controller.play()
    said = lambda: [t for level, t in window.messages if "Gradients vanish in dense1" in t]  # noqa: E731
    qtbot.waitUntil(lambda: bool(said()) and panel.redraw_count > 0, timeout=60_000)
    snapshots = len(panel.series.epochs)
    qtbot.waitUntil(lambda: len(panel.series.epochs) > snapshots + 3, timeout=30_000)
    window.controller.pause()
    assert len(said()) == 1  # the message bar says it once, however many snapshots still show it
    assert "Gradients vanish in dense1" in panel.warning.text()
    assert "dense1" in window.message_bar.text
    grads = _curve(panel, "grad_norm", 0), _curve(panel, "grad_norm", len(panel.layers) - 1)
    assert grads[0][-1] < 1e-4 * grads[1][-1]  # orders of magnitude below the last layer


def test_a_hidden_panel_records_but_builds_its_plots_only_when_shown(qtbot, make_window):
    """Building the per-layer plots took the GUI thread 0.15-0.5 s at each run's first snapshot, panel
    shown or not: hidden, it only records the figures."""
    window = make_window(quick_spec(layers=[{"units": 6, "activation": "relu"}]))
    panel = window.health.panel
    window.controller.play()
    qtbot.waitUntil(lambda: len(panel.series.epochs) >= 2, timeout=30_000)
    window.controller.pause()
    assert panel.layers == ("dense1", "output") and panel.histogram_plots == []
    window.health.open()
    qtbot.waitUntil(lambda: len(panel.histogram_plots) == 2 and panel.redraw_count > 0, timeout=10_000)
    assert all(len(panel.curves[field]) == 2 for field in panel.curves)
    assert len(panel.curves["weight_norm"][0].yData) == len(panel.series.epochs)  # what it recorded, drawn
