"""Energy-based model (generation/zoo/ebm.py): Langevin needs autograd (it works under inference_mode), one
Langevin loop serves the digits and the 2-D toy, training on the chains the sampler runs, the checkpoint (toy
config included) ranks digits below noise and its longer chains go lower, demos."""

import dataclasses

import torch

from generation.zoo import data, ebm, registry
from generation.zoo.demos import generator_for, get_demo, run_demo


def test_langevin_runs_under_inference_mode_and_descends_the_energy():
    torch.manual_seed(0)
    energy = ebm.EnergyNet(ebm.Config(channels=4))
    start = torch.rand(8, 1, 8, 8) * 2 - 1
    with torch.inference_mode():  # the way a careless caller would sample: the sampler must still work
        x, frames = ebm.langevin(
            energy, start, steps=30, step_size=1.0, noise=0.0, grad_clip=1.0, frames_every=10
        )
    assert len(frames) == 3
    assert not torch.equal(x, start)
    assert energy(x).mean() < energy(start).mean()


def test_a_few_training_steps_separate_data_from_noise():
    """Contrastive divergence lowers E(data) relative to E(noise) (its loss is not monotone, this is)."""
    torch.manual_seed(0)
    model = ebm.build(ebm.Config(channels=4, chain_min=5, chain_max=5, buffer_chains=0, toy=""))
    x = data.digits("train").images[:32]
    noise = torch.rand(32, 1, 8, 8) * 2 - 1

    def gap() -> float:
        with torch.no_grad():
            return (model.energy(ebm.levels_to_unit(x)).mean() - model.energy(noise).mean()).item()

    before = gap()
    opt = torch.optim.Adam(model.parameters(), lr=1e-3, betas=(0.0, 0.999))
    for _ in range(20):
        _, loss = model(x)
        opt.zero_grad()
        loss.backward()
        opt.step()
    assert gap() < before - 0.05


def test_shipped_checkpoint_matches_its_manifest_and_samples_deterministically():
    entry = registry.get_model("ebm")
    assert registry.sha256_of(entry.checkpoint_path) == registry.read_manifest("ebm")["sha256"]
    assert entry.checkpoint_path.stat().st_size <= 5 * 1024 * 1024
    model = registry.load("ebm")
    a = ebm.sample(model, 3, generator=generator_for(5), steps=20)
    b = ebm.sample(model, 3, generator=generator_for(5), steps=20)
    assert a.shape == (3, 1, 8, 8) and a.dtype == torch.long and a.min() >= 0 and a.max() <= 16
    assert torch.equal(a, b)


def test_training_chains_start_where_the_sampler_starts():
    """Non-persistent chains (nijkamp2019learning): no replay buffer; the training chains and the sampler both
    start from ``initial``, and the chain length of a training batch varies within [chain_min, chain_max]."""
    model = ebm.build(ebm.Config(channels=4, chain_min=2, chain_max=4, buffer_chains=0, toy=""))
    seen, chain = [], model.chain

    def spy(start, labels, steps, **kwargs):
        seen.append((start.clone(), steps))
        return chain(start, labels, steps, **kwargs)

    model.chain = spy
    torch.manual_seed(7)
    for _ in range(12):
        model(data.digits("train").images[:8])
    assert {steps for _, steps in seen} == {2, 3, 4}
    torch.manual_seed(7)
    torch.randn(8, 1, 8, 8)  # the data noise, then the chain length, then the start
    torch.randint(2, 5, ())
    expected, _ = model.initial(8)
    assert torch.equal(seen[0][0], expected)
    x, _ = model.initial(8, generator=generator_for(3))
    assert torch.equal(x, torch.rand(8, 1, 8, 8, generator=generator_for(3)) * 2 - 1)


def test_the_shipped_energy_ranks_validation_digits_below_noise():
    model = registry.load("ebm")
    val = ebm.levels_to_unit(data.digits("val").images)
    noise = torch.rand(350, 1, 8, 8, generator=generator_for(0)) * 2 - 1
    with torch.no_grad():
        e_val, e_noise = model.energy(val), model.energy(noise)
    assert e_val.mean() < e_noise.mean()
    assert (e_val < e_noise.min()).float().mean() > 0.9  # almost every digit is below every noise image


