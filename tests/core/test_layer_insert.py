"""Adding a layer of a chosen type: it goes where the stack fits, or the misfit is named."""

import pytest

from core.nn.layers import ShapeError
from core.spec import Experiment
from core.spec.insert import fitting_types, with_new_layer

SPEC = Experiment.model_validate({"schema_version": 2, "data": {"source": "digits"}, "task": "classification",
                                  "loss": "cross_entropy", "layers": [{"type": "dense", "units": 8}]})


def test_images_take_every_type_and_flat_data_only_the_vector_ones():
    assert {"conv2d", "maxpool2d", "flatten", "dense", "global_avg_pool"} <= set(fitting_types((1, 8, 8)))
    assert fitting_types((2,)) == ["dense"]  # a 2-D set or a table: the TF Playground diagram, dense only


def test_image_layers_go_before_the_first_flat_layer():
    layers = [layer.model_dump(mode="json") for layer in SPEC.layers]
    layers = with_new_layer(SPEC, layers, {"type": "conv2d"}, (1, 8, 8), 10)
    layers = with_new_layer(SPEC, layers, {"type": "maxpool2d"}, (1, 8, 8), 10)
    layers = with_new_layer(SPEC, layers, {"type": "dense", "units": 4}, (1, 8, 8), 10)
    assert [layer["type"] for layer in layers] == ["conv2d", "maxpool2d", "dense", "dense"]


def test_a_layer_that_fits_nowhere_is_refused_naming_it():
    layers = [{"type": "maxpool2d", "size": 8}]
    with pytest.raises(ShapeError, match=r"layers.1 \(maxpool2d\): gets \(1, 1, 1\)"):
        with_new_layer(SPEC, layers, {"type": "maxpool2d", "size": 2}, (1, 8, 8), 10)
