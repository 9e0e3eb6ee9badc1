"""The registry's checkpoints (generation/zoo/registry.py, checkpoints/): every shipped image model (8x8
digits and 28x28 Fashion-MNIST) loads, matches its manifest, stays under 10 MB, samples the right shape and
range for its data set, is seeded, and beats its data set's independent-pixel baseline; a tampered checkpoint
is refused. The metrics' classifiers are tested in test_classifier.py."""

import pytest
import torch

from generation.zoo import data, evaluate, registry
from generation.zoo.demos import generator_for

IMAGE_MODELS = [entry.name for entry in registry.list_models() if entry.kind == "image"]


@pytest.mark.parametrize("name", IMAGE_MODELS)
def test_checkpoint_matches_manifest_and_samples_deterministically(name):
    entry = registry.get_model(name)
    manifest = registry.read_manifest(name)
    assert entry.checkpoint_path.stat().st_size < 10 * 1024 * 1024
    assert registry.sha256_of(entry.checkpoint_path) == manifest["sha256"]
    for key in ("config", "seed", "split", "steps", "wall_time_s", "versions", "metrics"):
        assert key in manifest, key
    image_set = data.image_set(entry.dataset)
    assert manifest["split"] == image_set.describe() | {"dataset": manifest["split"]["dataset"]}
    model = registry.load(name)
    a = entry.code.sample(model, 4, generator=generator_for(7))
    b = entry.code.sample(model, 4, generator=generator_for(7))
    assert a.shape == (4, 1, image_set.side, image_set.side) and a.dtype == torch.long
    assert int(a.min()) >= 0 and int(a.max()) <= image_set.levels - 1
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


@pytest.mark.parametrize("name", IMAGE_MODELS)
def test_every_model_beats_the_independent_pixel_baseline_on_fd(name):
    dataset = registry.get_model(name).dataset
    floor = evaluate.stored_row("independent-pixels" + ("" if dataset == "digits" else f"-{dataset}"))
    row = evaluate.stored_row(name)
    assert row is not None and floor is not None, "run python -m generation.zoo evaluate all"
    assert row["sha256"] == registry.read_manifest(name)["sha256"], "stored row is from another checkpoint"
    assert row["fd"] < floor["fd"]
