"""Undo/redo for spec changes that reset the network (data, features, layers, loss, optimizer...).

Each command stores only the dotted keys it changed, old and new, so undoing a layer change does
not also roll back a learning rate the user changed live in between.
"""

from __future__ import annotations

from typing import Any, Callable

from PySide6.QtGui import QUndoCommand

# apply(changes, prepared) -> bool; `prepared` is the already-built result for the first redo.
Applier = Callable[[dict[str, Any], Any], bool]


class SpecChangeCommand(QUndoCommand):
    """Set some spec keys; undo puts the old values back. Both directions reset the weights."""

    def __init__(self, text: str, old: dict[str, Any], new: dict[str, Any], apply: Applier,
                 prepared: Any = None, merge_id: int = -1) -> None:
        super().__init__(text)
        self.old = dict(old)
        self.new = dict(new)
        self._apply = apply
        self._prepared = prepared
        self._merge_id = merge_id

    def redo(self) -> None:
        prepared, self._prepared = self._prepared, None
        self._apply(self.new, prepared)

    def undo(self) -> None:
        self._apply(self.old, None)

    def id(self) -> int:  # noqa: A003 - Qt's name
        return self._merge_id

    def mergeWith(self, other: QUndoCommand) -> bool:  # noqa: N802 - Qt's name
        """Consecutive drags of the same slider become one undo step."""
        if not isinstance(other, SpecChangeCommand) or other.id() != self.id() or self.id() < 0:
            return False
        if set(other.new) != set(self.new):
            return False
        self.new = dict(other.new)
        return True