def test_a_longer_chain_lowers_the_energy_of_the_shipped_models_samples():
    model = registry.load("ebm")
    energies = []
    for steps in (10, 40, 160):
        x = ebm.sample(model, 64, generator=generator_for(11), steps=steps)
        with torch.no_grad():
            energies.append(model.energy(ebm.levels_to_unit(x)).mean().item())
    assert energies[0] > energies[1] > energies[2]


def test_the_demo_default_chain_length_is_one_the_validation_curve_supports():
    """The manifest's validation curve (chain length -> Fréchet distance) does not get worse with longer
    chains, and the demo's default length is the best of the curve, or as good within 10%."""
    curve = registry.read_manifest("ebm")["metrics"]["training"]["chain_curve_val"]
    fd = {int(k): v["fd"] for k, v in curve.items()}
    lengths = sorted(fd)
    assert fd[lengths[-1]] <= fd[lengths[0]]
    default = next(p.default for p in get_demo("ebm-langevin").params if p.name == "steps")
    assert default == registry.get_model("ebm").make_config().sample_steps or default in fd
    assert fd.get(default, fd[lengths[-1]]) <= 1.1 * min(fd.values())


def test_langevin_demo_returns_the_chain_as_frames():
    steps = []
    result = run_demo(
        "ebm-langevin", {"seed": 2, "n": 4, "steps": 12, "frames": 3}, progress=lambda s, t: steps.append(s)
    )
    frames = [a for a in result.artefacts if a.role == "frame"]
    assert [a.role for a in result.artefacts].count("result") == 1
    assert len(frames) == 4  # the noise it starts from, then every 4 steps
    assert result.metadata["frame_steps"] == [0, 4, 8, 12]
    assert steps == list(range(13))  # step 0 is the noise the chain starts from


def test_energy_landscape_demo_draws_a_picture():
    result = run_demo("ebm-energy-landscape", {"seed": 0, "n": 8, "steps": 20})
    assert result.artefacts[0].data.startswith(b"\x89PNG")


def test_the_toy_chain_is_the_same_langevin_loop_without_a_gradient_clamp():
    torch.manual_seed(0)
    toy = ebm.ToyEBM(ebm.ToyConfig(hidden=8))
    cfg = toy.config
    chained = toy.sample(16, generator=torch.Generator().manual_seed(3), steps=5)
    start = (torch.rand(16, 2, generator=torch.Generator().manual_seed(3)) * 2 - 1) * cfg.box
    generator = torch.Generator().manual_seed(3)
    torch.rand(16, 2, generator=generator)  # the draw of the start, as sample makes it
    direct, _ = ebm.langevin(
        toy.energy_of, start, steps=5, step_size=cfg.step_size, noise=cfg.noise, generator=generator,
        low=-cfg.box, high=cfg.box,
    )  # fmt: skip
    assert torch.equal(chained, direct)


def test_the_toy_config_travels_in_the_checkpoint():
    """The 2-D model is built from the config stored with its weights, not from today's defaults."""
    entry = registry.get_model("ebm")
    state = torch.load(entry.checkpoint_path, map_location="cpu", weights_only=True)
    stored = state["config"]["toy_model"]
    assert set(stored) == {f.name for f in dataclasses.fields(ebm.ToyConfig)}
    other = ebm.Config(**{**state["config"], "toy_model": {**stored, "hidden": 2 * stored["hidden"]}})
    assert other.toy_model.hidden == 2 * stored["hidden"]
    model = registry.load("ebm")
    assert model.toy.config == ebm.ToyConfig(**stored)
    assert model.toy.energy[0].out_features == stored["hidden"]


def test_langevin_previews_the_start_and_each_frame_of_the_chain():
    previews: list = []
    result = run_demo("ebm-langevin", {"n": 1, "seed": 0, "steps": 4, "frames": 2}, preview=previews.append)
    frames = [a for a in result.artefacts if a.role == "frame"]
    assert (
        [a.name for a in previews]
        == [a.name for a in frames]
        == ["frame-000.png", "frame-001.png", "frame-002.png"]
    )
    assert [a.data for a in previews] == [a.data for a in frames]
