"""One rule bounds every loss curve: the run's history and the window's plot keep the same epochs."""

from __future__ import annotations

import numpy as np

from core.training.history import LossHistory
from core.training.snapshot import EpochRecord
from core.training.thinning import thin


def _curve(n: int) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    epochs = np.arange(1, n + 1, dtype=np.float64)
    train = 1.0 / np.sqrt(epochs) + 0.01 * np.sin(epochs)
    test = train + 0.05
    train[n // 3] = 100.0          # a spike far in the past
    test[n // 5] = float("nan")    # a divergence blip
    return epochs, train, test


def test_history_is_bounded_and_keeps_spikes_and_the_newest_epochs():
    epochs, train, test = _curve(30_000)
    history = LossHistory(max_points=512)
    history.extend(EpochRecord(epoch=int(e), step=int(e), train_loss=float(a), test_loss=float(b))
                   for e, a, b in zip(epochs, train, test))
    assert len(history) <= 512
    assert 100.0 in history.train_loss and np.isnan(history.test_loss).any()
    assert list(history.epochs[-128:]) == list(range(30_000 - 127, 30_001))  # newest quarter one by one
    assert np.all(np.diff(history.epochs) > 0)


def test_history_and_plot_buffer_thin_alike():
    """The same rows through LossHistory and through the rule directly keep the same epochs."""
    epochs, train, test = _curve(5_000)
    history = LossHistory(max_points=256)
    kept = np.empty(0)
    stride = 1
    for e, a, b in zip(epochs, train, test):
        history.append(EpochRecord(epoch=int(e), step=int(e), train_loss=float(a), test_loss=float(b)))
        kept = np.r_[kept, e]
        if len(kept) > 256:
            idx = np.searchsorted(epochs, kept)
            keep, stride = thin(kept, train[idx], test[idx], recent=64, max_points=256, stride=stride)
            kept = kept[keep]
    assert list(history.epochs) == [int(e) for e in kept]


def test_thin_leaves_a_short_buffer_alone():
    epochs, train, test = _curve(10)
    keep, stride = thin(epochs, train, test, recent=20, max_points=64, stride=1)
    assert list(keep) == list(range(10)) and stride == 1
