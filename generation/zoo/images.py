"""PNG grids of 8x8 digits, upscaled with nearest-neighbour so each grey level stays a crisp square."""

from __future__ import annotations

import io
import math

import torch
from PIL import Image

from generation.zoo.data import LEVELS

SCALE = 8  # each 8x8 digit becomes 64x64 pixels
PAD = 2  # white gap between digits, in output pixels


def to_pixels(levels: torch.Tensor) -> torch.Tensor:
    """Levels (N, 1, H, W) in 0..16 -> uint8 (N, H, W), ink dark on white like a pen stroke."""
    assert levels.dim() == 4 and levels.shape[1] == 1, f"expected (N, 1, H, W), got {tuple(levels.shape)}"
    scaled = levels.detach().cpu().float().clamp(0, LEVELS - 1) / (LEVELS - 1)
    return (255 - (scaled[:, 0] * 255).round()).to(torch.uint8)


def grid_image(levels: torch.Tensor, *, columns: int | None = None, scale: int = SCALE) -> Image.Image:
    """A grey PIL image holding the N digits in a grid (``columns`` defaults to a near-square grid)."""
    pixels = to_pixels(levels)  # (N, H, W)
    n, h, w = pixels.shape
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


def grid_png(levels: torch.Tensor, *, columns: int | None = None, scale: int = SCALE) -> bytes:
    return png_bytes(grid_image(levels, columns=columns, scale=scale))
