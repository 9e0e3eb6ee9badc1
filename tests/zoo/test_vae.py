"""The VAE (generation/zoo/vae.py): training lowers the loss, the reported bound is the ELBO (beta = 1),
reconstructions pair test digits, and the shipped bound beats the independent-pixel baseline."""

import math

import pytest
import torch

from generation.zoo import evaluate, vae
from generation.zoo.demos import run_demo
from generation.zoo.train import seed_everything


def _mean(values):
    return sum(values) / len(values)


def test_vae_loss_falls():
    torch.set_num_threads(1)
    cfg = vae.Config(width=8, latent=4, steps=60, batch=32)
    generator = seed_everything(0)
    model = vae.build(cfg)
    loss = vae.fit(model, cfg, generator=generator, log=lambda step, values: None)["history"]["loss"]
    assert _mean(loss[-10:]) < _mean(loss[:10]) - 0.3


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


def test_vae_reconstructions_pair_test_digits_with_their_reconstructions():
    result = run_demo("vae-reconstructions", {"n": 3, "first": 445})
    assert result.artefacts[0].data[:8] == b"\x89PNG\r\n\x1a\n"
    assert result.metadata["test_indices"] == [445, 447]


def test_vae_bound_beats_the_independent_pixel_baseline_on_bits_per_dim():
    assert (
        evaluate.stored_row("vae")["bits_per_dim"] < evaluate.stored_row("independent-pixels")["bits_per_dim"]
    )


def test_vae_fit_keeps_the_best_validation_weights_and_fits_a_mixture_prior():
    torch.set_num_threads(1)
    cfg = vae.Config(width=8, latent=4, steps=40, batch=32, eval_every=10, mixture=3)
    model = vae.build(cfg)
    metrics = vae.fit(model, cfg, generator=seed_everything(0), log=lambda step, values: None)
    scores = metrics["history"]["val_bpd"]
    assert len(scores) == 4
    assert metrics["best_step"] == 10 * (scores.index(min(scores)) + 1)
    assert metrics["val_one_sample_bits_per_dim"] == round(min(scores), 4)
    assert vae.selection_bits_per_dim(model, vae.data.digits("val")) == pytest.approx(min(scores), abs=1e-5)
    # The mixture was fitted to the encoded training digits and lives in the state (saved with the weights).
    state = model.state_dict()
    assert state["prior_means"].shape == (3, 4) and state["prior_weights"].sum().item() == pytest.approx(1.0)
    assert not torch.equal(state["prior_stds"], torch.ones(3, 4))
    mixture = vae.sample(model, 6, generator=torch.Generator().manual_seed(0), prior="mixture")
    standard = vae.sample(model, 6, generator=torch.Generator().manual_seed(0), prior="standard")
    assert mixture.shape == standard.shape == (6, 1, 8, 8) and not torch.equal(mixture, standard)


def test_mixture_draws_follow_the_stored_components():
    cfg = vae.Config(width=8, latent=2, mixture=2)
    model = vae.build(cfg)
    with torch.no_grad():
        model.prior_weights.copy_(torch.tensor([0.0, 1.0]))
        model.prior_means.copy_(torch.tensor([[-50.0, -50.0], [5.0, -3.0]]))
        model.prior_stds.copy_(torch.tensor([[1.0, 1.0], [0.1, 0.2]]))
    z = vae.draw_latents(
        model, 4000, generator=torch.Generator().manual_seed(0), prior="mixture", temperature=0.5
    )
    assert torch.allclose(z.mean(0), torch.tensor([5.0, -3.0]), atol=0.01)
    assert torch.allclose(z.std(0), torch.tensor([0.05, 0.1]), rtol=0.05)
