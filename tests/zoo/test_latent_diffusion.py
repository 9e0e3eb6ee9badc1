"""Latent diffusion on Fashion-MNIST: the code standardisation, a few training steps, the bound's stratified
estimate against the full sum, and the shipped composition (guided classes, the demo's frames)."""

import math
from pathlib import Path

import pytest
import torch

from generation.zoo import classifier, data, latent_diffusion, registry, train, vae
from generation.zoo.demos import generator_for, get_demo, run_demo


@pytest.fixture(scope="module")
def shipped():
    return registry.load("latent-diffusion-fashion")


def test_codes_are_standardised_and_restored_exactly(shipped):
    z = torch.randn(5, shipped.config.latent) * 3 + 1
    x = shipped.standardise(z)
    assert x.shape == (5, shipped.config.latent, 1, 1)
    torch.testing.assert_close(shipped.unstandardise(x), z, rtol=0, atol=1e-5)


def test_the_shipped_standardisation_matches_the_training_codes(shipped):
    autoencoder = registry.load(shipped.config.vae)
    split = data.image_set("fashion").split("train")
    mu, logvar = latent_diffusion.encode(autoencoder, split.images[:4000], split.labels[:4000])
    drawn = latent_diffusion._draw(mu, logvar, torch.Generator().manual_seed(1))
    codes = shipped.standardise(drawn).flatten(1)
    assert codes.mean(0).abs().max() < 0.1
    assert (codes.std(0) - 1).abs().max() < 0.1


def test_a_few_training_steps_lower_the_validation_loss(tmp_path: Path):
    overrides = {"steps": 120, "hidden": 64, "blocks": 1, "batch": 128, "warmup": 10, "lr": 3e-3}
    overrides |= {"val_every": 60, "val_codes": 500}
    manifest = train.train("latent-diffusion-fashion", overrides=overrides, out_dir=tmp_path, quiet=True)
    history = manifest["loss_curves"]
    assert manifest["metrics"]["training"]["vae_sha256"] == registry.read_manifest("vae-fashion")["sha256"]
    chosen = manifest["metrics"]["training"]["chosen_on_validation"]
    assert chosen["val_loss_simple"] <= min(history["val_loss raw"][0], history["val_loss ema"][0])
    assert chosen["val_loss_simple"] < 1.0  # predicting zero noise scores exactly 1


def test_the_stratified_prior_bound_estimates_the_full_sum(shipped):
    autoencoder = registry.load(shipped.config.vae)
    images = data.image_set("fashion").split("val")
    x, y = images.images[:40], images.labels[:40]
    mu, _ = autoencoder.encode(x, y)

    def bound(seed: int, t_stride: int) -> torch.Tensor:
        generator = torch.Generator().manual_seed(seed)
        return latent_diffusion.prior_nats(shipped, mu, y, generator=generator, t_stride=t_stride)

    full = torch.stack([bound(s, 1) for s in range(3)])  # (draws, codes): every term, one draw of x_t each
    strided = torch.stack([bound(s, 10) for s in range(3, 6)])
    assert torch.isfinite(full).all() and torch.isfinite(strided).all()
    # Unbiased: the two means agree within four standard errors of the draws (the x_t draws are noisy in
    # both). And the stratified terms add little spread to what the x_t draws already have.
    error = (full.var() / full.numel() + strided.var() / strided.numel()).sqrt().item()
    assert abs(strided.mean().item() - full.mean().item()) < 4 * error
    assert (strided - strided.mean(0)).std() < 1.5 * (full - full.mean(0)).std()


def test_the_bound_is_a_bits_per_dim_figure_and_beats_the_vae_s_own_prior_on_these_images(shipped):
    x = data.image_set("fashion").split("test").images[:30]
    ours = latent_diffusion.nll_bits_per_dim(shipped, x)
    theirs = vae.nll_bits_per_dim(registry.load("vae-fashion"), x, samples=1)
    assert ours.shape == (30,) and torch.isfinite(ours).all()
    assert 2.0 < ours.mean().item() < 5.0
    assert ours.mean().item() < theirs.mean().item()  # the learnt prior fits the codes better than N(0, I)


def test_guided_samples_are_the_garments_asked_for(shipped):
    labels = torch.arange(10).repeat_interleave(4)
    images = latent_diffusion.sample(
        shipped, 40, generator=generator_for(0), labels=labels, steps=20, mode="mean"
    )
    assert images.shape == (40, 1, 28, 28) and images.dtype == torch.long
    assert images.min() >= 0 and images.max() <= 255
    _, probs = classifier.embed(images, dataset="fashion")
    agreement = (probs.argmax(1) == labels).float().mean().item()
    assert agreement >= 0.8, agreement


def test_sampling_is_seeded_and_any_class_draws_the_classes_from_the_seed(shipped):
    a = latent_diffusion.sample(shipped, 6, generator=generator_for(3), steps=5)
    b = latent_diffusion.sample(shipped, 6, generator=generator_for(3), steps=5)
    assert torch.equal(a, b)
    with pytest.raises(AssertionError, match="labels out of range"):
        latent_diffusion.sample(shipped, 2, generator=generator_for(0), labels=torch.tensor([0, 10]), steps=2)


def test_the_demo_returns_samples_and_decoded_frames_and_belongs_to_both_families():
    demo = get_demo("latent-diffusion-fashion")
    assert demo.families == ("diffusion-models", "vaes")
    result = run_demo(demo.slug, {"n": 4, "steps": 10, "frames": 3, "label": "Trouser"})
    roles = [a.role for a in result.artefacts]
    assert roles == ["result", "frame", "frame", "frame"]
    assert all(a.data.startswith(b"\x89PNG") for a in result.artefacts)
    assert result.metadata["network_evaluations"] == 10
    assert math.isclose(demo.param("guidance").default, latent_diffusion.GUIDANCE)
