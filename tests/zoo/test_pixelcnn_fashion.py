"""Gated PixelCNN on Fashion-MNIST (generation/zoo/pixelcnn.py, ``pixelcnn-fashion``): causality with the
label, the discretised logistic mixture is a distribution over the 256 levels, the incremental sampler draws
exactly what the full-recompute one draws, a few training steps on real data, the shipped checkpoint, the
class conditioning and the demo."""

import math

import pytest
import torch

from generation.zoo import data, pixelcnn, registry
from generation.zoo.demos import generator_for, get_demo, run_demo, validate_params
from generation.zoo.params import ParamError


@pytest.fixture(autouse=True)
def one_thread():
    """One torch thread, as the zoo trains: on a shared two-core machine more threads only thrash."""
    threads = torch.get_num_threads()
    torch.set_num_threads(1)
    yield
    torch.set_num_threads(threads)


def _tiny(**overrides) -> pixelcnn.PixelCNN:
    """A small class-conditional logistic-mixture PixelCNN sized like the shipped one (256 levels)."""
    torch.manual_seed(0)
    config = {**pixelcnn.FASHION, "channels": 8, "layers": 3, **overrides}
    return pixelcnn.build(pixelcnn.Config(**config)).eval()


def _dependence(model: pixelcnn.PixelCNN, i: int, j: int, labels=None) -> torch.Tensor:
    """(H, W) bool: which input pixels the head output of pixel (i, j) has a non-zero gradient from."""
    cfg = model.config
    x = torch.randint(0, 256, (1, 1, cfg.height, cfg.width)).float().requires_grad_(True)
    out, _ = model(x, labels=labels)
    (grad,) = torch.autograd.grad(out[0, :, i, j].sum(), x)
    return grad[0, 0] != 0


def test_masked_kernels_computed_on_their_unmasked_part_equal_the_masked_convolutions():
    model = _tiny()
    x = torch.randn(2, 8, 28, 28)
    for layer in model.layers:
        assert torch.allclose(layer.vertical(x), layer.v_conv(x), atol=1e-5)
        assert torch.allclose(layer.horizontal(x), layer.h_conv(x), atol=1e-5)
    first_in = torch.randn(2, 1, 28, 28)
    assert torch.allclose(model.first.vertical(first_in), model.first.v_conv(first_in), atol=1e-5)
    assert torch.allclose(model.first.horizontal(first_in), model.first.h_conv(first_in), atol=1e-5)


def test_with_a_label_no_output_depends_on_its_pixel_or_later_ones_and_there_is_no_blind_spot():
    model = _tiny(height=8, width=8, layers=5, first_kernel=5)
    label = torch.tensor([4])
    for i in range(8):
        for j in (0, 3, 7):
            seen = _dependence(model, i, j, label).flatten()
            position = i * 8 + j
            assert not seen[position:].any(), f"pixel ({i}, {j}) depends on itself or a later pixel"
            assert seen[:position].all(), f"pixel ({i}, {j}) has a blind spot"


def test_28x28_outputs_reach_exactly_receptive_rows_up():
    model = _tiny()
    reach = model.receptive_rows  # 3 + 3 rows for the tiny model
    seen = _dependence(model, 20, 14)
    rows = seen.any(dim=1).nonzero()[:, 0]
    assert int(rows.min()) == 20 - reach and int(rows.max()) == 20


def test_logistic_mixture_is_a_distribution_over_256_levels_and_the_nll_matches_it():
    cfg = pixelcnn.Config(**pixelcnn.FASHION)
    torch.manual_seed(1)
    out = torch.randn(6, 3 * cfg.mixtures) * 3  # wide and narrow components, means anywhere
    log_probs = pixelcnn.pixel_log_probs(out, cfg)  # (6, 256)
    assert torch.allclose(log_probs.exp().sum(-1), torch.ones(6), atol=1e-5)
    target = torch.tensor([0, 255, 1, 128, 254, 77])
    nll = pixelcnn.pixel_nll(out[:, :, None, None], target[:, None, None], cfg)[:, 0, 0]
    assert torch.allclose(nll, -log_probs.gather(1, target[:, None])[:, 0], atol=1e-5)


@pytest.mark.parametrize("labels", [None, torch.tensor([3, 9])])
def test_incremental_sampler_draws_the_same_pixels_as_the_full_recompute_sampler(labels):
    model = _tiny(layers=2)  # untrained: broad pixel distributions, so any difference in logits would show
    calls = []
    fast = pixelcnn.sample(
        model,
        2,
        generator=generator_for(11),
        labels=labels,
        temperature=0.9,
        progress=lambda *a: calls.append(a),
    )
    naive = pixelcnn.sample_naive(model, 2, generator=generator_for(11), labels=labels, temperature=0.9)
    assert fast.shape == (2, 1, 28, 28) and fast.dtype == torch.long
    assert torch.equal(fast, naive)
    assert len(set(fast.flatten().tolist())) > 20, "the test needs varied pixels to mean anything"
    assert calls == [(k, 784) for k in range(1, 785)]


