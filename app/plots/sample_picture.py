"""Rows of data drawn as a user recognises them: images as pictures (grey or RGB), table rows as bars.

Shared by the autoencoder's views (the decoded point, inputs beside reconstructions)."""

from __future__ import annotations

import numpy as np

from app.look import colormaps
from app.look.plotting import pg


def as_images(rows: np.ndarray, input_shape: tuple[int, ...]) -> np.ndarray:
    """(n, H, W) grey or (n, H, W, 3) colour images from flat rows of (C, H, W) pixels."""
    c, h, w = input_shape
    images = np.asarray(rows, np.float32).reshape(len(rows), c, h, w)
    return images[:, 0] if c == 1 else np.moveaxis(images[:, :3], 1, -1)


def mosaic(images: np.ndarray, columns: int, pad: int = 1, fill: float = np.nan) -> np.ndarray:
    """The images tiled `columns` across, row-major, with `pad` pixels of `fill` between them."""
    n = len(images)
    rows = max(1, -(-n // columns))
    h, w = images.shape[1:3]
    shape = (rows * (h + pad) - pad, columns * (w + pad) - pad) + images.shape[3:]
    out = np.full(shape, fill, np.float32)
    for k, image in enumerate(images):
        r, c = divmod(k, columns)
        out[r * (h + pad):r * (h + pad) + h, c * (w + pad):c * (w + pad) + w] = image
    return out


def image_item(lut: bool = True) -> pg.ImageItem:
    """An ImageItem for pixels: light background (0) to dark ink (high), as digits are drawn."""
    item = pg.ImageItem()
    if lut:
        item.setLookupTable(GREY_LUT)
    return item


# white (low) to near-black (high): handwriting on paper; NaN padding shows as the view's background
GREY_LUT = np.stack([np.linspace(255, 20, 256)] * 3 + [np.full(256, 255)], axis=1).astype(np.uint8)


class SamplePicture(pg.PlotWidget):
    """One row: an image (C, H, W) as a picture, or a table row as bars of standardised values."""

    def __init__(self, parent=None) -> None:  # noqa: ANN001
        super().__init__(parent)
        self.setMenuEnabled(False)
        self.setMouseEnabled(False, False)
        self.hideButtons()
        self.image = image_item()
        self.bars = pg.BarGraphItem(x=[], height=[], width=0.8, brush=pg.mkBrush(*colormaps.POSITIVE_RGB))
        self.addItem(self.image)
        self.addItem(self.bars)
        self.values: np.ndarray | None = None

    def show_row(self, values: np.ndarray, view: dict) -> None:
        """Draw `values` (raw units) the way `view` (a probe's dict: modality, input_shape, ...) says."""
        self.values = np.asarray(values, np.float32)
        if view.get("modality") == "image":
            image = as_images(self.values[None], tuple(view["input_shape"]))[0]
            low, high = view.get("levels", (float(np.nanmin(image)), float(np.nanmax(image))))
            self.bars.setOpts(x=[], height=[])
            self.image.setImage(image[::-1] if image.ndim == 2 else image[::-1], levels=(low, high))
            self.getPlotItem().hideAxis("left")
            self.getPlotItem().hideAxis("bottom")
            self.setAspectLocked(True)
            self.setRange(xRange=(0, image.shape[1]), yRange=(0, image.shape[0]), padding=0.02)
            return
        mean, std = view.get("mean"), view.get("std")
        shown = (self.values - mean) / std if mean is not None and std is not None else self.values
        self.image.clear()
        self.setAspectLocked(False)
        self.bars.setOpts(x=np.arange(len(shown)), height=shown, width=0.8)
        self.getPlotItem().showAxis("left")
        self.setYRange(-3, 3, padding=0)
        self.setXRange(-0.6, len(shown) - 0.4, padding=0)
