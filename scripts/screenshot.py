"""Save a screenshot of the real window training an experiment, as the README's pictures are made.

    xvfb-run -a -s "-screen 0 1920x1080x24" python3 scripts/screenshot.py examples/digits_cnn.json \
        docs/cnn_digits.png --size 1920x1080 --epochs 12 --seconds 1

Opens the window on EXPERIMENT (default: the default experiment), presses Play, waits for EPOCHS and
then SECONDS, saves
the window's picture and closes without asking to save. Runs with a temporary data folder, so no
autosave or recent-file list of yours is touched. Needs a display (Xvfb works; offscreen draws no
window frame but works too).
"""

from __future__ import annotations

import argparse
import os
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("experiment", nargs="?", help="experiment file (.json); default: the default experiment")
    parser.add_argument("out", type=Path, help="PNG to write")
    parser.add_argument("--size", default="1920x1080", help="window size WIDTHxHEIGHT (default 1920x1080)")
    parser.add_argument("--seconds", type=float, default=6.0, help="seconds of training before the picture")
    parser.add_argument("--epochs", type=int, default=0, help="first wait until this epoch (at most 5 minutes)")
    args = parser.parse_args()
    width, height = (int(v) for v in args.size.lower().split("x"))
    os.environ.setdefault("LAYERLAB_DATA_DIR", tempfile.mkdtemp(prefix="layerlab-shot-"))

    from PySide6.QtWidgets import QApplication

    app = QApplication([])
    from app.window import MainWindow
    from app.worker import wait_for_all
    from core.spec import load_experiment

    spec = load_experiment(args.experiment) if args.experiment else None
    window = MainWindow(settings=None, restore=False, spec=spec)
    window.resize(width, height)
    window.show()
    window.controller.ensure_started()

    def pump(seconds: float) -> None:
        end = time.monotonic() + seconds
        while time.monotonic() < end:
            app.processEvents()
            time.sleep(0.02)

    pump(2.0)
    window.controller.play()
    deadline = time.monotonic() + 300
    while window.controller.epoch < args.epochs and time.monotonic() < deadline:
        pump(0.2)
    pump(args.seconds)
    window.grab().save(str(args.out))
    window.files.ask_unsaved = lambda *a, **k: "discard"
    window.close()
    wait_for_all(30_000)
    print(f"wrote {args.out} ({window.width()}x{window.height()})")
    return 0


if __name__ == "__main__":
    sys.exit(main())
