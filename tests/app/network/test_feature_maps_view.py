"""Image layers in the network view: columns of feature maps with the conv filters beside them."""

from pathlib import Path

import numpy as np

from app.network.feature_maps import DRAWERS, column_pictures, column_width, filter_mosaic
from core.spec import load_experiment

EXAMPLE = Path(__file__).parents[3] / "examples" / "digits_cnn.json"


def test_the_table_draws_image_layers_as_one_node_per_channel_and_dense_layers_as_neurons():
    assert column_width("conv2d", (8, 8, 8)) == 8 and column_width("maxpool2d", (24, 4, 4)) == 24
    assert column_width("dense", (32,)) is None and column_width("flatten", (256,)) is None
    assert {"conv2d", "maxpool2d", "avgpool2d"} <= set(DRAWERS)


def test_pictures_of_a_probe_view():
    rng = np.random.default_rng(0)
    view = {"input": rng.uniform(0, 16, (1, 8, 8)).astype(np.float32),
            "layers": ({"index": 0, "type": "conv2d", "maps": rng.normal(size=(8, 8, 8)).astype(np.float32),
                        "filters": rng.normal(size=(8, 3, 3, 3)).astype(np.float32), "channels": 8},
                       {"index": 1, "type": "flatten", "maps": None, "filters": None, "channels": 512})}
    pictures = column_pictures(view)
    assert sorted(pictures) == [0, 1]  # the input and the conv layer; flatten stays a box
    assert len(pictures[1].maps) == 8 and len(pictures[1].filters) == 8
    assert pictures[1].maps[0].width() == 8 and pictures[1].filters[0].width() == 7  # 2 x 2 of 3 x 3, gap 1
    assert filter_mosaic(np.ones((2, 1, 5, 5), np.float32)).shape == (2, 5, 5)


def test_training_the_digits_cnn_changes_its_feature_maps(qtbot, make_window):
    window = make_window(load_experiment(EXAMPLE))
    canvas = window.network_view.canvas
    qtbot.waitUntil(lambda: canvas._input_shape == (1, 8, 8), timeout=30_000)
    # a column per image layer: 1 input channel, 8 conv maps, 8 pooled maps, 16 conv maps
    assert [c.total for c in canvas._columns][:4] == [1, 8, 8, 16]
    assert [c.pictures for c in canvas._columns] == [True, True, True, True, False, False, False]
    window.controller.play()
    qtbot.waitUntil(lambda: canvas.feature_view is not None, timeout=60_000)
    first = canvas.feature_view["layers"][2]["maps"].copy()
    assert first.shape == (16, 4, 4) and canvas.feature_view["layers"][0]["filters"].shape == (8, 1, 3, 3)
    assert len(canvas._pictures[3].maps) == 16 and len(canvas._pictures[1].filters) == 8
    qtbot.waitUntil(lambda: not np.allclose(canvas.feature_view["layers"][2]["maps"], first), timeout=60_000)
    window.controller.pause()
    rect = canvas.node_rect("hidden", 0, 0)
    qtbot.mouseMove(canvas, rect.center().toPoint())  # hovering a map is harmless (no plane to show it on)
    qtbot.wait(20)
    assert "feature map" in canvas.tooltip_at(rect.center()) and "filter" in canvas.tooltip_at(rect.center())
    assert canvas.link_at(canvas._links.anchor(0)) is None  # conv links carry no single weight to edit


def test_a_dense_only_net_on_digits_keeps_its_pixel_inputs_and_coloured_links(qtbot, make_window):
    spec = load_experiment(EXAMPLE).replace(layers=[{"type": "dense", "units": 8}], engine="torch")
    window = make_window(spec)
    canvas = window.network_view.canvas
    qtbot.waitUntil(lambda: canvas._weights is not None, timeout=30_000)
    assert canvas._input_shape is None and canvas._columns[0].total == 64 and canvas._keys is not None
