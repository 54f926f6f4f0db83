"""`python -m app` (and `layerlab` with no arguments): open the playground window.

The window is painted before torch is imported (the window loads it right after its first
paint), so LayerLab appears quickly even on a cold start.
"""

from __future__ import annotations

import os
import sys
import time

_START = time.perf_counter()


def main(argv: list[str] | None = None) -> int:
    """Create the application, show the window, run the event loop; returns the exit code.

    If the last session was killed or crashed with unsaved work, its autosave is offered first.
    Set LAYERLAB_FIRST_PAINT_EXIT=1 to print the time of the first paint and quit (the start-up
    benchmark uses it).
    """
    argv = list(sys.argv if argv is None else argv)
    from PySide6.QtCore import QTimer
    from PySide6.QtWidgets import QApplication

    qt_app = QApplication.instance() or QApplication(argv)
    qt_app.setApplicationName("LayerLab")
    qt_app.setOrganizationName("LayerLab")
    from app.window import MainWindow
    from app.settings import AppSettings
    from app.look.style import apply_app_style

    apply_app_style(qt_app)
    epoch_probe = bool(os.environ.get("LAYERLAB_FIRST_EPOCH_EXIT"))
    probe = bool(os.environ.get("LAYERLAB_FIRST_PAINT_EXIT")) or epoch_probe
    window = MainWindow(settings=None if probe else AppSettings.user(), restore=not probe)
    path = next((a for a in argv[1:] if a.lower().endswith((".json", ".ckpt", ".pt"))), None)
    if epoch_probe:
        _probe_first_epoch(qt_app, window)
    elif probe:
        def report(_when: float) -> None:
            print(f"first_paint_s={time.perf_counter() - _START:.4f} first_paint_epoch={time.time():.4f}",
                  flush=True)
            window.close()
            qt_app.quit()

        window.firstPainted.connect(report)
    window.show()

    def after_show() -> None:
        # A crashed or killed session's autosave comes first; an opened file must not hide it.
        if window.files.offer_recovery():
            if path:
                window.show_message(f"Restored your unsaved work instead of opening {path}; open it with "
                                    "File ▸ Open when you are ready.", "info")
        elif path:
            window.files.open_experiment(path)

    QTimer.singleShot(0, after_show)
    code = qt_app.exec()
    from app.worker import wait_for_all

    wait_for_all(30_000)  # a run still finishing a long epoch must end before Qt is torn down
    return code


def _probe_first_epoch(qt_app, window) -> None:  # noqa: ANN001
    """LAYERLAB_FIRST_EPOCH_EXIT=1: press Play at the first paint, then print when each start-up
    phase ended (seconds since app/__main__ started) and quit at the first trained epoch."""
    marks = {}

    def painted(when: float) -> None:
        marks["first paint"] = when
        window.controller.play()

    def shown(snap) -> None:  # noqa: ANN001
        if snap.epoch < 1 or "first epoch" in marks:
            return
        marks["first epoch"] = time.perf_counter()
        marks.update(window.controller.worker.phases)
        order = sorted(marks.items(), key=lambda item: item[1])
        print(" ".join(f"{name.replace(' ', '_')}={t - _START:.4f}" for name, t in order),
              f"engine={snap.engine} first_epoch_epoch={time.time():.4f}", flush=True)
        window.close()
        qt_app.quit()

    window.firstPainted.connect(painted)
    window.snapshotShown.connect(shown)


if __name__ == "__main__":
    sys.exit(main())
