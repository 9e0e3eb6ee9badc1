"""Pictures of 2-D densities: a data histogram beside a model's density (flows) or energy landscape (EBM).

Plain numpy + Pillow (no matplotlib): values on a grid are mapped through a small perceptual colour ramp,
upscaled with nearest-neighbour, and panels are pasted side by side with a gap.
"""

from __future__ import annotations

from collections.abc import Callable

import numpy as np
import torch
from PIL import Image, ImageDraw

from generation.zoo.images import png_bytes

EXTENT = 4.5  # every panel shows [-EXTENT, EXTENT]^2
RESOLUTION = 128  # grid cells per side
SCALE = 3  # output pixels per grid cell
GAP = 8  # white pixels between panels

# A short viridis-like ramp, dark (low) to bright (high).
_RAMP = np.array(
    [[68, 1, 84], [59, 82, 139], [33, 145, 140], [94, 201, 98], [253, 231, 37]],
    dtype=np.float64,
)


def colourise(values: np.ndarray) -> Image.Image:
    """(R, R) values (row 0 = top) scaled to [0, 1] -> an RGB image through the ramp."""
    lo, hi = float(values.min()), float(values.max())
    t = (values - lo) / (hi - lo) if hi > lo else np.zeros_like(values)
    pos = t * (len(_RAMP) - 1)
    i = np.clip(np.floor(pos).astype(int), 0, len(_RAMP) - 2)
    frac = (pos - i)[..., None]
    rgb = _RAMP[i] * (1 - frac) + _RAMP[i + 1] * frac
    image = Image.fromarray(rgb.round().astype(np.uint8), mode="RGB")
    return image.resize((values.shape[1] * SCALE, values.shape[0] * SCALE), Image.NEAREST)


def grid_points(resolution: int = RESOLUTION) -> torch.Tensor:
    """Cell centres (R*R, 2) in row-major order, row 0 at the top (largest y)."""
    centres = (torch.arange(resolution) + 0.5) / resolution * 2 * EXTENT - EXTENT
    ys, xs = torch.meshgrid(centres.flip(0), centres, indexing="ij")
    return torch.stack([xs.flatten(), ys.flatten()], dim=1)


def evaluate_on_grid(fn: Callable[[torch.Tensor], torch.Tensor], resolution: int = RESOLUTION) -> np.ndarray:
    """fn over the grid's points -> (R, R) numpy array."""
    with torch.no_grad():
        values = fn(grid_points(resolution))
    return values.detach().cpu().double().numpy().reshape(resolution, resolution)


def histogram(points: torch.Tensor, resolution: int = RESOLUTION) -> np.ndarray:
    """(N, 2) points -> (R, R) counts on the same grid, row 0 at the top."""
    p = points.detach().cpu().numpy()
    counts, _, _ = np.histogram2d(
        p[:, 1], p[:, 0], bins=resolution, range=[[-EXTENT, EXTENT], [-EXTENT, EXTENT]]
    )  # rows: y ascending
    return counts[::-1]


def to_pixel(points: torch.Tensor, resolution: int = RESOLUTION) -> list[tuple[float, float]]:
    """Plane coordinates -> pixel coordinates of a panel."""
    side = resolution * SCALE
    p = points.detach().cpu().numpy()
    xs = (p[:, 0] + EXTENT) / (2 * EXTENT) * side
    ys = (EXTENT - p[:, 1]) / (2 * EXTENT) * side
    return list(zip(xs.tolist(), ys.tolist(), strict=True))


def mark(image: Image.Image, points: torch.Tensor, radius: float = 2.5) -> Image.Image:
    """White dots with a dark rim at ``points`` (e.g. model samples on a density panel)."""
    draw = ImageDraw.Draw(image)
    for x, y in to_pixel(points):
        draw.ellipse(
            (x - radius, y - radius, x + radius, y + radius), fill=(255, 255, 255), outline=(0, 0, 0)
        )
    return image


def side_by_side(panels: list[Image.Image]) -> bytes:
    width = sum(p.width for p in panels) + GAP * (len(panels) + 1)
    height = max(p.height for p in panels) + 2 * GAP
    canvas = Image.new("RGB", (width, height), color=(255, 255, 255))
    x = GAP
    for panel in panels:
        canvas.paste(panel, (x, GAP))
        x += panel.width + GAP
    return png_bytes(canvas)


def model_beside_data(points: torch.Tensor, field: np.ndarray, samples: torch.Tensor) -> bytes:
    """PNG: a histogram of the data ``points`` (left) beside a model's ``field`` over the grid (bright =
    likely: a density, or minus an energy) with the model's ``samples`` marked on it (right)."""
    right = colourise(field)
    mark(right, samples)
    return side_by_side([colourise(histogram(points)), right])
