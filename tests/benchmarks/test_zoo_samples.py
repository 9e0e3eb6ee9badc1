"""The zoo page's committed sample grids belong to the committed checkpoints."""

import json

from benchmarks.selectors import SAMPLES_DIR, zoo_sample_grids
from benchmarks.services import ZOO_RESULTS_DIR


def test_every_grid_was_drawn_from_the_checkpoint_its_results_name():
    grids = zoo_sample_grids()
    assert {"dcgan", "vae", "ddpm", "pixelcnn", "gpt-names"} <= set(grids)
    for name, grid in grids.items():
        results = json.loads((ZOO_RESULTS_DIR / f"{name}.json").read_text())
        assert grid.checkpoint_sha256 == results["sha256"], (
            f"{name}: the grid is from an older checkpoint; run manage.py zoo_sample_grids {name}"
        )
        assert (SAMPLES_DIR / (grid.image.rsplit("/", 1)[-1] if grid.image else f"{name}.txt")).is_file()
        assert grid.image or len(grid.text) == 16
