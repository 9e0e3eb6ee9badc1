"""Fixtures for the benchmarks tests: a small content folder and zoo results a test may edit, and a small
board of results built with factories."""

import json
import textwrap
from decimal import Decimal
from pathlib import Path
from types import SimpleNamespace

import pytest

from tests import factories as f

DATASETS = """\
datasets:
  - slug: toy-images
    name: Toy images
    shape: 8×8×1
    resolution: 8
    train_size: 100
    test_size: 20
"""
METRICS = """\
metrics:
  - slug: fid
    name: Fréchet Inception Distance
    abbreviation: FID
    higher_is_better: false
    definition: A distance between feature Gaussians.
    paper: heusel2017gans
  - slug: nll
    name: Negative log-likelihood
    abbreviation: NLL
    unit: bits/dim
    higher_is_better: false
    bound: upper
    definition: Bits per dimension.
  - slug: zoo-fd
    name: Zoo FD
    abbreviation: FD
    higher_is_better: false
    definition: FD in the zoo classifier's features.
    decimals: 0
"""
BOARD = """\
benchmark:
  slug: toy-fid
  name: Toy images, FID
  dataset: toy-images
  metric: fid
  protocol: 50 samples against the training set.
results:
  - family: diffusion-models
    paper: ho2020denoising
    variant: Ours (L_simple)
    value: 3.17
    source: {table: Table 1, row: Ours (L_simple), page: 6, version: arXiv v2,
             url: "https://arxiv.org/abs/2006.11239v2", checked_on: 2026-11-29}
  - family: gans
    paper: brock2019large
    variant: BigGAN
    value: 14.73
    error: 0.2
    source: {table: Table 2, row: BigGAN, version: ICLR 2019 (OpenReview),
             url: "https://openreview.net/forum?id=B1xsqj09Fm", checked_on: 2026-11-29}
"""
MEASURED_BOARD = """\
benchmark:
  slug: toy-zoo-fd
  name: Toy images, zoo FD
  dataset: toy-images
  metric: zoo-fd
  protocol: 1,000 samples against the test split.
  measured: fd
"""


def zoo_row(name: str, family: str, fd: float | None, **extra) -> dict:
    row = {
        "name": name,
        "family": family,
        "fd": fd,
        "command": f"python -m generation.zoo evaluate {name}",
        "evaluated_on": "2026-11-23",
    }
    if family not in ("baseline", "data"):
        row["sha256"] = "ab" * 32
    return row | extra


@pytest.fixture
def content(tmp_path) -> Path:
    """A content folder (datasets, metrics, a published and a measured board) that a test may edit."""
    root = tmp_path / "content"
    (root / "boards").mkdir(parents=True)
    (root / "datasets.yaml").write_text(DATASETS)
    (root / "metrics.yaml").write_text(METRICS)
    (root / "boards" / "toy-fid.yaml").write_text(BOARD)
    (root / "boards" / "toy-zoo-fd.yaml").write_text(MEASURED_BOARD)
    return root


@pytest.fixture
def zoo_results(tmp_path) -> Path:
    """Zoo results files: a model, a baseline, the real-data reference, and a text model with no FD."""
    root = tmp_path / "results"
    root.mkdir()
    rows = [
        zoo_row("dcgan", "gans", 94.48),
        zoo_row("kde-pca", "baseline", 164.2),
        zoo_row("real-digits", "data", 115.97, note="the validation digits"),
        zoo_row("gpt-names", "generative-transformers", None),
    ]
    for row in rows:
        (root / f"{row['name']}.json").write_text(json.dumps(row))
    (root / "report.json").write_text(json.dumps(rows))  # the combined report, a list: skipped
    return root


@pytest.fixture
def linked(db):
    """The records the toy content links to: two families and three papers."""
    return SimpleNamespace(
        gans=f.FamilyFactory(slug="gans", short_name="GANs", position=1),
        diffusion=f.FamilyFactory(slug="diffusion-models", short_name="Diffusion", position=5),
        ddpm=f.PaperFactory(citation_key="ho2020denoising", year=2020),
        biggan=f.PaperFactory(citation_key="brock2019large", year=2019),
        fid=f.PaperFactory(citation_key="heusel2017gans", year=2017),
    )


def edit(path: Path, old: str, new: str) -> None:
    text = path.read_text()
    assert old in text, f"{old!r} not in {path.name}"
    path.write_text(text.replace(old, new, 1))


@pytest.fixture
def board(db):
    """A lower-is-better board across the years: a tie, a bound, an extra-data row and two families."""
    gans = f.FamilyFactory(slug="gans", short_name="GANs", position=1)
    diffusion = f.FamilyFactory(slug="diffusion-models", short_name="Diffusion", position=5)
    benchmark = f.BenchmarkFactory(slug="toy-fid", name="Toy FID", metric__abbreviation="FID")
    rows = [
        (gans, 2016, "DCGAN", "37.1", {}),
        (gans, 2019, "BigGAN", "14.73", {}),
        (diffusion, 2020, "DDPM", "3.17", {}),
        (diffusion, 2021, "Score SDE", "2.20", {}),
        (gans, 2021, "StyleGAN2-ADA", "2.92", {"extra_data": True}),
        (diffusion, 2022, "EDM", "1.97", {}),
        (diffusion, 2022, "EDM (VE)", "1.97", {}),
    ]
    results = {}
    for family, year, variant, value, extra in rows:
        paper = f.PaperFactory(year=year)
        results[variant] = f.PublishedResultFactory(
            benchmark=benchmark, family=family, paper=paper, variant=variant, value=Decimal(value), **extra
        )
    return SimpleNamespace(benchmark=benchmark, gans=gans, diffusion=diffusion, results=results)


def dedent(text: str) -> str:
    return textwrap.dedent(text)
