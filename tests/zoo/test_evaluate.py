"""The shared evaluation (generation/zoo/evaluate.py): metric functions on known cases, the FD interval, the
improved precision/recall, the per-data-set protocol (the reference uses the same N as every model), the
baselines, and the report's "within noise" marks."""

import json

import numpy as np
import pytest
import torch

from generation.zoo import baselines, evaluate, registry, report


def test_frechet_distance_of_a_set_to_itself_is_zero():
    features = np.random.default_rng(0).normal(size=(500, 16))
    assert evaluate.frechet_distance(features, features) == pytest.approx(0, abs=1e-6)


def test_frechet_distance_of_a_shifted_set_is_the_squared_shift():
    features = np.random.default_rng(0).normal(size=(500, 8))
    assert evaluate.frechet_distance(features, features + 2.0) == pytest.approx(8 * 4.0, rel=1e-6)


def test_frechet_distance_matches_the_closed_form_for_diagonal_covariances():
    rng = np.random.default_rng(0)
    a = rng.normal(size=(20000, 3)) * np.array([1.0, 2.0, 3.0])
    b = rng.normal(size=(20000, 3)) * np.array([2.0, 2.0, 1.0])
    # sum (s_a - s_b)^2 for diagonal Gaussians: 1 + 0 + 4
    assert evaluate.frechet_distance(a, b) == pytest.approx(5.0, abs=0.15)


def test_frechet_distance_grows_with_a_scale_mismatch():
    rng = np.random.default_rng(0)
    a, b = rng.normal(size=(2000, 4)), rng.normal(size=(2000, 4))
    assert evaluate.frechet_distance(a, b * 3) > 10 * evaluate.frechet_distance(a, b)


def test_fd_interval_contains_the_point_estimate_and_the_true_value():
    rng = np.random.default_rng(1)
    reference = rng.normal(size=(5000, 8))
    samples = rng.normal(size=(400, 8)) + 0.5  # true FD = 8 * 0.25 = 2
    result = evaluate.frechet_bootstrap(samples, reference, resamples=100)
    assert result["fd"] == pytest.approx(evaluate.frechet_distance(samples, reference), rel=1e-9)
    assert result["fd_low"] <= result["fd"] <= result["fd_high"]
    assert result["fd_std"] > 0
    assert result["fd_low"] < 2.0 < result["fd_high"] + 0.5  # FD's upward bias at N = 400 is about 0.04
    # duplicated draws inflate FD: the resamples sit above the plug-in value, not below
    assert result["fd_bootstrap_mean"] > result["fd"]


def test_intervals_that_overlap_are_within_noise_and_others_not():
    a, b, c = {"fd_low": 1, "fd_high": 3}, {"fd_low": 2.5, "fd_high": 4}, {"fd_low": 5, "fd_high": 6}
    assert evaluate.intervals_overlap(a, b) and evaluate.intervals_overlap(b, a)
    assert not evaluate.intervals_overlap(a, c)
    rows = [
        {"name": "a", "dataset": "digits", "fd": 2, **a},
        {"name": "b", "dataset": "digits", "fd": 3, **b},
        {"name": "c", "dataset": "digits", "fd": 5.5, **c},
        {"name": "d", "dataset": "fashion", "fd": 2, **a},  # another data set never counts
        {"name": "text", "dataset": "names", "fd": None},
    ]
    marked = {row["name"]: row.get("within_noise") for row in report.with_noise_marks(rows)}
    assert marked == {"a": ["b"], "b": ["a"], "c": [], "d": [], "text": None}


def test_a_composition_is_read_against_each_part_column_by_column():
    whole = {"name": "w", "fd": 2, "fd_low": 1, "fd_high": 3, "precision": 0.8, "bits_per_dim": 3.4}
    near = {"name": "n", "fd": 3, "fd_low": 2.5, "fd_high": 4, "precision": 0.9, "bits_per_dim": 3.5}
    far = {"name": "f", "fd": 9, "fd_low": 8, "fd_high": 10, "precision": 0.8, "samples_per_s": 5.0}
    assert report.verdict(whole, near, "fd", "lower") == "within noise"  # the intervals overlap
    assert report.verdict(whole, far, "fd", "lower") == "better"
    assert report.verdict(far, whole, "fd", "lower") == "worse"
    assert report.verdict(whole, near, "precision", "higher") == "worse"
    assert report.verdict(whole, far, "precision", "higher") == "equal"
    assert report.verdict(whole, near, "bits_per_dim", "lower") == "better"
    assert report.verdict(whole, far, "samples_per_s", "higher") == "–"  # a column one row lacks


def test_the_report_has_a_table_per_composition_with_its_parts_and_the_site_s_copy_is_current():
    found = report.compositions(report.build_report(write=False))
    section = report.compositions_section(found)
    composed = [e for e in registry.list_models() if e.parts and evaluate.stored_row(e.name) is not None]
    assert [c["name"] for c in found] == [e.name for e in composed] and composed
    for entry in composed:
        assert f"### {entry.name}:" in section
        for part in entry.parts:
            assert f"| *{entry.name} vs {part}* |" in section
    # The zoo page reads results/compositions.json: `python -m generation.zoo report` keeps it current.
    assert json.loads(report.COMPOSITIONS_JSON.read_text()) == json.loads(json.dumps(found))


