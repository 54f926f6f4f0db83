"""The loss curves of a long run: a log epoch axis, a recent window, and figures with real digits."""

from __future__ import annotations

import numpy as np
import pytest

from core.training.snapshot import EpochRecord


def _records(n: int) -> list[EpochRecord]:
    """A run that learns in its first 1 % and then creeps: 0.7 down to ~0.0001."""
    epochs = np.arange(1, n + 1)
    loss = 0.7 * np.exp(-epochs / (n / 100)) + 1e-4 * (1 + 1 / epochs)
    return [EpochRecord(int(e), int(e) * 25, float(v), float(v) * 1.1, 0.9, 0.85) for e, v in zip(epochs, loss)]


@pytest.fixture
def plot(qtbot):
    from app.plots.loss_plot import LossPlot

    widget = LossPlot()
    qtbot.addWidget(widget)
    widget.resize(400, 240)
    widget.show()
    widget.append(_records(5000))
    widget.refresh()
    return widget


def test_log_epoch_axis_gives_the_first_epochs_room(plot):
    assert plot.shown_epochs()[1] >= 5000
    plot.set_epoch_view("log")
    first, last = plot.shown_epochs()
    assert 0.5 <= first <= 1.0 and last >= 5000  # epoch 1 at the left edge (a 2 % margin)
    # on a log axis the first 1 % of epochs (1..50) spans almost half of the axis
    x_of = plot.loss_item.getViewBox().mapViewToScene
    from PySide6.QtCore import QPointF

    left, mid, right = (x_of(QPointF(np.log10(e), 0)).x() for e in (1, 50, 5000))
    assert (mid - left) / (right - left) > 0.4
    x, _ = plot.train_curve.getData()
    assert np.all(np.isfinite(x)) and x.min() >= 0


def test_recent_view_shows_the_newest_fifth_with_its_own_loss_range(plot):
    plot.set_epoch_view("recent")
    first, last = plot.shown_epochs()
    assert 3900 <= first <= 4100 and 5000 <= last <= 5100
    _, (low, high) = plot.loss_item.getViewBox().viewRange()
    assert high < 0.01  # the late losses fill the height, not 0..0.7
    with pytest.raises(ValueError, match="epoch view"):
        plot.set_epoch_view("sideways")


def test_figures_show_four_significant_digits(qtbot):
    from app.panels.output_panel import OutputPanel
    from core.training.snapshot import Snapshot

    panel = OutputPanel()
    qtbot.addWidget(panel)
    snap = Snapshot(epoch=9, step=90, train_loss=0.00012346, test_loss=0.0004321, train_accuracy=None,
                    test_accuracy=None, learning_rate=0.03, batch_size=10)
    panel.show_figures(snap)
    assert "0.0001235" in panel.figures.text() and "0.0004321" in panel.figures.text()


def test_long_runs_have_short_epoch_ticks():
    from app.plots.loss_plot import epoch_tick

    assert [epoch_tick(v) for v in (0, 500, 1000, 12000, 40000, 1_500_000)] == \
        ["0", "500", "1k", "12k", "40k", "1.5M"]


def test_many_overlaid_runs_wrap_in_the_legend_instead_of_running_off_its_edge(plot):
    from core.runs.record import RunRecord

    epochs = list(range(1, 51))
    runs = [(RunRecord(name=f"lr=0.00{i} momentum", time="", spec={},
                       curves={"epoch": epochs, "test_loss": [0.5] * 50, "test_accuracy": [0.8] * 50}),
             (40 * i, 100, 200)) for i in range(1, 7)]
    plot.resize(330, 240)  # the output panel's width at 1366x768
    plot.set_overlays(runs)
    assert plot.legend.item.boundingRect().width() <= plot.width()
    html = plot.legend.item.toHtml()
    assert all(run.name in html for run, _ in runs) and html.count("╌╌") == 6
    lines = plot.legend.item.toPlainText().splitlines()
    assert len(lines) >= 3  # the curves' line, then the runs over two or more lines
    plot.resize(900, 240)   # wider: fewer lines
    from PySide6.QtWidgets import QApplication

    QApplication.processEvents()
    assert len(plot.legend.item.toPlainText().splitlines()) < len(lines)
