"""A new user's first minute: the window opens on TF Playground's circle and Play shows it learning."""

from __future__ import annotations

from core.spec import DataSource, Experiment


def test_play_on_the_default_experiment_learns_within_seconds(qtbot, make_window):
    window = make_window(spec=Experiment())
    assert window.controller.spec.data.source is DataSource.circle
    window.play_action.trigger()

    def learned() -> bool:
        snap = window.frames.latest
        return snap is not None and (snap.test_accuracy or 0) > 0.9

    qtbot.waitUntil(learned, timeout=60_000)  # includes the fused engine's first compile
    assert window.frames.latest.epoch <= 2000
    window.play_action.trigger()