def test_precision_and_recall_of_identical_sets_are_one():
    features = np.random.default_rng(0).normal(size=(300, 6))
    assert evaluate.precision_recall(features, features) == {"precision": 1.0, "recall": 1.0}


def test_precision_and_recall_of_disjoint_sets_are_zero():
    rng = np.random.default_rng(0)
    real, fake = rng.normal(size=(300, 6)), rng.normal(size=(300, 6)) + 100
    assert evaluate.precision_recall(real, fake) == {"precision": 0.0, "recall": 0.0}


def test_mode_dropping_keeps_precision_and_loses_recall():
    rng = np.random.default_rng(0)
    centres = np.repeat(np.eye(4) * 20, 200, axis=0)  # four far-apart clusters
    real = centres + rng.normal(size=(800, 4))
    fake = np.eye(4)[0] * 20 + rng.normal(size=(800, 4))  # every sample in the first cluster
    result = evaluate.precision_recall(real, fake)
    assert result["precision"] > 0.9
    assert 0.15 < result["recall"] < 0.3  # about a quarter of the real data is covered


def test_knn_radius_excludes_the_point_itself():
    points = torch.tensor([[0.0], [1.0], [3.0], [7.0]], dtype=torch.float64)
    assert evaluate.knn_radii(points, k=1).tolist() == [1.0, 1.0, 2.0, 4.0]
    assert evaluate.knn_radii(points, k=3).tolist() == [7.0, 6.0, 4.0, 7.0]


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


@pytest.mark.parametrize("dataset", ["digits", "fashion"])
def test_the_reference_uses_the_same_n_as_every_model(dataset):
    protocol = evaluate.PROTOCOLS[dataset]
    reference = evaluate.reference_images(dataset)
    assert len(reference) == protocol.n
    assert len(torch.unique(reference.flatten(1), dim=0)) == protocol.n  # distinct images, no repeats
    with pytest.raises(AssertionError, match=f"use {protocol.n} samples"):
        evaluate.sample_metrics(reference[:-1], dataset)


def test_rows_are_split_by_data_set():
    digits, fashion = evaluate.all_names("digits"), evaluate.all_names("fashion")
    assert digits[-1] == "real-digits" and fashion[-1] == "real-fashion"
    assert {"independent-pixels", "gmm-dequantised", "kde-pca"} <= set(digits)
    assert {"independent-pixels-fashion", "gmm-fashion", "kde-pca-fashion"} <= set(fashion)
    assert not set(digits) & set(fashion)
    assert all(evaluate.dataset_of(name) == "fashion" for name in fashion)
    assert set(evaluate.all_names()) == set(digits) | set(fashion) | set(evaluate.all_names("names"))


def test_reference_row_of_digits_sits_among_real_values():
    row = evaluate.sample_metrics(evaluate.reference_images("digits"), "digits")
    assert row["n_samples"] == 350
    assert row["fd_low"] <= row["fd"] <= row["fd_high"]
    assert 0.5 < row["precision"] <= 1 and 0.5 < row["recall"] <= 1
    assert row["coverage"] > 0.98 and 0.8 < row["memorisation"] < 1.25


def test_stored_rows_of_a_data_set_share_one_protocol():
    for dataset, protocol in evaluate.PROTOCOLS.items():
        rows = [evaluate.stored_row(name) for name in evaluate.all_names(dataset)]
        rows = [row for row in rows if row is not None]
        if not rows:
            continue
        reference = evaluate.stored_row(protocol.reference)
        assert reference is not None, f"run python -m generation.zoo evaluate {protocol.reference}"
        for row in rows:
            assert row["n_samples"] == reference["n_samples"] == protocol.n, row["name"]
            assert row["protocol"]["classifier_sha256"] == reference["protocol"]["classifier_sha256"]
            assert row["fd_low"] <= row["fd"] <= row["fd_high"]


def test_baseline_bits_per_dim_is_exact_and_beats_uniform():
    from generation.zoo import data

    pixels = baselines.get_baseline("independent-pixels")
    assert pixels.likelihood == "exact"
    bpd = pixels.nll_bits_per_dim(data.digits("test").images)
    assert bpd.shape == (447,)
    assert 1.0 < bpd.mean().item() < np.log2(17)
    samples = pixels.sample(10, seed=3)
    assert samples.shape == (10, 1, 8, 8) and torch.equal(samples, pixels.sample(10, seed=3))


def test_fashion_independent_pixels_is_exact_over_256_levels():
    from generation.zoo import data

    pixels = baselines.get_baseline("independent-pixels-fashion")
    x = data.fashion("test").images[:200]
    bpd = pixels.nll_bits_per_dim(x)
    assert bpd.shape == (200,) and 1.0 < bpd.mean().item() < 8.0
    # exact: the probabilities of every level of a pixel sum to one
    assert torch.allclose(pixels.log_probs.exp().sum(1), torch.ones(784, dtype=torch.float64))
    samples = pixels.sample(5, seed=1)
    assert samples.shape == (5, 1, 28, 28) and int(samples.max()) <= 255
