"""Autoencoder exports: the whole model, the encoder and the decoder, each equal to the live model's part
at batches of 1, 7 and 1000, from the API and the CLI; parts refused where they make no sense."""

from __future__ import annotations

import json
import warnings

import numpy as np
import pytest
import torch

from core.cli import main
from core.export import ExportError, write_format
from core.nn.latent import split_model
from core.spec import parse_experiment
from core.training.trainer import Trainer

torch.set_num_threads(1)
ort = pytest.importorskip("onnxruntime")


def _spec(source="digits", loss="mse", **fields):
    return parse_experiment({
        "schema_version": 2, "seed": 0, "data": {"source": source, "train_fraction": 0.8, "samples": 200},
        "task": "autoencoder", "layers": [{"type": "dense", "units": 12}, {"type": "dense", "units": 3,
                                                                            "activation": "linear"}],
        "loss": loss, "optimizer": {"name": "adam", "lr": 0.01}, "batch_size": 32, "epochs": 2, "engine": "torch",
        **fields})


@pytest.fixture(scope="module")
def trained():
    trainer = Trainer(_spec())
    trainer.train_epochs(2)
    return trainer


def _run_onnx(path, x):
    session = ort.InferenceSession(str(path), providers=["CPUExecutionProvider"])
    return session.run(None, {session.get_inputs()[0].name: x})[0]


def _rows(trainer, n=1000):  # raw images, more than the test split holds
    raw = np.concatenate([trainer.dataset.raw_test, trainer.dataset.raw_train])[:n]
    return raw.reshape(len(raw), 1, 8, 8).astype(np.float32)


def test_encoder_onnx_and_decoder_torchscript_equal_the_live_halves(trained, tmp_path):
    encoder, decoder = split_model(trained.model, 1)
    write_format(trained, tmp_path / "encoder.onnx", "onnx", part="encoder")
    write_format(trained, tmp_path / "decoder.torchscript.pt", "torchscript", part="decoder")
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", DeprecationWarning)  # torch.jit is deprecated in torch >= 2.10
        loaded = torch.jit.load(str(tmp_path / "decoder.torchscript.pt"))
    for batch in (1, 7, 1000):
        raw = _rows(trained)[:batch]
        with torch.no_grad():
            codes = encoder(torch.as_tensor(trained.preprocess(raw)))
            decoded = trained.evaluator.probabilities(decoder(codes))
            got_images = loaded(codes).numpy()
        got_codes = _run_onnx(tmp_path / "encoder.onnx", raw)
        assert got_codes.shape == (batch, 3)
        np.testing.assert_allclose(got_codes, codes.numpy(), atol=1e-4)
        assert got_images.shape == (batch, 1, 8, 8)  # pixel values, shaped like the inputs
        np.testing.assert_allclose(got_images.reshape(batch, -1), decoded, atol=1e-3)


def test_whole_model_torchscript_reconstructs_like_predict(trained, tmp_path):
    report = write_format(trained, tmp_path / "model.torchscript.pt", "torchscript")
    assert report.max_abs_diff < 1e-3 and report.n_checked == 1000
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", DeprecationWarning)  # torch.jit is deprecated in torch >= 2.10
        loaded = torch.jit.load(str(tmp_path / "model.torchscript.pt"))
    raw = _rows(trained, 7)
    with torch.no_grad():
        got = loaded(torch.as_tensor(raw)).numpy()
    np.testing.assert_allclose(got.reshape(7, -1), trained.predict(raw.reshape(7, -1)), atol=1e-3)


def test_bce_export_gives_pixels_in_range(tmp_path):
    trainer = Trainer(_spec(loss="bce"))
    trainer.train_epochs(1)
    write_format(trainer, tmp_path / "model.torchscript.pt", "torchscript")
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", DeprecationWarning)
        with torch.no_grad():
            got = torch.jit.load(str(tmp_path / "model.torchscript.pt"))(torch.as_tensor(_rows(trainer, 7))).numpy()
    assert got.min() >= 0.0 and got.max() <= 16.0  # sigmoid * (high - low) + low: inside the pixels' range
    np.testing.assert_allclose(got.reshape(7, -1), trainer.predict(_rows(trainer, 7).reshape(7, -1)), atol=1e-3)


def test_parts_are_refused_where_they_do_not_apply(trained, tmp_path):
    with pytest.raises(ExportError, match="python format writes classifiers"):
        write_format(trained, tmp_path / "model.py", "python")
    with pytest.raises(ExportError, match="whole run"):
        write_format(trained, tmp_path / "c.ckpt", "checkpoint", part="encoder")
    classifier = Trainer(parse_experiment({"schema_version": 2, "data": {"source": "xor", "samples": 40},
                                           "engine": "torch"}))
    with pytest.raises(ExportError, match="needs an autoencoder"):
        write_format(classifier, tmp_path / "x.onnx", "onnx", part="encoder")


def test_cli_exports_the_parts_it_is_asked_for(tmp_path, capsys):
    path = tmp_path / "ae.json"
    path.write_text(json.dumps(_spec(epochs=1).to_dict()))
    assert main(["train", str(path), "--out", str(tmp_path / "run"), "--export", "torchscript", "--part",
                 "encoder,decoder"]) == 0
    out = capsys.readouterr().out
    assert "encoder.torchscript.pt  verified" in out and "decoder.torchscript.pt  verified" in out
    assert sorted(p.name for p in (tmp_path / "run").glob("*.pt")) == ["decoder.torchscript.pt",
                                                                      "encoder.torchscript.pt"]
    plain = tmp_path / "xor.json"
    plain.write_text(json.dumps({"schema_version": 2, "data": {"source": "xor", "samples": 40}}))
    assert main(["train", str(plain), "--out", str(tmp_path / "r2"), "--export", "onnx", "--part", "encoder"]) == 2
    assert "needs an autoencoder" in capsys.readouterr().err
