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
