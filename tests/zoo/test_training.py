"""A few steps on tiny configs lower each family's loss (the full runs are in checkpoints/*.json)."""

import math

import torch

from generation.zoo import diffusion, gan, vae
from generation.zoo.train import seed_everything


def _fit(module, **config):
    torch.set_num_threads(1)
    cfg = module.Config(**config)
    generator = seed_everything(0)
    model = module.build(cfg)
    return module.fit(model, cfg, generator=generator, log=lambda step, values: None)["history"]


def _mean(values):
    return sum(values) / len(values)


def test_vae_loss_falls():
    loss = _fit(vae, width=8, latent=4, steps=60, batch=32)["loss"]
    assert _mean(loss[-10:]) < _mean(loss[:10]) - 0.3


def test_diffusion_loss_falls():
    loss = _fit(diffusion, width=8, steps=60, batch=32, timesteps=20)["loss"]
    assert _mean(loss[-10:]) < _mean(loss[:10]) * 0.8


def test_gan_generator_moves_towards_the_data():
    from generation.zoo import data

    torch.set_num_threads(1)
    cfg = gan.Config(width=8, latent=8, steps=60, batch=32, lr=1e-3)
    model = gan.build(cfg)
    target = data.to_unit(data.digits("train").images).mean(0)  # (1, 8, 8) mean image of the data

    def gap() -> float:
        model.eval()
        with torch.no_grad():
            fake = model.generator(torch.randn(256, cfg.latent, generator=torch.Generator().manual_seed(1)))
        return (fake.mean(0) - target).abs().mean().item()

    before = gap()
    gan.fit(model, cfg, generator=seed_everything(0), log=lambda step, values: None)
    assert gap() < before * 0.7


def test_vae_bound_is_computed_with_beta_one_and_is_reproducible():
    cfg = vae.Config(width=8, latent=4, beta=4.0)
    model = vae.build(cfg).eval()
    x = torch.randint(0, 17, (5, 1, 8, 8))
    a, b = vae.nll_bits_per_dim(model, x), vae.nll_bits_per_dim(model, x)
    assert torch.equal(a, b) and a.shape == (5,)
    generator, total = torch.Generator().manual_seed(0), torch.zeros(5)
    with torch.inference_mode():
        for _ in range(8):
            _, (rec, kl) = model(x, generator)
            total += rec + kl  # β = 1 whatever the config says: the ELBO, not the β-VAE objective
    assert torch.allclose(a, total / 8 / 64 / math.log(2))


def test_ddim_with_all_steps_and_eta_one_matches_the_ddpm_noise_level():
    schedule = diffusion.Schedule(diffusion.Config(timesteps=10))
    zero_eps = lambda x, i: torch.zeros_like(x)  # noqa: E731
    x = torch.ones(3, 1, 8, 8)
    out = diffusion.ddim_sample(zero_eps, schedule, x, steps=10, eta=0.0, generator=torch.Generator())
    # with ε̂ = 0 the predicted x_0 is x_t / sqrt(ᾱ_t), clamped to [-1, 1]
    assert torch.allclose(out, torch.ones_like(out))


def test_discretised_decoder_gives_probabilities_that_sum_to_one():
    levels = torch.arange(17).float() / 8 - 1  # every level in [-1, 1]
    mean, std = torch.tensor(0.03), torch.tensor(0.2)
    mass = torch.exp(-diffusion.discretised_gaussian_nll(levels, mean, std))
    assert abs(mass.sum().item() - 1) < 1e-5
