import pytest
import torch

from generation.zoo import data


def test_digits_split_is_fixed_by_index_and_covers_every_image():
    sizes = {split: len(data.digits(split).images) for split in ("train", "val", "test")}
    assert sizes == {"train": 1000, "val": 350, "test": 447}
    test = data.digits("test")
    assert test.images.shape == (447, 1, 8, 8) and test.images.dtype == torch.long
    assert int(test.images.min()) == 0 and int(test.images.max()) == 16
    from sklearn.datasets import load_digits

    assert torch.equal(test.images[0, 0], torch.from_numpy(load_digits().images[1350].astype("int64")))


def test_unknown_split_names_the_choices():
    try:
        data.digits("holdout")
    except ValueError as error:
        assert "train" in str(error) and "holdout" in str(error)
    else:
        raise AssertionError("expected ValueError")


def test_unit_scale_round_trips_every_level():
    levels = torch.arange(17).view(1, 1, 1, 17)
    assert torch.equal(data.from_unit(data.to_unit(levels)), levels)


def test_names_split_is_disjoint_deterministic_and_lowercase():
    train, val, test = data.names("train"), data.names("val"), data.names("test")
    assert len(train) > 50_000 and len(val) > 5_000 and len(test) > 5_000
    assert not (set(train) & set(test)) and not (set(val) & set(test))
    assert all(name.isalpha() and name == name.lower() for name in test[:500])
    data._all_names.cache_clear()
    assert data.names("test") == test


def test_toys_have_the_right_shape_and_are_seeded():
    for name in data.TOYS:
        a = data.toy(name, 500, generator=torch.Generator().manual_seed(1))
        b = data.toy(name, 500, generator=torch.Generator().manual_seed(1))
        assert a.shape == (500, 2) and torch.equal(a, b)
        assert a.abs().max() < 8


def test_torchvision_loader_never_downloads():
    try:
        data.torchvision_images("mnist", "/nonexistent-folder")
    except RuntimeError as error:
        assert "torchvision" in str(error) or "never downloads" in str(error)
    else:
        raise AssertionError("expected RuntimeError")


# --- Fashion-MNIST ------------------------------------------------------------------------------------------


def test_fashion_splits_have_the_documented_sizes_and_range():
    sizes = {split: len(data.fashion(split).labels) for split in ("train", "val", "test")}
    assert sizes == {"train": 55_000, "val": 5_000, "test": 10_000}
    val = data.fashion("val")
    assert val.images.shape[1:] == (1, 28, 28) and val.images.dtype == torch.long
    assert int(val.images.min()) == 0 and int(val.images.max()) == 255
    assert set(val.labels.unique().tolist()) == set(range(10))


def test_fashion_validation_is_carved_from_training_and_fixed():
    train, val = data.fashion("train").images.flatten(1), data.fashion("val").images.flatten(1)
    # No validation image is also a training image (compare a hash of every row).
    key = lambda rows: {hash(row.numpy().tobytes()) for row in rows[:, ::7]}  # noqa: E731
    assert len(key(val) & key(train)) < 5  # Fashion-MNIST has a handful of exact duplicates, no more
    assert data._fashion_val_indices()[:5].tolist() == sorted(data._fashion_val_indices().tolist())[:5]
    again = torch.from_numpy(data._fashion_val_indices())
    assert torch.equal(again, torch.from_numpy(data._fashion_val_indices()))


def test_read_idx_refuses_a_damaged_file(tmp_path):
    bad = tmp_path / "x-idx3-ubyte"
    bad.write_bytes(b"\x00\x00\x08\x03" + (2).to_bytes(4, "big") + (28).to_bytes(4, "big") * 2 + b"\x00" * 10)
    with pytest.raises(ValueError, match="header says"):
        data.read_idx(bad)
    bad.write_bytes(b"PK\x03\x04")
    with pytest.raises(ValueError, match="magic"):
        data.read_idx(bad)


def test_missing_fashion_mnist_names_the_package(monkeypatch, tmp_path):
    monkeypatch.setenv("ATLAS_FASHION_MNIST", str(tmp_path))
    data._fashion_file.cache_clear()
    try:
        with pytest.raises(data.DataMissing, match="dataset-fashion-mnist"):
            data._fashion_file("test")
    finally:
        data._fashion_file.cache_clear()


def test_image_sets_describe_both_sizes():
    assert (data.image_set("digits").side, data.image_set("digits").levels) == (8, 17)
    assert (data.image_set("fashion").side, data.image_set("fashion").levels) == (28, 256)
    with pytest.raises(ValueError, match="unknown image data set"):
        data.image_set("cifar")
