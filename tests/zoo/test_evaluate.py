import numpy as np
import pytest
import torch

from generation.zoo import evaluate


def test_frechet_distance_of_a_set_to_itself_is_zero():
    features = np.random.default_rng(0).normal(size=(500, 16))
    assert evaluate.frechet_distance(features, features) == pytest.approx(0, abs=1e-6)


def test_frechet_distance_of_a_shifted_set_is_the_squared_shift():
    features = np.random.default_rng(0).normal(size=(500, 8))
    assert evaluate.frechet_distance(features, features + 2.0) == pytest.approx(8 * 4.0, rel=1e-6)


def test_frechet_distance_grows_with_a_scale_mismatch():
    rng = np.random.default_rng(0)
    a, b = rng.normal(size=(2000, 4)), rng.normal(size=(2000, 4))
    assert evaluate.frechet_distance(a, b * 3) > 10 * evaluate.frechet_distance(a, b)


def test_coverage_is_one_for_a_uniform_histogram_and_zero_for_one_class():
    assert evaluate.coverage(np.repeat(np.arange(10), 7)) == pytest.approx(1.0)
    assert evaluate.coverage(np.full(100, 7)) == pytest.approx(0.0)
    assert 0 < evaluate.coverage(np.array([0] * 90 + [1] * 10)) < 0.5


def test_inception_score_ranges_from_one_to_the_number_of_classes():
    confident_balanced = np.eye(10)[np.repeat(np.arange(10), 5)]
    assert evaluate.inception_score(confident_balanced) == pytest.approx(10, rel=1e-6)
    assert evaluate.inception_score(np.full((50, 10), 0.1)) == pytest.approx(1, rel=1e-6)


def test_memorisation_is_small_for_copies_and_about_one_for_held_out_data():
    from generation.zoo import data

    train, test, val = (data.digits(s).images for s in ("train", "test", "val"))
    assert evaluate.memorisation(train[:200], train, test) == 0
    assert 0.8 < evaluate.memorisation(val, train, test) < 1.25


def test_baseline_bits_per_dim_is_exact_and_beats_uniform():
    from generation.zoo import baselines, data

    pixels = baselines.get_baseline("independent-pixels")
    bpd = pixels.nll_bits_per_dim(data.digits("test").images)
    assert bpd.shape == (447,)
    assert 1.0 < bpd.mean().item() < np.log2(17)
    samples = pixels.sample(10, seed=3)
    assert samples.shape == (10, 1, 8, 8) and torch.equal(samples, pixels.sample(10, seed=3))
