"""The class-conditional DCGAN of Fashion-MNIST (generation/zoo/gan.py, ``dcgan-fashion``): the validation
proxy, training on real Fashion-MNIST keeps the best validation weights, the shipped checkpoint samples
28x28 levels by class, the demo."""

import time

import pytest
import torch

from generation.zoo import data, gan, registry
from generation.zoo.demos import generator_for, run_demo
from generation.zoo.train import seed_everything

FASHION = (data.fashion_dir() / data.FASHION_FILES["test"][0]).exists()
needs_fashion = pytest.mark.skipif(not FASHION, reason="Fashion-MNIST not installed")


@needs_fashion
def test_pixel_frechet_is_small_for_real_images_and_large_for_noise():
    train, val = data.fashion("train").images[:3000], data.fashion("val").images
    proxy = gan.PixelFrechet(train, val, 256, components=16)
    real = proxy.distance(data.fashion("train").images[3000:5000])
    noise = proxy.distance(torch.randint(0, 256, (2000, 1, 28, 28)))
    assert real < 5 and noise > 20 * real


@needs_fashion
def test_fit_on_fashion_keeps_the_best_validation_weights():
    torch.set_num_threads(1)
    cfg = gan.Config(dataset="fashion", latent=8, width=4, embed=4, steps=6, batch=16, eval_every=2)
    model = gan.build(cfg)
    metrics = gan.fit(model, cfg, generator=seed_everything(0), log=lambda step, values: None)
    scores = metrics["history"]["val_pixel_fd"]
    assert len(scores) == 3
    assert metrics["val_pixel_fd"] == pytest.approx(min(scores), abs=1e-3)
    assert metrics["best_step"] == 2 * (scores.index(min(scores)) + 1)
    images = gan.sample(model, 4, generator=generator_for(0))
    assert images.shape == (4, 1, 28, 28) and int(images.max()) <= 255


def test_shipped_checkpoint_samples_28x28_levels_by_class():
    model = registry.load("dcgan-fashion")
    manifest = registry.read_manifest("dcgan-fashion")
    assert manifest["config"]["dataset"] == "fashion"
    assert "val_pixel_fd" in manifest["metrics"]["training"]
    a = gan.sample(model, 8, generator=generator_for(3))
    assert a.shape == (8, 1, 28, 28) and a.dtype == torch.long
    assert int(a.min()) >= 0 and int(a.max()) <= 255
    assert torch.equal(a, gan.sample(model, 8, generator=generator_for(3)))
    trousers = gan.sample(model, 8, generator=generator_for(3), labels=torch.full((8,), 1))
    bags = gan.sample(model, 8, generator=generator_for(3), labels=torch.full((8,), 8))
    assert (trousers - bags).abs().float().mean() > 10  # the label changes the picture, not only the noise


def test_dcgan_fashion_demo_returns_a_png_quickly():
    run_demo("dcgan-fashion", {"n": 2})  # warm: the model is loaded once per process
    started = time.perf_counter()
    result = run_demo("dcgan-fashion", {"seed": 1, "label": "Trouser"})
    assert time.perf_counter() - started < 1.0  # target < 0.3 s on an idle machine; CI machines are shared
    assert result.artefacts[0].data[:8] == b"\x89PNG\r\n\x1a\n"
    assert result.metadata["shape"] == [16, 1, 28, 28]
