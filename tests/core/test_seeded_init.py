"""core/nn/seeded_init.py draws, in numpy, the very initial weights build_model draws with torch: the
window's first epochs (trained before torch has loaded) must start where the Trainer would."""

from __future__ import annotations

import numpy as np
import pytest

from core.nn.build import build_model, linear_layers
from core.nn.seeded_init import linear_init
from core.spec import parse_experiment


@pytest.mark.parametrize("seed", [0, 1, 7, 12345, 2**31 - 1])
@pytest.mark.parametrize("layers, n_inputs, n_outputs", [
    ([{"units": 4, "activation": "tanh"}, {"units": 2, "activation": "tanh"}], 2, 1),  # the default
    ([{"units": 8, "activation": "relu", "norm": "layer", "dropout": 0.2}] * 6, 7, 3),
    ([{"units": 64, "activation": "sigmoid"}, {"units": 32, "activation": "elu"}], 64, 10),
    ([], 5, 1),
])
def test_numpy_draws_the_weights_torch_draws_bit_for_bit(seed, layers, n_inputs, n_outputs):
    spec = parse_experiment({"schema_version": 2, "seed": seed, "layers": layers})
    linears = linear_layers(build_model(spec, n_inputs, n_outputs))
    widths = [n_inputs] + [m.out_features for m in linears]
    drawn = linear_init(seed, widths)
    assert len(drawn) == len(linears)
    for (weight, bias), linear in zip(drawn, linears):
        assert weight.dtype == np.float32 and bias.dtype == np.float32
        np.testing.assert_array_equal(weight, linear.weight.detach().numpy())
        np.testing.assert_array_equal(bias, linear.bias.detach().numpy())


def test_other_seeds_draw_other_weights():
    first, second = linear_init(1, [2, 4, 1]), linear_init(2, [2, 4, 1])
    assert not np.array_equal(first[0][0], second[0][0])
