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


def _cnn_view(qtbot, width=1366 // 2, height=600):
    """A NetworkView drawing the digits CNN's structure, without a run."""
    from app.network.view import NetworkView
    from core.spec.shapes import layer_shapes

    spec = load_experiment(EXAMPLE)
    view = NetworkView()
    qtbot.addWidget(view)
    view.resize(width, height)
    view.set_structure(spec.layers, [f"pixel_{i}" for i in range(64)], 10, False, output_names=list("0123456789"),
                       shapes=layer_shapes(spec, (1, 8, 8), 10), input_shape=(1, 8, 8))
    view.show()
    qtbot.waitExposed(view)
    return view


def _probe_view(rng, image):
    """views["feature_maps"] as core/training/feature_maps.py makes it for the digits CNN."""
    maps = [rng.normal(size=(8, 8, 8)), rng.normal(size=(8, 4, 4)), rng.normal(size=(16, 4, 4))]
    return {"input": image, "focus": {"test_index": 0}, "layers": (
        {"index": 0, "type": "conv2d", "maps": maps[0].astype(np.float32),
         "filters": rng.normal(size=(8, 1, 3, 3)).astype(np.float32)},
        {"index": 1, "type": "maxpool2d", "maps": maps[1].astype(np.float32), "filters": None},
        {"index": 2, "type": "conv2d", "maps": maps[2].astype(np.float32),
         "filters": rng.normal(size=(16, 8, 3, 3)).astype(np.float32)},
        {"index": 3, "type": "flatten", "maps": None, "filters": None},
        {"index": 4, "type": "dense", "maps": None, "filters": None})}


def test_a_snapshot_repaints_only_the_picture_columns_whose_data_changed(qtbot):
    from types import SimpleNamespace

    from app.network.feature_maps import changed_columns

    view = _cnn_view(qtbot)
    canvas = view.canvas
    canvas.min_render_interval = 0.0
    rng = np.random.default_rng(0)
    image = rng.uniform(0, 16, (1, 8, 8)).astype(np.float32)
    first = _probe_view(rng, image)
    assert canvas.update_snapshot(SimpleNamespace(views={"feature_maps": first}))
    qtbot.waitUntil(lambda: canvas.column_renders.get(3, 0) >= 1)
    before = canvas.grab().toImage()
    renders = dict(canvas.column_renders)

    second = _probe_view(rng, image)  # same focused image, new maps (the weights moved)
    second["layers"] = (second["layers"][0], first["layers"][1]) + second["layers"][2:]  # the pool kept its maps
    assert changed_columns(first, second) == {1, 3}
    canvas.update_snapshot(SimpleNamespace(views={"feature_maps": second}))
    qtbot.waitUntil(lambda: canvas.column_renders[3] > renders[3])
    assert canvas.column_renders[1] == renders[1] + 1
    assert canvas.column_renders[0] == renders[0] and canvas.column_renders[2] == renders[2]
    after = canvas.grab().toImage()
    assert after != before  # the new maps are on screen

    # what was painted column by column is what a full render of the same snapshot paints
    fresh = _cnn_view(qtbot)
    fresh.canvas.update_snapshot(SimpleNamespace(views={"feature_maps": second}))
    qtbot.waitUntil(lambda: fresh.canvas.column_renders.get(3, 0) >= 1)
    assert fresh.canvas.grab().toImage() == after

    # a snapshot of a paused run (nothing changed) paints nothing
    renders = dict(canvas.column_renders)
    canvas.update_snapshot(SimpleNamespace(views={"feature_maps": second}))
    qtbot.wait(50)
    assert canvas.column_renders == renders


def test_image_layer_captions_fit_their_header_and_carry_the_full_name(qtbot):
    from PySide6.QtGui import QFontMetrics

    for width in (1366 // 2, 1920 // 2, 480):
        view = _cnn_view(qtbot, width=width)
        for k, header in enumerate(view.canvas.headers[:4]):
            for label in (header.units_label, header.options_label):
                metrics = QFontMetrics(label.font())
                widest = max(metrics.horizontalAdvance(line) for line in label.text().split("\n"))
                assert widest <= header.width(), (width, k, label.text(), header.width())
            assert header.units_label.toolTip().startswith(("Convolution 2-D", "Max pooling", "Flatten"))
        title = view.canvas.headers[0].units_label.text()
        # the full name where its words fit; a narrower column says "Conv 2-D" rather than "Convoluti…"
        assert title.replace("\n", " ") in ("Convolution 2-D", "Conv 2-D") and "…" not in title
        if width == 480:
            assert title.replace("\n", " ") == "Conv 2-D"
