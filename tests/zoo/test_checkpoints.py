"""The registry's checkpoints (generation/zoo/registry.py, checkpoints/): every shipped image model loads,
matches its manifest, samples the right shape and range, is seeded, and beats the independent-pixel baseline;
a tampered checkpoint is refused; the metrics' classifier is shipped."""

import json

import pytest
import torch

from generation.zoo import classifier, evaluate, registry
from generation.zoo.demos import generator_for

IMAGE_MODELS = [entry.name for entry in registry.list_models() if entry.kind == "image"]


@pytest.mark.parametrize("name", IMAGE_MODELS)
def test_checkpoint_matches_manifest_and_samples_deterministically(name):
    entry = registry.get_model(name)
    manifest = registry.read_manifest(name)
    assert entry.checkpoint_path.stat().st_size <= 5 * 1024 * 1024
    assert registry.sha256_of(entry.checkpoint_path) == manifest["sha256"]
    for key in ("config", "seed", "split", "steps", "wall_time_s", "versions", "metrics"):
        assert key in manifest, key
    assert manifest["split"]["test"] == [1350, 1797]
    model = registry.load(name)
    a = entry.code.sample(model, 4, generator=generator_for(7))
    b = entry.code.sample(model, 4, generator=generator_for(7))
    assert a.shape == (4, 1, 8, 8) and a.dtype == torch.long
    assert int(a.min()) >= 0 and int(a.max()) <= 16
    assert torch.equal(a, b)


def test_a_tampered_checkpoint_is_refused(tmp_path, monkeypatch):
    entry = registry.get_model("dcgan")
    fake = tmp_path / "dcgan.pt"
    fake.write_bytes(entry.checkpoint_path.read_bytes() + b"x")
    (tmp_path / "dcgan.json").write_text(entry.manifest_path.read_text())
    monkeypatch.setattr(registry, "CHECKPOINTS", tmp_path)
    monkeypatch.setattr(registry, "_loaded", {})
    with pytest.raises(registry.ChecksumMismatch):
        registry.load("dcgan")


def test_classifier_is_shipped_with_test_accuracy_of_at_least_95_percent():
    manifest = json.loads(classifier.MANIFEST.read_text())
    assert manifest["metrics"]["test"]["accuracy"] >= 0.95
    assert classifier.accuracy(classifier.load_classifier(), "test") == pytest.approx(
        manifest["metrics"]["test"]["accuracy"], abs=1e-4
    )


@pytest.mark.parametrize("name", IMAGE_MODELS)
def test_every_model_beats_the_independent_pixel_baseline_on_fd(name):
    floor = evaluate.stored_row("independent-pixels")
    row = evaluate.stored_row(name)
    assert row is not None and floor is not None, "run python -m generation.zoo evaluate all"
    assert row["sha256"] == registry.read_manifest(name)["sha256"], "stored row is from another checkpoint"
    assert row["fd"] < floor["fd"]
