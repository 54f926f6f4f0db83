"""Epoch row orders: permutations that depend on (seed, epoch) only, and look random."""

from __future__ import annotations

import numpy as np
import pytest

from core.training.shuffle import epoch_orders


def test_each_epoch_visits_every_row_once():
    orders = epoch_orders(3, 0, 20, 97)
    assert orders.shape == (20, 97) and orders.dtype == np.int64
    for row in orders:
        assert sorted(row) == list(range(97))


def test_an_epoch_order_does_not_depend_on_the_block_it_was_made_in():
    block = epoch_orders(5, 10, 8, 64)
    for k in range(8):
        np.testing.assert_array_equal(block[k], epoch_orders(5, 10 + k, 1, 64)[0])


def test_epochs_and_seeds_give_different_orders():
    base = epoch_orders(0, 0, 1, 50)[0]
    assert not np.array_equal(base, epoch_orders(0, 1, 1, 50)[0])
    assert not np.array_equal(base, epoch_orders(1, 0, 1, 50)[0])


def test_orders_are_close_to_uniform():
    # 60,000 orders of 3 rows: each of the 6 permutations ~10,000 times (sd ~91).
    counts = np.unique(epoch_orders(0, 0, 60_000, 3), axis=0, return_counts=True)[1]
    assert len(counts) == 6 and counts.min() > 9_500 and counts.max() < 10_500
    first = np.bincount(epoch_orders(9, 0, 20_000, 10)[:, 0], minlength=10)  # ~2,000 each, sd ~42
    assert first.min() > 1_800 and first.max() < 2_200


def test_bad_counts_are_refused():
    with pytest.raises(ValueError, match="count"):
        epoch_orders(0, 0, -1, 10)
    assert epoch_orders(0, 0, 0, 10).shape == (0, 10)
