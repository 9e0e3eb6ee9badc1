"""Gated PixelCNN: the causal mask (no future pixel, no blind spot), training, checkpoint, demo."""

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


def _dependence(model: pixelcnn.PixelCNN, i: int, j: int) -> torch.Tensor:
    """(64,) bool: which input pixels the 17 logits of pixel (i, j) have a non-zero gradient from."""
    x = torch.randint(0, 17, (1, 1, 8, 8)).float().requires_grad_(True)
    logits, _ = model(x)
    (grad,) = torch.autograd.grad(logits[0, :, i, j].sum(), x)
    return grad[0, 0].flatten() != 0


def test_output_never_depends_on_the_pixel_itself_or_later_ones_and_sees_all_earlier():
    torch.manual_seed(0)
    model = pixelcnn.build(pixelcnn.Config(channels=8, layers=5))
    # Every row, at its first, a middle and its last column: blind spots show up right of the target.
    for i in range(8):
        for j in (0, 3, 7):
            seen = _dependence(model, i, j)
            position = i * 8 + j
            assert not seen[position:].any(), f"pixel ({i}, {j}) depends on itself or a later pixel"
            # No blind spot: every earlier pixel reaches the output (the original PixelCNN misses some).
            assert seen[:position].all(), (
                f"pixel ({i}, {j}) has a blind spot at {(~seen[:position]).nonzero()}"
            )


def test_a_few_training_steps_lower_the_loss():
    torch.manual_seed(0)
    model = pixelcnn.build(pixelcnn.Config(channels=8, layers=2))
    x = data.digits("train").images[:32]
    opt = torch.optim.Adam(model.parameters(), lr=3e-3)
    first = model(x, x)[1].item()
    for _ in range(15):
        _, loss = model(x, x)
        opt.zero_grad()
        loss.backward()
        opt.step()
    assert model(x, x)[1].item() < first - 0.3


def test_shipped_checkpoint_matches_its_manifest_and_beats_independent_pixels():
    entry = registry.get_model("pixelcnn")
    manifest = registry.read_manifest("pixelcnn")
    assert registry.sha256_of(entry.checkpoint_path) == manifest["sha256"]
    assert entry.checkpoint_path.stat().st_size <= 5 * 1024 * 1024
    model = registry.load("pixelcnn")
    bpd = pixelcnn.nll_bits_per_dim(model, data.digits("test").images).mean().item()
    assert bpd < 2.2, f"test bits/dim {bpd:.3f}; the independent-pixel baseline is about 2.4"


def test_sampling_is_sequential_deterministic_and_in_range():
    model = registry.load("pixelcnn")
    calls = []
    a = pixelcnn.sample(model, 2, generator=generator_for(7), progress=lambda s, t: calls.append((s, t)))
    b = pixelcnn.sample(model, 2, generator=generator_for(7))
    assert a.shape == (2, 1, 8, 8) and a.dtype == torch.long
    assert a.min() >= 0 and a.max() <= 16
    assert torch.equal(a, b)
    assert calls == [(k, 64) for k in range(1, 65)], "progress must be reported once per pixel"


def test_demo_runs_and_rejects_a_bad_temperature():
    result = run_demo("pixelcnn-digits", {"seed": 1, "n": 2, "temperature": 0.7})
    assert result.artefacts[0].data.startswith(b"\x89PNG")
    with pytest.raises(ParamError) as error:
        validate_params(get_demo("pixelcnn-digits"), {"temperature": 0})
    assert "temperature" in error.value.errors
