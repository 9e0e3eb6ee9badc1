"""VQ-VAE on Fashion-MNIST: the discretised logistic, the quantiser and its EMA codebook, a few training
steps on real images, and the shipped checkpoint (reconstructions, the factorised prior, the bound)."""

import math

import pytest
import torch

from generation.zoo import data, registry, vqvae
from generation.zoo.demos import generator_for


def _small(**overrides) -> vqvae.Config:
    return vqvae.Config(**{"codes": 16, "code_dim": 8, "hidden": 8, **overrides})


def test_the_discretised_logistic_is_a_distribution_over_the_256_levels():
    levels = torch.arange(256).view(1, 1, 1, 256)
    for mu, log_s in ((0.0, -3.0), (-0.99, -5.0), (1.3, -1.0), (0.2, -7.0)):
        logp = vqvae.discretised_logistic_log_prob(
            levels, torch.full((1, 1, 1, 256), mu), torch.full((1, 1, 1, 256), log_s)
        )
        assert torch.isfinite(logp).all()
        assert math.isclose(logp.exp().sum().item(), 1.0, abs_tol=1e-4), (mu, log_s)
    # A sharp logistic puts nearly all its mass on the level under its location.
    mu = data.to_unit(torch.tensor(100.0), 256).view(1, 1, 1, 1).expand(1, 1, 1, 256)
    logp = vqvae.discretised_logistic_log_prob(levels, mu, torch.full_like(mu, -7.0))
    assert logp.argmax().item() == 100 and logp.exp()[..., 100].item() > 0.9


def test_the_quantiser_picks_the_nearest_code_and_ema_moves_codes_towards_their_inputs():
    torch.manual_seed(0)
    model = vqvae.build(_small())
    z_e = torch.randn(4, 8, 7, 7)
    codes = model.quantise(z_e)
    flat = z_e.permute(0, 2, 3, 1).reshape(-1, 8)
    brute = torch.cdist(flat, model.codebook).argmin(1)
    assert torch.equal(codes.flatten(), brute)
    used = codes.flatten()[0].item()
    before = (model.codebook[used] - flat[codes.flatten() == used].mean(0)).norm()
    vqvae._ema_update(model, z_e, codes, torch.Generator().manual_seed(0))
    after = (model.codebook[used] - flat[codes.flatten() == used].mean(0)).norm()
    assert after < before


def test_dead_codes_are_restarted_on_encoder_outputs():
    model = vqvae.build(_small(dead_below=0.5))
    model.ema_count.fill_(0.1)  # nobody has used any code for a long time
    z_e = torch.randn(2, 8, 7, 7)
    restarted = vqvae._ema_update(model, z_e, torch.zeros(2, 7, 7, dtype=torch.long), torch.Generator())
    assert restarted >= 15  # every code but the one just used
    flat = z_e.permute(0, 2, 3, 1).reshape(-1, 8)
    assert torch.cdist(model.codebook[1:], flat).min(1).values.max() < 1e-5


def test_a_few_training_steps_on_fashion_lower_the_reconstruction_nll():
    torch.manual_seed(0)
    model = vqvae.build(_small())
    x = data.fashion("train").images[:32]
    opt = torch.optim.Adam(list(model.encoder.parameters()) + list(model.decoder.parameters()), lr=3e-3)
    first = None
    for _ in range(25):
        nll, commitment, z_e, codes = model(x)
        loss = nll.mean() / 784 + 0.25 * commitment
        if first is None:
            first = nll.mean().item()
        opt.zero_grad()
        loss.backward()
        opt.step()
        vqvae._ema_update(model, z_e.detach(), codes, torch.Generator().manual_seed(0))
    assert model(x)[0].mean().item() < 0.96 * first


def test_the_factorised_prior_is_normalised_and_class_conditional():
    torch.manual_seed(0)
    model = vqvae.build(_small())
    fashion = data.fashion("val")
    vqvae.fit_prior(model, fashion.images[:300], fashion.labels[:300])
    assert torch.allclose(model.prior_logits.exp().sum(-1), torch.ones(10, 49), atol=1e-5)
    assert math.isclose(model.class_log_freq.exp().sum().item(), 1.0, abs_tol=1e-5)


# --- the shipped checkpoint --------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def shipped():
    entry = registry.get_model("vqvae-fashion")
    if not entry.checkpoint_path.exists():
        pytest.skip("vqvae-fashion is not trained yet")
    assert entry.checkpoint_path.stat().st_size < 10 * 1024 * 1024
    return registry.load("vqvae-fashion")  # checks the hash against the manifest


def test_shipped_model_reconstructs_held_out_images_and_uses_its_codebook(shipped):
    test = data.fashion("test").images[:200]
    recon = vqvae.decode_codes(shipped, shipped.codes_of(test))
    assert recon.shape == test.shape and recon.dtype == torch.long
    assert recon.min() >= 0 and recon.max() <= 255
    # Mean absolute error in levels: a blurry or broken decoder is far above this.
    assert (recon - test).abs().float().mean().item() < 25
    assert shipped.codes_of(test).unique().numel() > 32  # no collapse onto a handful of codes
    bits = vqvae.recon_bits_per_dim(shipped, test)
    assert torch.isfinite(bits).all() and bits.mean().item() < 5.0


def test_shipped_model_bound_adds_the_prior_and_samples_follow_the_label(shipped):
    test = data.fashion("test").images[:100]
    bound = vqvae.nll_bits_per_dim(shipped, test)
    assert torch.isfinite(bound).all() and (bound > vqvae.recon_bits_per_dim(shipped, test)).all()
    a = vqvae.sample(shipped, 8, generator=generator_for(3))
    assert a.shape == (8, 1, 28, 28) and a.min() >= 0 and a.max() <= 255
    assert torch.equal(a, vqvae.sample(shipped, 8, generator=generator_for(3)))
    trousers = vqvae.sample(shipped, 8, generator=generator_for(3), labels=torch.full((8,), 1))
    bags = vqvae.sample(shipped, 8, generator=generator_for(3), labels=torch.full((8,), 8))
    assert not torch.equal(trousers, bags)
