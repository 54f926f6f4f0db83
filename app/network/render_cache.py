"""The network diagram's rendered images, and when to render them again.

A hover repaint only blits the cached diagram; a snapshot marks it dirty, and it is rendered again at
most every RENDER_INTERVAL (big networks less often). The links, hundreds of antialiased curves and the
costly part, have an image of their own, rendered again less often while training (LINK_INTERVAL).
Image nets keep a copy of the diagram without its pictures, so that a snapshot repaints only the
picture columns that changed over it, not the whole diagram. What is drawn comes from the canvas
through the DiagramScene interface; this module only decides when, and into which image.
"""

from __future__ import annotations

import time
from collections.abc import Iterable
from typing import Protocol

from PySide6.QtCore import QObject, QRect, QRectF, QSize, QTimer
from PySide6.QtGui import QImage, QPainter
from PySide6.QtWidgets import QWidget

from app.network.painter import BACKGROUND
from app.network.geometry import NODES_TOP

RENDER_INTERVAL = 0.1   # seconds: while training the diagram re-renders at most this often, and
RENDER_SHARE = 0.25     # big networks less often, so rendering takes at most this share of the time
LINK_INTERVAL = 0.5     # the links (hundreds of antialiased curves, the costly part) at most this often
LINK_SHARE = 0.04       # while training, and big networks less often: a share of the GUI thread the
                        # training thread would otherwise wait for (the interpreter lock)


class DiagramScene(Protocol):
    """What the cache asks of the diagram it renders (the canvas, a QWidget)."""

    def column_count(self) -> int: ...

    def column_bounds(self, column: int) -> QRectF:
        """What painting that column's pictures covers."""

    def picture_columns(self) -> set[int]:
        """The columns that have pictures to paint now."""

    def paint_links(self, painter: QPainter) -> None: ...

    def paint_nodes(self, painter: QPainter) -> None:
        """Neurons and labels, over the links."""

    def paint_pictures(self, painter: QPainter, columns: set[int]) -> Iterable[int]:
        """Paint those columns' pictures; the columns actually painted."""


