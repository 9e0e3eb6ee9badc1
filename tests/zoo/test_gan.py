"""DCGAN (generation/zoo/gan.py): a few training steps move the generator towards the data."""

import torch

from generation.zoo import data, gan
from generation.zoo.train import seed_everything


def test_gan_generator_moves_towards_the_data():
    torch.set_num_threads(1)
    cfg = gan.Config(width=8, latent=8, steps=60, batch=32, lr=1e-3)
    torch.manual_seed(0)  # the initial weights, whatever ran before this test
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
