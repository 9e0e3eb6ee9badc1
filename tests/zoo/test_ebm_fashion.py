"""The 28x28 energy model (``ebm-fashion``, generation/zoo/ebm.py): a tiny fit on real Fashion-MNIST, the
class-conditional energy E(x, y), the Gaussian start the sampler shares with training, the persistent chains
that restart at ``max_age``, the shipped checkpoint and its demo."""

import pytest
import torch

from generation.zoo import data, ebm, registry
from generation.zoo.demos import generator_for, run_demo

try:
    data.fashion("val")
except data.DataMissing:  # pragma: no cover - Fashion-MNIST is a system package
    pytest.skip("Fashion-MNIST is not installed", allow_module_level=True)


def tiny(**overrides) -> ebm.Config:
    return ebm.Config(**{
        "dataset": "fashion", "conditional": True, "init": "gaussian", "toy": "", "channels": 4,
        "chain_min": 3, "chain_max": 3, "buffer_chains": 16, "max_age": 6, "batch": 8, "steps": 4,
        "curve_samples": 8, "curve_lengths": (2, 4), "select_every": 2, "select_steps": 2,
        "select_samples": 8, **overrides,
    })  # fmt: skip


def test_a_tiny_fit_on_fashion_mnist_fits_the_start_and_reports_the_validation_curve():
    torch.manual_seed(0)
    model = ebm.build(tiny())
    metrics = ebm.fit(model, model.config, generator=torch.Generator().manual_seed(0), log=lambda s, v: None)
    assert metrics["steps_done"] == 4 and set(metrics["chain_curve_val"]) == {"2", "4"}
    assert all(v["fd"] is not None and v["fd"] >= 0 for v in metrics["chain_curve_val"].values())
    assert [s["step"] for s in metrics["select_fd_val"]] == [2, 4]
    assert metrics["kept_step"] in (2, 4)
    # the chains' start is a Gaussian fitted per pixel: dark corners, a bright middle (clothes are centred)
    mean = model.init_mean[0, 0]
    assert mean[14, 14] > mean[0, 0] + 0.5
    assert (model.init_std > 0).all()
    # the persistent chains ran and aged (fresh chains restart at max_age)
    assert (model.ages <= model.config.max_age).all() and (model.ages > 0).any()


def test_persistent_chains_restart_from_the_samplers_start_once_they_reach_max_age():
    torch.manual_seed(1)
    model = ebm.build(tiny(max_age=6))
    x = data.fashion("train").images[:8]
    y = data.fashion("train").labels[:8]
    for _ in range(10):
        model(x, y)
    assert set(model.ages.tolist()) <= {3, 6}  # 3 steps per visit, restarted after 6


def test_the_energy_is_class_conditional_and_its_marginal_is_a_soft_minimum():
    torch.manual_seed(0)
    net = ebm.EnergyNet(tiny(channels=8))
    x = torch.rand(5, 1, 28, 28) * 2 - 1
    with torch.no_grad():
        per_class = torch.stack([net(x, torch.full((5,), k)) for k in range(10)], 1)  # (5, 10)
        marginal = net(x)
    assert not torch.allclose(per_class[:, 0], per_class[:, 1])
    assert torch.allclose(marginal, -torch.logsumexp(-per_class, 1), atol=1e-5)
    assert (marginal <= per_class.min(1).values + 1e-6).all()


def test_the_shipped_checkpoint_loads_and_samples_28x28_levels_deterministically():
    entry = registry.get_model("ebm-fashion")
    assert entry.dataset == "fashion"
    assert registry.sha256_of(entry.checkpoint_path) == registry.read_manifest("ebm-fashion")["sha256"]
    assert entry.checkpoint_path.stat().st_size < 10 * 1024 * 1024
    model = registry.load("ebm-fashion")
    a = ebm.sample(model, 3, generator=generator_for(5), steps=5)
    b = ebm.sample(model, 3, generator=generator_for(5), steps=5)
    assert a.shape == (3, 1, 28, 28) and a.dtype == torch.long and a.min() >= 0 and a.max() <= 255
    assert torch.equal(a, b)


def test_the_shipped_energy_ranks_validation_clothes_below_the_chains_start_and_noise():
    model = registry.load("ebm-fashion")
    val = data.fashion("val")
    x = ebm.levels_to_unit(val.images[:200], 256)
    start, _ = model.initial(200, generator=generator_for(0))
    noise = torch.rand(200, 1, 28, 28, generator=generator_for(0)) * 2 - 1
    with torch.no_grad():
        e_val, e_start, e_noise = model.energy(x), model.energy(start), model.energy(noise)
    assert e_val.mean() < e_start.mean() and e_val.mean() < e_noise.mean()
    assert (e_val < e_start.median()).float().mean() > 0.8


def test_the_label_steers_the_chains():
    model = registry.load("ebm-fashion")
    trousers = ebm.sample(model, 4, generator=generator_for(3), steps=30, labels=torch.full((4,), 1))
    bags = ebm.sample(model, 4, generator=generator_for(3), steps=30, labels=torch.full((4,), 8))
    assert not torch.equal(trousers, bags)
    # each class's energy is fixed only up to a constant (CD compares data and chains of the same label), so
    # compare images under one label: trouser chains sit lower than bag chains under "Trouser", and vice versa
    t, b = ebm.levels_to_unit(trousers, 256), ebm.levels_to_unit(bags, 256)
    with torch.no_grad():
        as_trouser, as_bag = torch.full((4,), 1), torch.full((4,), 8)
        assert model.energy(t, as_trouser).mean() < model.energy(b, as_trouser).mean()
        assert model.energy(b, as_bag).mean() < model.energy(t, as_bag).mean()


def test_the_fashion_demo_returns_a_grid_for_a_class():
    result = run_demo("ebm-fashion", {"seed": 1, "n": 4, "label": "Trouser", "steps": 5})
    assert result.artefacts[0].data.startswith(b"\x89PNG")
    assert result.metadata["shape"] == [4, 1, 28, 28]
    any_class = run_demo("ebm-fashion", {"seed": 1, "n": 4, "steps": 5})
    assert any_class.artefacts[0].data != result.artefacts[0].data