class RenderCache(QObject):
    """The rendered diagram of `canvas` (a QWidget and the DiagramScene): `draw` blits it (rendering
    first what is due), `schedule` asks for a repaint once the render interval allows."""

    def __init__(self, canvas: QWidget) -> None:
        super().__init__(canvas)
        self._image: QImage | None = None
        self._links_image: QImage | None = None
        self._base: QImage | None = None           # image nets: the diagram without its pictures
        self.stale_columns: set[int] = set()       # picture columns to repaint over `_base`
        self.column_renders: dict[int, int] = {}   # column index -> times its pictures were painted
        self.dirty = True
        self.links_dirty = True
        self.links_now = True        # render the links at the next render, whatever the interval
        self._last_render = -1.0
        self._render_cost = 0.0
        self._last_links_render = -1.0
        self._links_cost = 0.0
        self.min_render_interval = RENDER_INTERVAL
        self._timer = QTimer(self)
        self._timer.setSingleShot(True)
        self._timer.timeout.connect(self._render_due)

    @property
    def _canvas(self) -> QWidget:
        """The widget drawn for, and its scene: our Qt parent (no Python reference, so closing frees it)."""
        return self.parent()  # type: ignore[return-value]

    # --- what changed ---------------------------------------------------------------------------
    def invalidate(self) -> None:
        """Render everything at the next paint (structure, size or a user's edit changed): no throttling."""
        self.dirty = True
        self.links_dirty = True
        self.links_now = True
        self._last_render = -1.0

    def links_changed(self, at_once: bool) -> None:
        """The links look different: render them when their interval allows, or `at_once`."""
        self.links_dirty = True
        self.links_now |= at_once

    def snapshot_changed(self, changed: bool) -> None:
        """A snapshot was taken in (`changed`: the neurons look different): render what is due."""
        if changed:
            self.dirty = True
        if self.dirty or self.links_dirty:
            self.schedule()

    def columns_changed(self, columns: set[int]) -> None:
        """Those picture columns have new pictures: repaint them (only them) when the interval allows."""
        self.stale_columns |= columns
        self.schedule()

    def forget_columns(self) -> None:
        """The pictures are gone (a new structure, a cleared run): no column is waiting to be repainted."""
        self.stale_columns.clear()

    def stop(self) -> None:
        """No render is due while the widget is hidden (or closed); a show repaints."""
        self._timer.stop()

    # --- when -----------------------------------------------------------------------------------
    def _links_interval(self) -> float:
        return max(LINK_INTERVAL, self._links_cost / LINK_SHARE)

    def _links_due(self) -> bool:
        """Links changed and may be re-rendered now (not too soon after the last time)."""
        return self.links_dirty and (self.links_now or self._links_image is None or
                                     time.perf_counter() - self._last_links_render >= self._links_interval())

    def schedule(self) -> None:
        """Repaint now, or once the render interval has passed since the last render (snapshots can
        come faster than it is worth redrawing hundreds of links). Changed links alone wait for
        their own, longer interval."""
        if self._timer.isActive() or not (self.dirty or self.links_dirty or self.stale_columns):
            return
        due = self._last_render + max(self.min_render_interval, self._render_cost / RENDER_SHARE)
        if not self.dirty and not self.links_now and not self.stale_columns:
            # only the links changed: the next snapshot's thumbnails usually bring them along;
            # come back by ourselves only if none does
            due = max(due, self._last_links_render + 1.5 * self._links_interval())
        wait = due - time.perf_counter()
        if wait <= 0:
            self.repaint()
        else:
            self._timer.start(max(1, int(wait * 1000) + 1))

    def _render_due(self) -> None:
        if self.dirty or self.links_dirty or self.stale_columns:
            self.repaint()

    def repaint(self) -> None:
        """Ask the widget to repaint the part of the diagram a snapshot or hover can change."""
        widget = self._canvas
        if self.stale_columns and not (self.dirty or self.links_dirty) and self._base is not None:
            for column in self.stale_columns:  # only the picture columns that changed
                widget.update(widget.column_bounds(column).toAlignedRect())
            return
        # the headers above NODES_TOP never change with a snapshot: leave them out of the repaint
        widget.update(QRect(0, NODES_TOP - 8, widget.width(), widget.height()))

    # --- drawing --------------------------------------------------------------------------------
    def draw(self, painter: QPainter, dirty: QRect, ratio: float, pictures: bool) -> None:
        """Blit the diagram's `dirty` rectangle, rendering first what is due; `pictures`: an image
        net, whose picture columns go over a copy of the diagram kept without them."""
        size = self._canvas.size() * ratio
        if self.dirty or self._links_due() or self._image is None or self._image.size() != size:
            self._render_all(size, ratio, pictures)
        elif self.stale_columns:
            self._render_columns(ratio)
        painter.drawImage(dirty, self._image, QRect(dirty.topLeft() * ratio, dirty.size() * ratio))

    def _render_all(self, size: QSize, ratio: float, pictures: bool) -> None:
        """Draw links, neurons and labels once into an opaque image (opaque images draw fastest).
        The links come from their own image, re-rendered only when they are due."""
        started = time.perf_counter()
        if self._links_image is None or self._links_image.size() != size or self._links_due():
            self._render_links(size, ratio)
        if self._image is None or self._image.size() != size:
            self._image = QImage(size, QImage.Format.Format_RGB32)
            self._image.setDevicePixelRatio(ratio)
        painter = QPainter(self._image)
        painter.drawImage(0, 0, self._links_image)
        painter.setRenderHint(QPainter.RenderHint.Antialiasing, True)
        painter.setRenderHint(QPainter.RenderHint.SmoothPixmapTransform, True)
        self._canvas.paint_nodes(painter)
        if pictures:  # the pictures go over a copy kept without them (see _render_columns)
            painter.end()
            self._base = self._image.copy()
            painter = QPainter(self._image)
            self._paint_pictures(painter, self._canvas.picture_columns())
        else:
            self._base = None
        painter.end()
        self.dirty = False
        self.stale_columns.clear()
        self._last_render = time.perf_counter()
        self._render_cost = self._last_render - started

    def _paint_pictures(self, painter: QPainter, columns: set[int]) -> None:
        for column in self._canvas.paint_pictures(painter, columns):
            self.column_renders[column] = self.column_renders.get(column, 0) + 1

    def _render_columns(self, ratio: float) -> None:
        """A snapshot changed some picture columns: put the diagram back under each (from the copy
        kept without pictures) and paint its new pictures; the rest of the diagram is left as it is."""
        started = time.perf_counter()
        painter = QPainter(self._image)
        scene = self._canvas
        restored = [scene.column_bounds(c) for c in self.stale_columns if c < scene.column_count()]
        for bounds in restored:
            painter.drawImage(bounds, self._base, QRectF(bounds.topLeft() * ratio, bounds.size() * ratio))
        # a neighbour's filters may reach under a restored rectangle: paint those columns again too
        again = {c for c in scene.picture_columns() if c not in self.stale_columns
                 and any(scene.column_bounds(c).intersects(bounds) for bounds in restored)}
        self._paint_pictures(painter, self.stale_columns | again)
        painter.end()
        self.stale_columns.clear()
        self._last_render = time.perf_counter()
        self._render_cost = self._last_render - started

    def _render_links(self, size: QSize, ratio: float) -> None:
        started = time.perf_counter()
        if self._links_image is None or self._links_image.size() != size:
            self._links_image = QImage(size, QImage.Format.Format_RGB32)
            self._links_image.setDevicePixelRatio(ratio)
        self._links_image.fill(BACKGROUND)
        painter = QPainter(self._links_image)
        painter.setRenderHint(QPainter.RenderHint.Antialiasing, True)
        self._canvas.paint_links(painter)
        painter.end()
        self.links_dirty = self.links_now = False
        self._last_links_render = time.perf_counter()
        self._links_cost = self._last_links_render - started
