"""PNG grids of images (8x8 digits, 28x28 Fashion-MNIST), upscaled with nearest-neighbour so each pixel
stays a crisp square. Ink is dark on white: digits look like pen strokes, clothing like a product shot
(Fashion-MNIST's files hold the inverted photographs)."""

from __future__ import annotations

import io
import math

import torch
from PIL import Image

from generation.zoo.data import IMAGE_SETS

SCALE = 8  # each 8x8 digit becomes 64x64 pixels
SCALES = {8: SCALE, 28: 3}  # a 28x28 image becomes 84x84
PAD = 2  # white gap between digits, in output pixels


def levels_of(side: int) -> int:
    """The number of grey levels of the image set whose images are side x side (17 for 8, 256 for 28)."""
    for image_set in IMAGE_SETS.values():
        if image_set.side == side:
            return image_set.levels
    raise ValueError(f"no image set has {side}x{side} images")


def to_pixels(levels: torch.Tensor) -> torch.Tensor:
    """Levels (N, 1, H, W) in 0..L-1 -> uint8 (N, H, W), ink dark on white; L follows from the image size."""
    assert levels.dim() == 4 and levels.shape[1] == 1, f"expected (N, 1, H, W), got {tuple(levels.shape)}"
    top = levels_of(levels.shape[-1]) - 1
    scaled = levels.detach().cpu().float().clamp(0, top) / top
    return (255 - (scaled[:, 0] * 255).round()).to(torch.uint8)


def grid_image(levels: torch.Tensor, *, columns: int | None = None, scale: int | None = None) -> Image.Image:
    """A grey PIL image holding the N images in a grid (``columns`` defaults to a near-square grid)."""
    pixels = to_pixels(levels)  # (N, H, W)
    n, h, w = pixels.shape
    scale = scale or SCALES.get(w, 1)
    columns = columns or math.ceil(math.sqrt(n))
    rows = math.ceil(n / columns)
    cell_h, cell_w = h * scale, w * scale
    canvas = Image.new("L", (columns * (cell_w + PAD) + PAD, rows * (cell_h + PAD) + PAD), color=255)
    for index in range(n):
        tile = Image.fromarray(pixels[index].numpy(), mode="L").resize((cell_w, cell_h), Image.NEAREST)
        row, col = divmod(index, columns)
        canvas.paste(tile, (PAD + col * (cell_w + PAD), PAD + row * (cell_h + PAD)))
    return canvas


def png_bytes(image: Image.Image) -> bytes:
    """PNG encoding; the same pixels always give the same bytes (no timestamps or text chunks)."""
    buffer = io.BytesIO()
    image.save(buffer, format="PNG", optimize=False)
    return buffer.getvalue()


def grid_png(levels: torch.Tensor, *, columns: int | None = None, scale: int | None = None) -> bytes:
    return png_bytes(grid_image(levels, columns=columns, scale=scale))
