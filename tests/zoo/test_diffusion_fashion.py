"""DDPM on Fashion-MNIST (generation/zoo/diffusion.py, ``ddpm-fashion``): a tiny config trains on the real
28x28 data and ships the weights it chose on validation, the older digits checkpoint's keys still load, the
strided bound is an unbiased estimate of the full one, the 256-level decoder sums to one, and the shipped
checkpoint samples 28x28 levels 0..255 that depend on the label."""

import pytest
import torch

from generation.zoo import data, diffusion, registry
from generation.zoo.demos import generator_for, run_demo
from generation.zoo.train import seed_everything

pytestmark = pytest.mark.skipif(
    not (data.fashion_dir() / data.FASHION_FILES["train"][0]).exists(), reason="Fashion-MNIST not installed"
)


def _tiny(**overrides) -> diffusion.Config:
    base = dict(dataset="fashion", width=8, mults=(1, 2, 2), attention=True, timesteps=50, beta_start=1e-3,
                beta_end=0.2, steps=30, batch=16, lr=2e-3, warmup=5, ema_candidates=(0.9,), val_every=15,
                val_images=64)  # fmt: skip
    return diffusion.Config(**{**base, **overrides})


def test_tiny_fashion_fit_ships_the_weights_chosen_on_validation():
    torch.set_num_threads(1)
    cfg = _tiny()
    model = diffusion.build(cfg)
    metrics = diffusion.fit(model, cfg, generator=seed_everything(0), log=lambda step, values: None)
    loss = metrics["history"]["loss"]
    assert sum(loss[-5:]) / 5 < sum(loss[:5]) / 5 * 0.8
    chosen = metrics["chosen_on_validation"]
    assert metrics["history"]["val_step"] == [15, 30]
    assert chosen["weights"] in {"raw", "ema 0.999", "ema 0.9"}
    # The weights the model now holds score the validation loss recorded for the choice, the best of all.
    validation = diffusion._validation(cfg, diffusion.Schedule(cfg))
    assert validation.loss(model) == pytest.approx(chosen["val_loss_simple"], abs=1e-5)
    every = [v for key, values in metrics["history"].items() if key.startswith("val_loss") for v in values]
    assert chosen["val_loss_simple"] == pytest.approx(min(every), abs=1e-5)


def test_the_digits_checkpoint_keys_of_the_single_level_network_still_load():
    cfg = diffusion.Config(width=8)
    model = diffusion.build(cfg)
    legacy = {}
    for key, value in model.state_dict().items():
        for new, old in (("downs.0.", "down."), ("downsamples.0.", "downsample."),
                         ("upsamples.0.", "upsample."), ("ups.0.", "up.")):  # fmt: skip
            if key.startswith(new):
                key = old + key[len(new) :]
        legacy[key] = value.clone() + 0.01
    other = diffusion.build(cfg)
    other.load_state_dict(legacy)  # strict: every legacy key found its place
    x, t, y = torch.randn(2, 1, 8, 8), torch.tensor([3, 50]), torch.tensor([1, 10])
    assert not torch.allclose(other(x, t, y), model(x, t, y))
    assert torch.equal(other.downs[0].conv1.weight, legacy["down.conv1.weight"])


def test_the_discretised_decoder_over_256_levels_sums_to_one():
    levels = torch.arange(256).double() / 255 * 2 - 1
    mass = torch.exp(-diffusion.discretised_gaussian_nll(levels, torch.tensor(0.1), torch.tensor(0.01), 256))
    assert abs(mass.sum().item() - 1) < 1e-6


def test_the_strided_bound_is_an_unbiased_estimate_of_the_full_one():
    """Every term (t_stride 1) and one term per run of 5, weighted by 5, estimate the same bound: over many
    copies of two images their means agree within the Monte Carlo error."""
    torch.manual_seed(0)
    model = diffusion.build(_tiny(timesteps=16)).eval()
    x = data.fashion("val").images[:2].repeat(100, 1, 1, 1)
    full = diffusion.nll_bits_per_dim(model, x, t_stride=1, seed=1)
    strided = diffusion.nll_bits_per_dim(model, x, t_stride=5, seed=2)
    assert torch.isfinite(full).all() and torch.isfinite(strided).all()
    error = (full.var() / len(full) + strided.var() / len(strided)).sqrt()
    assert abs(full.mean() - strided.mean()) < 4 * error
    assert abs(full.mean() - strided.mean()) < 0.1 * full.mean()  # and the noise is small besides


def test_the_shipped_fashion_checkpoint_samples_28x28_levels_that_follow_the_label():
    torch.set_num_threads(1)
    model = registry.load("ddpm-fashion")
    assert (
        model.config.dataset == "fashion"
        and registry.read_manifest("ddpm-fashion")["checkpoint_bytes"] < 10e6
    )

    def draw(label: int | None, seed: int = 3) -> torch.Tensor:
        labels = None if label is None else torch.full((4,), label)
        return diffusion.sample(model, 4, generator=generator_for(seed), steps=10, labels=labels)

    trousers = draw(1)
    assert trousers.shape == (4, 1, 28, 28) and trousers.dtype == torch.long
    assert int(trousers.min()) >= 0 and int(trousers.max()) <= 255
    assert torch.equal(trousers, draw(1))
    bags = draw(8)
    assert (trousers.float() - bags.float()).abs().mean() > 10  # the label changes the picture, not a pixel
    bits = diffusion.nll_bits_per_dim(model, data.fashion("val").images[:4], t_stride=200)
    assert torch.isfinite(bits).all() and (bits > 0).all() and (bits < 8).all()


def test_the_fashion_demo_returns_samples_and_frames_for_a_garment():
    result = run_demo("ddpm-fashion", {"n": 2, "steps": 4, "frames": 2, "label": "Trouser", "guidance": 3.0})
    assert [a.role for a in result.artefacts] == ["result", "frame", "frame"]
    assert all(a.data.startswith(b"\x89PNG") for a in result.artefacts)