def test_a_few_training_steps_on_fashion_mnist_run_and_report_validation_bits():
    tiny = {"channels": 8, "layers": 1, "batch": 4, "steps": 3, "eval_every": 3, "val_images": 8, "warmup": 1}
    model = pixelcnn.build(pixelcnn.Config(**{**pixelcnn.FASHION, **tiny}))
    logged = []
    metrics = pixelcnn.fit(
        model, model.config, generator=torch.Generator().manual_seed(0), log=lambda s, v: logged.append(s)
    )
    assert logged == [3] and metrics["best_step"] == 3
    assert 0 < metrics["val_bits_per_dim"] < 9
    assert math.isfinite(metrics["val_bits_per_dim_given_label"])
    assert len(metrics["history"]["train_bits_per_dim"]) == 3


def test_shipped_checkpoint_loads_samples_in_range_and_beats_uniform_levels():
    entry = registry.get_model("pixelcnn-fashion")
    manifest = registry.read_manifest("pixelcnn-fashion")
    assert entry.dataset == "fashion" and manifest["config"]["dataset"] == "fashion"
    assert registry.sha256_of(entry.checkpoint_path) == manifest["sha256"]
    assert entry.checkpoint_path.stat().st_size < 10 * 1024 * 1024
    model = registry.load("pixelcnn-fashion")
    a = pixelcnn.sample(model, 2, generator=generator_for(3))
    b = pixelcnn.sample(model, 2, generator=generator_for(3))
    assert a.shape == (2, 1, 28, 28) and a.dtype == torch.long
    assert int(a.min()) >= 0 and int(a.max()) <= 255
    assert torch.equal(a, b)
    test = data.fashion("test")
    bpd = pixelcnn.nll_bits_per_dim(model, test.images[:64]).mean().item()
    assert bpd < 5.0, f"test bits/dim {bpd:.3f} (uniform over 256 levels is 8)"
    assert manifest["metrics"]["training"]["val_bits_per_dim"] < 5.0


def test_the_label_matters_to_the_likelihood_and_to_the_samples():
    model = registry.load("pixelcnn-fashion")
    test = data.fashion("test")
    x, y = test.images[:32], test.labels[:32]
    right = pixelcnn.nll_bits_per_dim(model, x, y).mean().item()
    wrong = pixelcnn.nll_bits_per_dim(model, x, (y + 5) % 10).mean().item()
    assert right < wrong - 0.05, (right, wrong)
    trousers = pixelcnn.sample(model, 2, generator=generator_for(0), labels=torch.tensor([1, 1]))
    bags = pixelcnn.sample(model, 2, generator=generator_for(0), labels=torch.tensor([8, 8]))
    assert not torch.equal(trousers, bags)


def test_with_no_class_asked_for_the_model_is_its_joint_over_the_classes():
    model = registry.load("pixelcnn-fashion")
    test = data.fashion("test")
    x, y = test.images[:24], test.labels[:24]
    joint = pixelcnn.nll_bits_per_dim(model, x).double()
    per_class = torch.stack([pixelcnn.nll_bits_per_dim(model, x, torch.full((24,), c)) for c in range(10)])
    given = pixelcnn.nll_bits_per_dim(model, x, y).double()
    slack = math.log2(10) / 784  # -log2 p(y) per dimension
    # -log2 Σ_y p(y) P(x|y): never above the true label's term plus -log2 p(y), never below the best class's.
    assert (joint <= given + slack + 1e-4).all()
    assert (joint >= per_class.double().min(0).values - 1e-4).all()
    # The sampler draws the classes first, from the same generator: asking for them gives the same images.
    labels = pixelcnn.joint_labels(model, 3, None, generator_for(4))
    assert torch.equal(
        pixelcnn.sample(model, 3, generator=generator_for(4)),
        pixelcnn.sample(model, 3, generator=_after_labels(4, 3), labels=labels),
    )


def _after_labels(seed: int, n: int) -> torch.Generator:
    generator = generator_for(seed)
    torch.randint(0, 10, (n,), generator=generator)
    return generator


def test_demo_runs_with_a_label_and_rejects_an_unknown_one():
    result = run_demo("pixelcnn-fashion", {"seed": 1, "n": 2, "label": "Sneaker", "temperature": 0.8})
    assert result.artefacts[0].data.startswith(b"\x89PNG")
    assert result.metadata["shape"] == [2, 1, 28, 28]
    with pytest.raises(ParamError) as error:
        validate_params(get_demo("pixelcnn-fashion"), {"label": "Hat"})
    assert "label" in error.value.errors
