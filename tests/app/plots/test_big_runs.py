"""Views that stay small however big the run: the loss curve after hundreds of thousands of epochs
keeps a bounded number of points (spikes and the newest epochs kept), and the boundary view draws a
seeded sample of a huge data set and says so."""

from __future__ import annotations

import numpy as np
import pytest

from app.plots.boundary_points import MAX_SHOWN_POINTS
from app.plots.boundary_view import BoundaryView
from app.plots.loss_plot import MAX_POINTS, RECENT_POINTS, LossPlot
from core.data import Dataset, load_dataset
from core.training.snapshot import EpochRecord
from core.spec import Experiment

SPIKE, DIP, EPOCHS = 23_456, 70_001, 200_000


def _long_run(plot: LossPlot, epochs: int = EPOCHS, chunk: int = 2000) -> None:
    """Feed `epochs` records as snapshots would (a chunk each), with one spike and one dip far back."""
    for start in range(1, epochs + 1, chunk):
        records = []
        for e in range(start, min(epochs, start + chunk - 1) + 1):
            loss = 1.0 / np.sqrt(e)
            if e == SPIKE:
                loss = 50.0
            elif e == DIP:
                loss = 1e-6
            records.append(EpochRecord(e, e * 10, loss, loss * 1.1, 0.5, 0.6))
        plot.append(records)


def test_a_long_run_keeps_the_loss_curve_bounded_with_its_spikes(qtbot):
    plot = LossPlot()
    qtbot.addWidget(plot)
    _long_run(plot)
    assert plot.refresh()
    assert plot.n_points <= MAX_POINTS  # not 200,000
    epochs, train = plot.series("epoch"), plot.series("train_loss")
    assert np.all(np.diff(epochs) > 0)
    assert epochs[0] == 1 and epochs[-1] == EPOCHS
    # the spike and the dip far back are still drawn, at their own epochs
    assert train.max() == 50.0 and epochs[train.argmax()] == SPIKE
    assert train.min() == 1e-6 and epochs[train.argmin()] == DIP
    # the newest epochs are every one of them
    assert np.array_equal(epochs[-RECENT_POINTS:], np.arange(EPOCHS - RECENT_POINTS + 1, EPOCHS + 1))
    # old epochs are thinned evenly along the axis, not squeezed into a few points at the start
    counts, _ = np.histogram(epochs, bins=3, range=(1, 150_001))
    assert counts.min() > 50 and counts.min() > 0.8 * counts.max()
    # the curve is sent a few points per pixel, and still draws the spike and the dip
    x, y = plot.train_curve.getData()
    assert len(x) < plot.n_points and y.max() == 50.0 and y.min() == 1e-6


def test_hover_reads_the_nearest_kept_point_after_thinning(qtbot):
    plot = LossPlot()
    qtbot.addWidget(plot)
    _long_run(plot)
    assert plot.readout_at(SPIKE).startswith(f"epoch {SPIKE} · train 50 ")
    epochs, train = plot.series("epoch"), plot.series("train_loss")
    gap = int(np.flatnonzero(np.diff(epochs) > 1)[0])  # two kept points with thinned epochs between
    between = (epochs[gap] + epochs[gap + 1]) / 2 + 0.1  # nearer the later one
    assert plot.readout_at(between).startswith(f"epoch {int(epochs[gap + 1])} · train {train[gap + 1]:.4g} ")
    plot.reset()
    assert plot.n_points == 0 and plot.readout_at(SPIKE) == ""


def test_a_huge_data_set_shows_a_seeded_sample_and_says_so(qtbot):
    big = load_dataset(Experiment().replace(data={"source": "spiral", "samples": 60_000, "train_fraction": 0.5}))
    view = BoundaryView()
    qtbot.addWidget(view)
    view.set_dataset(big)
    points = view._train_points.points()
    assert len(points) == MAX_SHOWN_POINTS
    assert view.point_note == f"showing {MAX_SHOWN_POINTS:,} of 30,000 training points"
    assert view.legend.isVisible()
    # both classes drawn, each with one shared brush (not one brush per point)
    brushes = {id(b) for b in view._train_points.data["brush"]}
    colours = {p.brush().color().rgba() for p in points}
    assert len(colours) == 2 and len(brushes) == 2
    # the drawn points are real training points, in a sample that is the same every time
    xy = np.stack(view._train_points.getData(), axis=1)
    raw = np.asarray(big.raw_train)
    assert np.isin(xy[:, 0], raw[:, 0]).all()
    view.set_show_test(True)
    assert "of 30,000 test points" in view.point_note
    again = BoundaryView()
    qtbot.addWidget(again)
    again.set_dataset(big)
    assert np.array_equal(np.stack(again._train_points.getData(), axis=1), xy)


def test_a_small_data_set_is_drawn_whole_without_a_note(qtbot):
    small = load_dataset(Experiment())
    view = BoundaryView()
    qtbot.addWidget(view)
    view.set_dataset(small)
    assert len(view._train_points.points()) == len(small.x_train)
    assert view.point_note == "" and not view.legend.isVisible()


def test_on_a_big_table_only_drawn_test_rows_get_wrong_rings(qtbot):
    rng = np.random.default_rng(3)
    n_train, n_test = 4_000, 25_000
    x = rng.normal(size=(n_train + n_test, 3)).astype(np.float32)
    y = (x[:, 0] > 0).astype(np.float32)
    table = Dataset(x_train=x[:n_train], y_train=y[:n_train], x_test=x[n_train:], y_test=y[n_train:],
                    raw_train=x[:n_train], raw_test=x[n_train:], input_names=("a", "b", "c"),
                    raw_names=("a", "b", "c"), task="classification", class_names=("no", "yes"))
    view = BoundaryView()
    qtbot.addWidget(view)
    view.set_dataset(table)
    assert len(view._train_points.points()) == n_train
    assert len(view._test_points.points()) == MAX_SHOWN_POINTS
    assert view.point_note == f"showing {MAX_SHOWN_POINTS:,} of {n_test:,} test points"
    predicted = 1 - y[n_train:].astype(np.int64)  # every test row wrong
    assert view.update_predictions(type("Snap", (), {"test_predictions": predicted})())
    assert len(view.misclassified) == n_test  # all are known to be wrong ...
    assert len(view._miss_marks.points()) == MAX_SHOWN_POINTS  # ... rings only where a dot is drawn


@pytest.mark.parametrize("max_points, recent", [(64, 0), (64, 40)])
def test_the_loss_buffer_rejects_a_bound_it_cannot_keep(max_points, recent):
    from app.plots.loss_plot import _Buffer

    with pytest.raises(ValueError, match="recent must be"):
        _Buffer(max_points, recent)
