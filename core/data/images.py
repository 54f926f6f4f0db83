"""Image data: digits as 1×8×8 images, the generated `shapes` set and the user's image folders.

Images reach the model as flat rows (n, C·H·W) divided by the set's pixel scale; `Dataset.input_shape`
says how to view them (C, H, W), and the model unflattens them before its first image layer. Exports
take raw images (n, C, H, W) in the set's own value range and do the scaling inside the graph.
Torch-free: Pillow is imported only when a folder is read.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import numpy as np

from core.data.dataset import DataError
from core.echo import echo

SHAPE_NAMES = ("circle", "square", "triangle", "cross", "line")
IMAGE_SUFFIXES = (".png", ".jpg", ".jpeg")
MAX_LISTED = 8  # bad files named in one message; the rest are counted


def image_shape(spec: Any) -> tuple[int, int, int] | None:
    """(C, H, W) of the images `spec.data` names, or None for points and tables."""
    data = spec.data
    source = getattr(data.source, "value", data.source)
    if source == "digits" and not data.columns:
        return (1, 8, 8)
    if source == "shapes":
        return (1, data.image_size, data.image_size)
    if source == "image_folder":
        return (3 if data.color == "rgb" else 1, data.image_size, data.image_size)
    return None


def pixel_names(shape: tuple[int, int, int]) -> tuple[str, ...]:
    """Column names of a flat image row: pixel_<row>_<col> (grey) or r/g/b_<row>_<col> (colour)."""
    c, h, w = shape
    prefixes = ["pixel"] if c == 1 else ["r", "g", "b"][:c] if c <= 3 else [f"c{i}" for i in range(c)]
    return tuple(f"{p}_{i}_{j}" for p in prefixes for i in range(h) for j in range(w))


def shapes(n: int, size: int, noise: float, rng: np.random.Generator) -> tuple[np.ndarray, np.ndarray]:
    """n grey images (n, 1, size, size) in [0, 1] of the SHAPE_NAMES (balanced classes, int64 labels).

    Each shape gets a random size (a quarter to two fifths of the side), position and rotation;
    edges are anti-aliased; `noise` is the standard deviation of added pixel noise (then clipped)."""
    labels = rng.permutation(np.arange(n) % len(SHAPE_NAMES)).astype(np.int64)
    r = rng.uniform(0.25, 0.42, n) * size
    margin = np.minimum(r, size / 2 - 1)
    cx = rng.uniform(0, 1, n) * (size - 2 * margin) + margin - 0.5
    cy = rng.uniform(0, 1, n) * (size - 2 * margin) + margin - 0.5
    theta = rng.uniform(0, np.pi, n)
    grid = np.arange(size, dtype=np.float64)
    v, u = np.meshgrid(grid, grid, indexing="ij")  # v: row, u: column
    dx, dy = u[None] - cx[:, None, None], v[None] - cy[:, None, None]
    cos, sin = np.cos(theta)[:, None, None], np.sin(theta)[:, None, None]
    lx, ly = cos * dx + sin * dy, -sin * dx + cos * dy
    rr = r[:, None, None]
    bar = np.maximum(0.12 * rr, 0.7)
    distance = np.empty((n, size, size))
    for k, name in enumerate(SHAPE_NAMES):
        m = labels == k
        x, y, s, b = lx[m], ly[m], rr[m], bar[m]
        if name == "circle":
            d = np.hypot(x, y) - s
        elif name == "square":
            d = np.maximum(np.abs(x), np.abs(y)) - 0.8 * s
        elif name == "triangle":  # equilateral: three half-planes at the inradius
            d = np.max([np.cos(a) * x + np.sin(a) * y for a in (np.pi / 2, np.pi * 7 / 6, np.pi * 11 / 6)],
                       axis=0) - 0.5 * s
        elif name == "cross":
            d = np.minimum(np.maximum(np.abs(x) - s, np.abs(y) - b), np.maximum(np.abs(x) - b, np.abs(y) - s))
        else:  # line
            d = np.maximum(np.abs(x) - s, np.abs(y) - b)
        distance[m] = d
    images = np.clip(0.5 - distance, 0.0, 1.0)
    if noise > 0:
        images = np.clip(images + rng.normal(0.0, noise, images.shape), 0.0, 1.0)
    return images.astype(np.float32)[:, None], labels


def image_folder(path: str | Path, size: int, color: str) -> tuple[np.ndarray, np.ndarray, tuple[str, ...]]:
    """(images (n, C, size, size) float32 in 0-255, int64 labels, class names) from one sub-folder per class.

    Raises DataError for a missing folder, fewer than two classes, an empty class, or unreadable
    files (all of them listed in one message)."""
    try:
        from PIL import Image, UnidentifiedImageError
    except ImportError:
        raise DataError("reading an image folder needs the 'Pillow' package; install it with: "
                        "pip install pillow") from None
    root = Path(path).expanduser()
    if not root.is_dir():
        raise DataError(f"image folder {echo(str(root))} does not exist or is not a folder; set data.path to "
                        "a folder with one sub-folder of PNG/JPEG images per class")
    classes = sorted(p for p in root.iterdir() if p.is_dir() and not p.name.startswith("."))
    if len(classes) < 2:
        raise DataError(f"image folder {echo(str(root))} has {len(classes)} class sub-folder"
                        f"{'s' * (len(classes) != 1)}; it needs at least 2 (one sub-folder of images per class)")
    mode = "RGB" if color == "rgb" else "L"
    images: list[np.ndarray] = []
    labels: list[int] = []
    bad: list[str] = []
    for k, folder in enumerate(classes):
        files = sorted(f for f in folder.iterdir()
                       if f.is_file() and f.suffix.lower() in IMAGE_SUFFIXES and not f.name.startswith("."))
        if not files:
            raise DataError(f"class folder {echo(str(folder))} has no PNG or JPEG files; add images or "
                            "remove the folder")
        for f in files:
            try:
                with Image.open(f) as img:
                    img = img.convert(mode).resize((size, size), Image.Resampling.BILINEAR)
                    pixels = np.asarray(img, dtype=np.float32)
            except (UnidentifiedImageError, OSError, ValueError, Image.DecompressionBombError) as err:
                bad.append(f"{f.relative_to(root)} ({type(err).__name__}: {str(err)[:60] or 'unreadable'})")
                continue
            images.append(pixels[None] if pixels.ndim == 2 else pixels.transpose(2, 0, 1))
            labels.append(k)
    if bad:
        listed = "; ".join(bad[:MAX_LISTED]) + (f"; and {len(bad) - MAX_LISTED} more" if len(bad) > MAX_LISTED else "")
        raise DataError(f"image folder {echo(str(root))}: {len(bad)} file{'s' * (len(bad) != 1)} could not be "
                        f"read as images: {listed}. Remove or replace them and load the folder again")
    return (np.stack(images).astype(np.float32), np.asarray(labels, np.int64),
            tuple(folder.name for folder in classes))
