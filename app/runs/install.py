"""Puts the runs into the window: the keeper, the run list in a 'Runs' dock under the views, its
overlays on the loss plot, the Train menu's sweep and race actions, and the runs in saved files."""

from __future__ import annotations

from typing import Any

import shiboken6
from PySide6.QtCore import QObject, Qt
from PySide6.QtWidgets import QDockWidget, QFileDialog

from app.look.widgets import make_action
from app.runs.keeper import RunKeeper
from app.runs.run_list_view import RunListView


def install_runs(window: Any) -> None:
    """Give `window` run_keeper, run_list, runs_dock, sweep_action, race_action and open_sweep()."""
    window.run_keeper = RunKeeper(window.controller, window)
    window.run_keeper.problem.connect(lambda text: window.show_message(text, "warning"))
    window.run_list = RunListView(window.run_keeper)
    window.run_list.overlaysChanged.connect(window.loss_plot.set_overlays)
    window.run_list.export_button.clicked.connect(lambda: export_runs(window))
    window.run_list.sweepRequested.connect(lambda: open_sweep(window))
    window.run_list.raceRequested.connect(lambda: race_optimizers(window))
    window.controller.shown.connect(lambda *_: window.run_list.refill())       # differences follow the spec
    window.controller.specEdited.connect(window.run_list.refill)
    window.runs_dock = QDockWidget("Runs", window)
    window.runs_dock.setObjectName("runsDock")
    window.runs_dock.setWidget(window.run_list)
    window.runs_dock.setFeatures(QDockWidget.DockWidgetFeature.DockWidgetClosable
                                 | QDockWidget.DockWidgetFeature.DockWidgetMovable
                                 | QDockWidget.DockWidgetFeature.DockWidgetFloatable)
    window.addDockWidget(Qt.DockWidgetArea.BottomDockWidgetArea, window.runs_dock)
    # Hidden until there is a run to show (the views keep their room on a laptop screen); it opens by
    # itself once, with the first run kept, and View > Runs shows or hides it after that.
    window.runs_dock.hide()
    window.run_keeper.kept.connect(lambda _run: _show_once(window))
    window.runs_dock_action = window.runs_dock.toggleViewAction()
    window.runs_dock_action.setObjectName("runsDockAction")
    window.runs_dock_action.setText("&Runs")
    window.sweep_dialog = None
    window.sweep_action = make_action(window, "S&weep a setting…", lambda: open_sweep(window), [],
                                      "Train 2-8 values of one setting at once, in parallel processes, and "
                                      "compare them.", name="sweepAction")
    window.race_action = make_action(window, "&Race optimizers", lambda: race_optimizers(window), [],
                                     "Train the network with every optimizer at once (ConvNetJS's trainer race).",
                                     name="raceAction")
    window.runs_in_document = _RunsInDocument(window)


class _RunsInDocument(QObject):
    """Kept runs are saved work: keeping, renaming or deleting one marks the window unsaved (the close
    question asks) and autosaves them; they are saved, autosaved and recovered with the experiment.
    A child of the window, so its slots go with it (the undo stack may outlive the window)."""

    def __init__(self, window: Any) -> None:
        super().__init__(window)
        self.keeper, files = window.run_keeper, window.files  # the window is parent(): no reference cycle
        files.saved_runs = self.keeper.saved_form
        files.restore_runs = self.keeper.restore
        files.markedSaved.connect(self.keeper.mark_saved)
        self.keeper.edited.connect(self.edited)
        window.controller.undo_stack.cleanChanged.connect(self.clean_changed)

    def edited(self) -> None:
        window = self.parent()
        window.setWindowModified(True)
        window.files.autosave_changed()

    def clean_changed(self, clean: bool) -> None:
        """After the window's own slot: undo back to the saved settings leaves the runs kept since unsaved."""
        window = self.parent()
        if clean and self.keeper.unsaved and window is not None and shiboken6.isValid(window):  # not while destroyed
            window.setWindowModified(True)


def _show_once(window: Any) -> None:
    if not getattr(window, "_runs_dock_opened", False):
        window._runs_dock_opened = True
        window.runs_dock.show()
        rows = 5 if window.height() > 900 else 3  # a laptop screen keeps the views' room
        window.resizeDocks([window.runs_dock], [60 + 24 * rows], Qt.Orientation.Vertical)


def open_sweep(window: Any, setting: str | None = None) -> Any:
    """Show the sweep dialog (one per window); returns it."""
    from app.runs.sweep_dialog import SweepDialog

    if window.sweep_dialog is None:
        window.sweep_dialog = SweepDialog(window.controller, window.run_keeper, window,
                                          colours=window.run_list.free_colours)
    dialog = window.sweep_dialog
    if setting is not None:
        dialog.setting_combo.setCurrentIndex(dialog.setting_combo.findData(setting))
    dialog.show()
    dialog.raise_()
    return dialog


def race_optimizers(window: Any) -> Any:
    """Train ▸ Race optimizers: the sweep over every optimizer, started at once."""
    from core.runs.settings import race_values

    dialog = open_sweep(window, "optimizer")
    if dialog.sweep is None:
        dialog.start("optimizer", list(race_values()))
    return dialog


def export_runs(window: Any, path: str | None = None) -> str | None:
    """The run list as CSV (one row per run) and their curves beside it (<name>-curves.csv)."""
    from pathlib import Path

    if not path:
        path, _ = QFileDialog.getSaveFileName(window, "Export runs", "runs.csv", "CSV table (*.csv)")
        if not path:
            return None
    target = Path(path).with_suffix(".csv")
    curves = target.with_name(f"{target.stem}-curves.csv")
    try:
        window.run_keeper.write_csv(target, curves)
    except OSError as err:
        window.show_message(f"Could not save the runs to {target}: {getattr(err, 'strerror', None) or err}.", "error")
        return None
    window.statusBar().showMessage(f"Saved {len(window.run_keeper.runs)} runs to {target} and their curves "
                                   f"to {curves.name}.", 5000)
    return str(target)
