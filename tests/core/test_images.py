"""Image data (digits, shapes, image folders) and the image layers: shapes, labels, misfits, training."""

import json
from pathlib import Path

import numpy as np
import pytest
import torch
from PIL import Image

from core.data import DataError, load_dataset
from core.data.images import SHAPE_NAMES
from core.nn.build import build_model
from core.spec import ShapeError, load_experiment, parse_experiment
from core.training.trainer import Trainer

EXAMPLE = Path(__file__).parents[2] / "examples" / "digits_cnn.json"


def _spec(data: dict, layers: list | None = None, **extra) -> object:
    return parse_experiment({"schema_version": 2, "data": data, "loss": "cross_entropy",
                             "layers": layers if layers is not None else [{"units": 8}], **extra})


def test_digits_are_one_channel_8x8_images_scaled_inside():
    data = load_dataset(_spec({"source": "digits", "train_fraction": 0.8}))
    assert data.modality == "image" and data.input_shape == (1, 8, 8)
    assert len(data) == 1797 and data.n_classes == 10 and data.x_train.shape[1] == 64
    assert data.raw_train.max() == 16.0 and data.x_train.max() == 1.0 and data.x_train.min() == 0.0
    assert data.input_names[:2] == ("pixel_0_0", "pixel_0_1")
    # digits with chosen columns stay a table
    table = load_dataset(_spec({"source": "digits", "columns": ["pixel_3_3", "pixel_4_4"]}))
    assert table.modality == "table" and table.input_shape == (2,)


def test_points_and_tables_say_their_modality():
    assert load_dataset(parse_experiment({"data": {"source": "xor", "samples": 40}})).modality == "points"
    iris = load_dataset(_spec({"source": "iris"}))
    assert iris.modality == "table" and iris.input_shape == (4,)


def test_shapes_are_seeded_balanced_grey_images():
    spec = _spec({"source": "shapes", "samples": 200, "image_size": 16})
    a, b = load_dataset(spec), load_dataset(spec)
    assert a.input_shape == (1, 16, 16) and a.modality == "image" and a.class_names == SHAPE_NAMES
    assert np.array_equal(a.raw_train, b.raw_train) and np.array_equal(a.y_test, b.y_test)
    other = load_dataset(spec.replace(seed=1))
    assert not np.array_equal(a.raw_train, other.raw_train)
    y = np.concatenate([a.y_train, a.y_test])
    assert np.bincount(y).tolist() == [40] * 5
    assert 0.0 <= a.raw_train.min() and a.raw_train.max() <= 1.0
    # each image holds a shape: a few dozen lit pixels, not an empty or full square
    lit = (np.concatenate([a.raw_train, a.raw_test]) > 0.5).sum(axis=1)
    assert lit.min() >= 3 and lit.max() < 256
    noisy = load_dataset(_spec({"source": "shapes", "samples": 200, "noise": 0.3}))
    assert np.abs(noisy.raw_train - a.raw_train).mean() > 0.05
    big = load_dataset(_spec({"source": "shapes", "samples": 50, "image_size": 28}))
    assert big.input_shape == (1, 28, 28) and big.x_train.shape[1] == 784


def _folder(root: Path, classes: dict[str, int], size=(12, 10), mode="L") -> Path:
    rng = np.random.default_rng(0)
    for name, count in classes.items():
        (root / name).mkdir(parents=True)
        for i in range(count):
            shape = size[::-1] + ((3,) if mode == "RGB" else ())
            Image.fromarray(rng.integers(0, 256, shape, dtype=np.uint8), mode).save(
                root / name / f"{i}.{'png' if i % 2 else 'jpg'}")
    return root


@pytest.mark.parametrize("color, channels", [("grey", 1), ("rgb", 3)])
def test_image_folder_reads_one_class_per_subfolder(tmp_path, color, channels):
    root = _folder(tmp_path / "pics", {"cats": 6, "dogs": 4}, mode="RGB")
    (root / "cats" / "notes.txt").write_text("not an image, not listed")
    data = load_dataset(_spec({"source": "image_folder", "path": str(root), "image_size": 8, "color": color}))
    assert data.class_names == ("cats", "dogs") and len(data) == 10
    assert data.input_shape == (channels, 8, 8) and data.x_train.shape[1] == channels * 64
    assert data.raw_train.max() <= 255 and data.x_train.max() <= 1.0
    assert sorted(np.concatenate([data.y_train, data.y_test]).tolist()) == [0.0] * 6 + [1.0] * 4


