"""Small widget helpers shared by the panels: automation names, enum combos, signal blocking."""

from __future__ import annotations

from enum import Enum
from typing import Any, Iterable, TypeVar

from PySide6.QtCore import Qt
from PySide6.QtGui import QAction, QKeySequence
from PySide6.QtWidgets import QComboBox, QHBoxLayout, QLabel, QVBoxLayout, QWidget

from app.look import texts

W = TypeVar("W", bound=QWidget)


def named(widget: W, name: str, accessible: str, tip: str) -> W:
    """Give a control its automation name, accessible name and one-sentence tooltip."""
    widget.setObjectName(name)
    widget.setAccessibleName(accessible)
    widget.setToolTip(tip)
    return widget


def enum_combo(name: str, accessible: str, tip: str, labels: dict[Enum, str]) -> QComboBox:
    """A combo listing an enum's members with friendly labels. Item data is the member's value
    (Qt turns str-enums into plain strings anyway); `combo.enum_class(data)` gives the member."""
    combo = QComboBox()
    for member, label in labels.items():
        combo.addItem(label, member.value)
    combo.enum_class = type(next(iter(labels)))
    combo.setSizeAdjustPolicy(QComboBox.SizeAdjustPolicy.AdjustToContents)
    return named(combo, name, accessible, tip)


def registry_combo(name: str, accessible: str, tip: str, registry: Any, enum_class: type[Enum]) -> QComboBox:
    """A combo listing a registry's records in registration order: the record's label, its tip as
    the item's tooltip, its name as item data. `combo.enum_class(data)` gives the built-in member,
    or the plain name for a record registered at run time."""
    combo = QComboBox()
    for record_name in registry:
        record = registry[record_name]
        combo.addItem(record.label, record.name)
        if record.tip:
            combo.setItemData(combo.count() - 1, record.tip, Qt.ItemDataRole.ToolTipRole)
    members = {m.value: m for m in enum_class}
    combo.enum_class = lambda value: members.get(value, value)
    combo.setSizeAdjustPolicy(QComboBox.SizeAdjustPolicy.AdjustToContents)
    return named(combo, name, accessible, tip)


def select_data(combo: QComboBox, value: object) -> None:
    """Select the item whose data equals `value` (signals should be blocked by the caller)."""
    if isinstance(value, Enum):
        value = value.value
    index = combo.findData(value)
    if index < 0 and isinstance(value, float):
        # a value not in the preset list (from a file): show it anyway
        combo.addItem(texts.format_rate(value), value)
        index = combo.count() - 1
    combo.setCurrentIndex(index)


def caption_group(caption: str, *widgets: QWidget) -> QWidget:
    """A small upper-case caption above one control (or a row of them), as TF Playground labels
    its choices."""
    box = QWidget()
    box.setObjectName("controlGroup")
    layout = QVBoxLayout(box)
    layout.setContentsMargins(0, 0, 0, 0)
    layout.setSpacing(2)
    label = QLabel(caption.upper())
    label.setObjectName("groupCaption")
    label.setBuddy(widgets[0])
    layout.addWidget(label)
    row = QHBoxLayout()
    row.setContentsMargins(0, 0, 0, 0)
    row.setSpacing(4)
    for widget in widgets:
        row.addWidget(widget)
    layout.addLayout(row)
    return box


def make_action(owner: QWidget, text: str, slot, shortcuts=(), tip: str = "",  # noqa: ANN001
                checkable: bool = False, name: str = "") -> QAction:
    """A QAction added to `owner`, so its shortcuts work even where the menu bar is hidden."""
    action = QAction(text, owner)
    if name:
        action.setObjectName(name)
    if shortcuts:
        action.setShortcuts([QKeySequence(s) for s in shortcuts])
        action.setShortcutContext(Qt.ShortcutContext.WindowShortcut)
    if tip:
        action.setToolTip(tip)
        action.setStatusTip(tip)
    action.setCheckable(checkable)
    action.triggered.connect(slot)
    owner.addAction(action)
    return action


class Blocked:
    """Block signals of several widgets at once (superqt's helper takes one object)."""

    def __init__(self, widgets: Iterable[QWidget]) -> None:
        self._widgets = list(widgets)
        self._old: list[bool] = []

    def __enter__(self) -> None:
        self._old = [w.blockSignals(True) for w in self._widgets]

    def __exit__(self, *exc: object) -> None:
        for w, old in zip(self._widgets, self._old):
            w.blockSignals(old)


