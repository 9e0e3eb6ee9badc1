"""The classifiers of the metrics (generation/zoo/classifier.py): shipped, small, accurate enough (digits
>= 98%, Fashion-MNIST >= 93% on test, as recorded), and a usable feature space on real data: no constant
feature and a full-rank covariance (the old digits classifier had 41 of 64 features dead)."""

import json

import numpy as np
import pytest
import torch

from generation.zoo import classifier, data

BARS = {"digits": 0.98, "fashion": 0.93}


@pytest.mark.parametrize("dataset", ["digits", "fashion"])
def test_shipped_classifier_meets_its_accuracy_bar_and_is_small(dataset):
    manifest = json.loads(classifier.manifest_path(dataset).read_text())
    assert manifest["dataset"] == dataset
    assert manifest["metrics"]["test"]["accuracy"] >= BARS[dataset]
    assert classifier.checkpoint_path(dataset).stat().st_size < 10 * 1024 * 1024
    assert manifest["features"]["test"]["constant"] == 0
    assert manifest["features"]["test"]["rank"] == manifest["features"]["test"]["dims"]
    model = classifier.load_classifier(dataset)  # hash-checked
    assert model.config.dataset == dataset


def test_digits_accuracy_is_reproduced_from_the_checkpoint():
    manifest = json.loads(classifier.MANIFEST.read_text())
    measured = classifier.accuracy(classifier.load_classifier("digits"), "test")
    assert measured == pytest.approx(manifest["metrics"]["test"]["accuracy"], abs=1e-4)


def test_fashion_accuracy_is_reproduced_on_part_of_the_test_split():
    test = data.fashion("test")
    _, probs = classifier.embed(test.images[:2000], dataset="fashion")
    accuracy = (probs.argmax(1) == test.labels[:2000]).double().mean().item()
    assert accuracy >= BARS["fashion"] - 0.01  # 2,000 of the 10,000: about ±0.6% of sampling noise


@pytest.mark.parametrize(("dataset", "n"), [("digits", 447), ("fashion", 2000)])
def test_no_feature_is_constant_and_the_covariance_has_full_rank_on_real_data(dataset, n):
    images = data.image_set(dataset).split("test").images[:n]
    features, probs = classifier.embed(images, dataset=dataset)
    health = classifier.feature_health(features)
    assert health["constant"] == 0
    assert health["rank"] == features.shape[1]
    assert health["min_std"] > 0.05
    assert torch.allclose(probs.sum(1), torch.ones(len(images), dtype=torch.float64))


def test_feature_health_finds_dead_and_dependent_features():
    rng = np.random.default_rng(0)
    f = rng.normal(size=(500, 5))
    f[:, 1] = 0.0  # a dead unit
    f[:, 4] = f[:, 2] + f[:, 3]  # a dependent one
    health = classifier.feature_health(f)
    assert health["constant"] == 1 and health["rank"] == 3


def test_augmentation_translates_with_zero_fill_and_flips():
    x = torch.zeros(64, 1, 8, 8, dtype=torch.long)
    x[:, 0, 3, 3] = 5
    cfg = classifier.Config(shift=1, flip=False)
    out = classifier.augment(x, cfg, torch.Generator().manual_seed(0))
    assert out.shape == x.shape and (out.sum((1, 2, 3)) == 5).all()  # the pixel moved, nothing else appeared
    positions = {tuple(torch.nonzero(image[0])[0].tolist()) for image in out}
    assert positions <= {(r, c) for r in (2, 3, 4) for c in (2, 3, 4)} and len(positions) > 3
    flipped = classifier.augment(x, classifier.Config(shift=0, flip=True), torch.Generator().manual_seed(0))
    assert {tuple(torch.nonzero(image[0])[0].tolist()) for image in flipped} == {(3, 3), (3, 4)}


def test_a_short_fit_learns_and_its_features_take_no_relu():
    cfg = classifier.Config(epochs=2)
    model, history = classifier.fit(cfg, seed=0)
    assert history["val_accuracy"][-1] > 0.6
    features, _ = classifier.predict(model, data.digits("val").images)
    assert (features < 0).any(), "features are pre-activation: they take negative values"
    assert classifier.feature_health(features)["constant"] == 0
