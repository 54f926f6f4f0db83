"""The window's menu bar: Edit, Train, View and Help (File is the file actions' own)."""

from __future__ import annotations

from typing import Any

from PySide6.QtCore import Qt
from PySide6.QtGui import QKeySequence

from app.look import texts
from app.look.widgets import make_action


def build_menus(window: Any) -> None:
    """Fill `window`'s menu bar; the actions it keeps (play_action, undo_action, ...) land on it."""
    bar = window.menuBar()
    window.files.build_file_menu(bar)

    edit_menu = bar.addMenu("&Edit")
    window.undo_action = window.controller.undo_stack.createUndoAction(window, "&Undo")
    window.undo_action.setShortcuts([QKeySequence.StandardKey.Undo])
    window.undo_action.setObjectName("undoAction")
    window.redo_action = window.controller.undo_stack.createRedoAction(window, "&Redo")
    window.redo_action.setShortcuts([QKeySequence("Ctrl+Shift+Z"), QKeySequence.StandardKey.Redo])
    window.redo_action.setObjectName("redoAction")
    for action in (window.undo_action, window.redo_action):
        action.setShortcutContext(Qt.ShortcutContext.WindowShortcut)
        window.addAction(action)
        edit_menu.addAction(action)
    window.files.add_copy_view(edit_menu)

    train_menu = bar.addMenu("&Train")
    window.play_action = make_action(window, "&Play / Pause", window.controller.toggle_play, ["Space"], texts.PLAY_TIP,
                                     name="playAction")
    window.step_action = make_action(window, "&Step one epoch", window.controller.step, ["S", "Right"], texts.STEP_TIP,
                                     name="stepAction")
    window.reset_action = make_action(window, "&Reset", window.controller.reset, ["R"], texts.RESET_TIP,
                                      name="resetAction")
    window.lr_finder_action = make_action(window, "&Find a learning rate…", window.open_lr_finder, [],
                                          "Sweep the learning rate on a copy of the network and suggest one.",
                                          name="lrFinderAction")
    for action in (window.play_action, window.step_action, window.reset_action, window.lr_finder_action):
        train_menu.addAction(action)
    train_menu.addSeparator()
    train_menu.addAction(window.sweep_action)
    train_menu.addAction(window.race_action)

    view_menu = bar.addMenu("&View")
    window.show_test_action = make_action(window, "Show &test data", window.output_panel.show_test_box.setChecked,
                                          checkable=True, name="showTestAction",
                                          tip="Draw the held-out test points over the boundary.")
    window.discretize_action = make_action(window, "&Discretize output", window.output_panel.discretize_box.setChecked,
                                           checkable=True, name="discretizeAction",
                                           tip="Show only the predicted class, without confidence shading.")
    window.log_scale_action = make_action(window, "&Log-scale loss", window.output_panel.log_box.setChecked,
                                          checkable=True, name="logScaleAction",
                                          tip="Show the loss on a logarithmic axis.")
    window.output_panel.show_test_box.toggled.connect(window.show_test_action.setChecked)
    window.output_panel.discretize_box.toggled.connect(window.discretize_action.setChecked)
    window.output_panel.log_box.toggled.connect(window.log_scale_action.setChecked)
    for action in (window.show_test_action, window.discretize_action, window.log_scale_action):
        view_menu.addAction(action)
    view_menu.addSeparator()
    window.data_panel_action = make_action(window, "Data &panel", window.data_panel.setVisible, checkable=True,
                                           name="dataPanelAction", tip="Show or hide the data panel.")
    window.data_panel_action.setChecked(True)
    view_menu.addAction(window.data_panel_action)
    view_menu.addAction(window.health.view_action)
    view_menu.addAction(window.runs_dock_action)
    view_menu.addAction(make_action(window, "Model &summary…", window.show_model_summary, name="modelSummaryAction",
                                    tip="Each layer's output shape, parameters and multiply-adds, "
                                    "with totals (like 'layerlab summary')."))

    help_menu = bar.addMenu("&Help")
    help_menu.addAction(make_action(window, "&Guide: concepts, keys, engines", window.show_guide, ["F1"],
                                    "What the words in the window mean, the keyboard shortcuts and "
                                    "the two training engines.", name="guideAction"))
    help_menu.addAction(make_action(window, "What the &colours mean", window.show_colour_legend, ["Shift+F1"],
                                    "Explain the colours of the boundary, neurons and links.",
                                    name="legendAction"))
    help_menu.addSeparator()
    for action in window.health.demo_actions:
        help_menu.addAction(action)
    help_menu.addSeparator()
    help_menu.addAction(make_action(window, "&About LayerLab", window.show_about, name="aboutAction"))
