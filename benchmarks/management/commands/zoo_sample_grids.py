"""Draw the zoo page's sample grids again from the committed checkpoints, and write their manifest.

Run after a checkpoint changes (a test fails while a grid's recorded checkpoint hash differs from its results
file's). It calls the zoo's own command line in a subprocess, so this app never imports the zoo or torch.
"""

import json
import subprocess
import sys
from pathlib import Path

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError

from benchmarks.selectors import SAMPLES_DIR
from benchmarks.services import ZOO_RESULTS_DIR

SEED, COUNT = 0, 16


class Command(BaseCommand):
    help = "Sample 16 images or names (seed 0) from each zoo model and record the checkpoint hash of each."

    def add_arguments(self, parser):
        parser.add_argument("names", nargs="*", help="zoo models to redraw (default: every model)")

    def handle(self, *args, names, **options):
        manifest_path = SAMPLES_DIR / "manifest.json"
        manifest = json.loads(manifest_path.read_text()) if manifest_path.is_file() else {}
        rows = [json.loads(path.read_text()) for path in sorted(ZOO_RESULTS_DIR.glob("*.json"))]
        models = {row["name"]: row for row in rows if isinstance(row, dict) and row.get("sha256")}
        unknown = sorted(set(names) - set(models))
        if unknown:
            raise CommandError(f"not zoo models with a checkpoint: {', '.join(unknown)}")
        for name in names or sorted(models):
            out = SAMPLES_DIR / name
            relative = out.relative_to(Path(settings.BASE_DIR))
            command = f"python -m generation.zoo sample {name} --n {COUNT} --seed {SEED} --out {relative}"
            argv = ["-m", "generation.zoo", "sample", name, "--n", str(COUNT), "--seed", str(SEED)]
            done = subprocess.run(
                [sys.executable, *argv, "--out", str(out)],
                cwd=settings.BASE_DIR,
                capture_output=True,
                text=True,
                check=False,
            )
            if done.returncode != 0:
                raise CommandError(f"{name}: {done.stderr.strip().splitlines()[-1:]}")
            written = next(p for p in (out.with_suffix(".png"), out.with_suffix(".txt")) if p.is_file())
            manifest[name] = {
                "file": written.name,
                "checkpoint_sha256": models[name]["sha256"],
                "command": command,
            }
            self.stdout.write(f"{name}: {written.name}")
        manifest_path.write_text(json.dumps(manifest, indent=2, sort_keys=True) + "\n")
