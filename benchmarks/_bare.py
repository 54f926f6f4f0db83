"""The bare reference the spec-based benchmarks (cnn, sequences, autoencoder) time the Trainer against: a
plain PyTorch loop with the same model, Adam, loss and batch order, and the per-epoch train and test
figures the Trainer records, nothing else. Callers put `core` on sys.path first."""

from __future__ import annotations

import time

import torch

from core.training.shuffle import epoch_orders
from core.training.trainer import Trainer


def bare_loop(spec, epochs: int, loss_fn: torch.nn.Module, *, device: str | None = None, flatten: bool = False,
              reconstruct: bool = False, accuracy: bool = False) -> float:
    """Epochs/s. `flatten`: outputs reshaped to (n,) (a next-value regression); `reconstruct`: the inputs are
    the targets (an autoencoder); `accuracy`: the argmax accuracy is computed too (classification)."""
    trainer = Trainer(spec, device=device)  # for its model and data only
    model, optimizer = trainer.model, torch.optim.Adam(trainer.model.parameters(), lr=spec.optimizer.lr)
    x, batch = trainer.x_train, spec.batch_size
    y = x if reconstruct else trainer.y_train
    test = (trainer.x_test, trainer.x_test if reconstruct else trainer.y_test)

    def out(inputs: torch.Tensor) -> torch.Tensor:
        result = model(inputs)
        return result.reshape(-1) if flatten else result

    model.train()
    started = time.perf_counter()
    for epoch in range(epochs):
        order = torch.from_numpy(epoch_orders(spec.seed, epoch, 1, len(x))[0]).to(x.device)
        xe = x[order]
        ye = xe if reconstruct else y[order]
        for start in range(0, len(x), batch):
            optimizer.zero_grad(set_to_none=True)
            loss_fn(out(xe[start:start + batch]), ye[start:start + batch]).backward()
            optimizer.step()
        model.eval()
        with torch.no_grad():
            for xs, ys in ((x, y), test):
                o = out(xs)
                float(loss_fn(o, ys))
                if accuracy:
                    float((o.argmax(1) == ys).float().mean())
        model.train()
    return epochs / (time.perf_counter() - started)