def test_image_folder_lists_every_bad_file_in_one_message(tmp_path):
    root = _folder(tmp_path / "pics", {"a": 3, "b": 3})
    (root / "a" / "broken.png").write_bytes(b"\x89PNG not really")
    (root / "b" / "empty.jpg").write_bytes(b"")
    with pytest.raises(DataError) as err:
        load_dataset(_spec({"source": "image_folder", "path": str(root)}))
    message = str(err.value)
    assert "2 files could not be read" in message
    assert "broken.png" in message and "empty.jpg" in message and "Remove or replace" in message


def test_image_folder_problems_say_what_to_do(tmp_path):
    with pytest.raises(DataError, match="does not exist"):
        load_dataset(_spec({"source": "image_folder", "path": str(tmp_path / "nope")}))
    _folder(tmp_path / "one", {"only": 2})
    with pytest.raises(DataError, match="needs at least 2"):
        load_dataset(_spec({"source": "image_folder", "path": str(tmp_path / "one")}))
    with pytest.raises(ValueError, match="data.path"):
        _spec({"source": "image_folder"})


def test_misfit_pool_is_refused_naming_the_layer_and_both_shapes():
    layers = [{"type": "conv2d", "filters": 4, "padding": "valid", "kernel_size": 3},  # 8x8 -> 6x6
              {"type": "maxpool2d", "size": 3},  # -> 2x2
              {"type": "maxpool2d", "size": 4}, {"type": "flatten"}]
    spec = _spec({"source": "digits"}, layers)
    with pytest.raises(ShapeError, match=r"layers.2 \(maxpool2d\): gets \(4, 2, 2\) from layers.1; "
                                         r"needs an image of at least 4×4 pixels \(it would give \(4, 0, 0\)\)"):
        Trainer(spec)
    with pytest.raises(ShapeError, match=r"layers.0 \(conv2d\): gets \(4,\) from the data; needs an image"):
        Trainer(_spec({"source": "iris"}, [{"type": "conv2d"}]))


def test_layer_shapes_and_names_follow_the_diagram():
    spec = load_experiment(EXAMPLE)
    model = build_model(spec, 64, 10)
    assert list(model.state_dict()) == ["conv1.weight", "conv1.bias", "conv3.weight", "conv3.bias",
                                        "dense5.weight", "dense5.bias", "output.weight", "output.bias"]
    assert model(torch.zeros(7, 64)).shape == (7, 10)
    strided = _spec({"source": "shapes"}, [{"type": "conv2d", "filters": 2, "kernel_size": 3, "stride": 2},
                                            {"type": "avgpool2d", "size": 2}, {"type": "batch_norm"},
                                            {"type": "dropout", "rate": 0.2}, {"type": "global_avg_pool"}])
    from core.spec.shapes import layer_shapes

    assert layer_shapes(strided, (1, 16, 16), 5) == [(2, 8, 8), (2, 4, 4), (2, 4, 4), (2, 4, 4), (2,)]


def test_dense_only_digits_still_trains_on_the_fused_engine():
    spec = _spec({"source": "digits", "train_fraction": 0.8}, [{"units": 16, "activation": "relu"}],
                 optimizer={"name": "adam", "lr": 0.01}, batch_size=32, epochs=5)
    trainer = Trainer(spec)
    assert trainer.engine == "fused" and "flatten1" not in dict(trainer.model.named_children())
    trainer.train_epochs(5)
    assert trainer.evaluate()[3] > 0.85


def test_conv_nets_train_on_torch_and_the_notice_says_why():
    layers = [{"type": "conv2d", "filters": 4}, {"type": "batch_norm"}, {"type": "dropout", "rate": 0.3},
              {"type": "maxpool2d"}, {"type": "global_avg_pool"}]
    trainer = Trainer(_spec({"source": "shapes", "samples": 100}, layers, batch_size=16))
    assert trainer.engine == "torch"
    assert trainer.engine_notice == ("Torch engine: layers.0 (conv2d): convolution layers are not on the "
                                     "fused engine")
    first = trainer.train_epoch().train_loss
    for _ in range(4):
        last = trainer.train_epoch().train_loss
    assert np.isfinite(last) and last < first
    # raw images (n, C, H, W) predict like flat rows
    raw = trainer.dataset.raw_test[:5]
    assert np.allclose(trainer.predict(raw.reshape(5, 1, 16, 16)), trainer.predict(raw))


def test_the_issue_example_reaches_097_on_digits():
    spec = load_experiment(EXAMPLE)
    assert json.loads(EXAMPLE.read_text())["epochs"] == 30
    trainer = Trainer(spec)
    trainer.train_epochs(spec.epochs)
    assert trainer.evaluate()[3] >= 0.97
