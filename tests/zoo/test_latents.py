"""The latent explorer's torch side (generation/zoo/latents.py) on the shipped 8x8 digits checkpoints:
interpolation endpoints are the inputs' own samples, inversions round-trip within stated errors, directions
are what they say, and the nearest training image of a training image is itself."""

import pytest
import torch

from generation.zoo import data, diffusion, flows, gan, latents, vae
from generation.zoo.demos import generator_for
from generation.zoo.registry import load

DIGITS = ("vae", "dcgan", "realnvp", "ddpm")
# Stated round-trip errors of an inverted test image, in grey levels (0..16), mean absolute over pixels.
VAE_RECONSTRUCTION_MAE = 1.2  # measured 0.89 over the 447 test digits: a VAE's code is lossy
DDIM_INVERSION_MAE = 0.6  # measured 0.34 over the first 100 test digits (20 DDIM steps each way)
FLOW_PREIMAGE_ATOL = 1e-4  # the flow is a bijection: exact up to float32 round-off (measured 2e-6)


@pytest.fixture(autouse=True)
def one_thread():
    threads = torch.get_num_threads()
    torch.set_num_threads(1)
    yield
    torch.set_num_threads(threads)


def own_sample(name: str, seed: int) -> torch.Tensor:
    """What the model's own sampler makes from a seed (the deterministic variant the explorer decodes)."""
    model = load(name)
    g = generator_for(seed)
    if name == "vae":
        return vae.sample(model, 1, generator=g, mode="mean")  # its default prior: the mixture, if fitted
    if name == "dcgan":
        return gan.sample(model, 1, generator=g)
    if name == "realnvp":
        return flows.sample(model, 1, generator=g)
    return diffusion.sample(model, 1, generator=g, sampler="ddim", steps=latents.DDIM_STEPS, eta=0.0)


@pytest.mark.parametrize("name", DIGITS)
def test_the_ends_of_a_line_between_two_seeds_are_the_seeds_own_samples(name):
    space = latents.space(name)
    line = {"mode": "line", "a": "seed:3", "b": "seed:11"}
    first = space.decode(space.latent_of({**line, "t": 0.0})[None])
    last = space.decode(space.latent_of({**line, "t": 1.0})[None])
    assert torch.equal(first, own_sample(name, 3))
    assert torch.equal(last, own_sample(name, 11))
    middle = space.decode(space.latent_of({**line, "t": 0.5})[None])
    assert not torch.equal(middle, first) and not torch.equal(middle, last)


@pytest.mark.parametrize("name", ("vae", "realnvp", "ddpm"))
def test_the_ends_of_a_line_between_two_inverted_test_images_are_their_reconstructions(name):
    space = latents.space(name)
    line = {"mode": "line", "a": "test:4", "b": "class:2"}
    first = space.decode(space.latent_of({**line, "t": 0.0})[None])
    assert torch.equal(first, space.decode(space.encode(space.test_image(4))))
    last = space.decode(space.latent_of({**line, "t": 1.0})[None])
    assert torch.equal(last, space.decode(space.stats().class_means[2][None]))


def test_lerp_and_slerp_hit_their_ends_exactly_and_slerp_keeps_the_norm():
    g = generator_for(0)
    a, b = torch.randn(64, generator=g), torch.randn(64, generator=g)
    for interpolate in (latents.lerp, latents.slerp):
        assert torch.equal(interpolate(a, b, 0.0), a) and torch.equal(interpolate(a, b, 1.0), b)
    b = b / b.norm() * a.norm()
    for t in (0.25, 0.5, 0.75):
        assert latents.slerp(a, b, t).norm() == pytest.approx(a.norm().item(), rel=1e-5)
        assert latents.lerp(a, b, t).norm() < a.norm()  # a straight line cuts inside the sphere
    assert latents.space("ddpm").spherical and not latents.space("vae").spherical


def test_vae_inversion_reconstructs_test_digits_within_the_stated_error():
    space = latents.space("vae")
    test = data.digits("test").images
    reconstructed = space.decode(space.encode(test))
    error = (reconstructed - test).abs().float().mean().item()
    assert error < VAE_RECONSTRUCTION_MAE
    # Not just any digit: each reconstruction is far closer to its own input than a prior draw is.
    prior = space.decode(torch.stack([space.prior(s) for s in range(len(test))]))
    assert error < 0.5 * (prior - test).abs().float().mean().item()


def test_flow_inversion_is_exact():
    space = latents.space("realnvp")
    test = data.digits("test").images
    h = space.flow_preimage(test)
    z = space.encode(test)
    back = space.model.flow.inverse(z.view(-1, 1, 8, 8))
    assert (back - h).abs().max().item() < FLOW_PREIMAGE_ATOL
    assert torch.equal(space.decode(z), test)  # and every level comes back


def test_ddim_inversion_round_trips_within_the_stated_error():
    space = latents.space("ddpm")
    test = data.digits("test").images[:40]
    noise = space.encode(test)
    # The inverted noise looks like noise (mean ~0, std ~1), not like the digit.
    assert abs(noise.mean().item()) < 0.3 and 0.6 < noise.std().item() < 1.4
    error = (space.decode(noise) - test).abs().float().mean().item()
    assert error < DDIM_INVERSION_MAE


def test_a_gan_has_no_encoder_but_has_class_latents_and_attribute_vectors():
    space = latents.space("dcgan")
    with pytest.raises(latents.Unsupported, match="no encoder"):
        space.source("test:0")
    with pytest.raises(latents.Unsupported, match="principal"):
        space.direction("pc:0")
    means = space.stats().class_means
    assert means.shape == (10, space.latent_dim)
    assert torch.allclose(means.norm(dim=1), torch.full((10,), space.latent_dim**0.5), rtol=1e-4)
    assert torch.allclose(space.direction("class:1-7"), means[7] - means[1])


def test_principal_directions_are_orthonormal_and_scaled_by_their_spread():
    space = latents.space("vae")
    stats = space.stats()
    gram = stats.components @ stats.components.T
    assert torch.allclose(gram, torch.eye(len(gram)), atol=1e-4)
    assert (stats.stds[:-1] >= stats.stds[1:]).all()
    assert space.direction("pc:2").norm().item() == pytest.approx(stats.stds[2].item(), rel=1e-4)
    grid = {"mode": "grid", "a": "test:0", "d1": "pc:0", "d2": "pc:1", "u": 1.5, "v": -0.5}
    expected = space.source("test:0") + 1.5 * space.direction("pc:0") - 0.5 * space.direction("pc:1")
    assert torch.allclose(space.latent_of(grid), expected)


def test_the_nearest_training_image_of_a_training_image_is_itself():
    space = latents.space("dcgan")
    train, labels, _ = space.train()
    [near] = space.nearest(train[17:18])
    assert near == {"index": 17, "label": int(labels[17]), "rms": 0.0}


def test_a_frame_shows_the_decoded_latent_its_nearest_training_image_and_the_inverted_test_image():
    space = latents.space("realnvp")
    png, meta = space.frame({"mode": "grid", "a": "test:9", "d1": "pc:0", "d2": "pc:1", "u": 0.0, "v": 0.0})
    assert png.startswith(b"\x89PNG")
    assert meta["panels"] == ["frame", "nearest training image", "test image 9"]
    assert set(meta["nearest"]) == {"index", "label", "rms", "class"}
    again, _ = space.frame({"mode": "grid", "a": "test:9", "d1": "pc:0", "d2": "pc:1", "u": 0.0, "v": 0.0})
    assert again == png  # deterministic bytes: a content-addressed frame is the same whoever makes it


# --- the 28x28 Fashion-MNIST kinds, on small untrained models (the shipped checkpoints are tested below) ---


def small_space(kind: str) -> latents.Space:
    from generation.zoo import realnvp

    torch.manual_seed(0)
    if kind == "vae":
        model = vae.build(vae.Config(dataset="fashion", width=8, hidden=32, embed=4, latent=6))
    elif kind == "gan":
        model = gan.build(gan.Config(dataset="fashion", width=8, latent=6))
    else:
        model = realnvp.build(realnvp.Config(**{**realnvp.FASHION_CONFIG, "hidden": 8, "steps_per_scale": 2}))
        with torch.no_grad():  # leave the identity the flow starts as
            for parameter in model.parameters():
                parameter.add_(0.02 * torch.randn(parameter.shape))
    return latents.make_space(f"small-{kind}", model.eval(), images=data.image_set("fashion"), kind=kind)


@pytest.mark.parametrize("kind", ("vae", "gan", "flow"))
def test_a_fashion_seed_latent_decodes_to_the_models_own_sample_of_that_seed(kind):
    space = small_space(kind)
    model = space.model
    for seed in (0, 7):
        g = generator_for(seed)
        if kind == "vae":
            own = vae.sample(model, 1, generator=g, mode="mean")
        elif kind == "gan":
            own = gan.sample(model, 1, generator=g)
        else:
            own = flows.sample(model, 1, generator=g)
        assert torch.equal(space.decode(space.prior(seed)[None]), own)


@pytest.mark.parametrize("kind", ("vae", "gan"))
def test_a_conditional_models_latent_carries_its_label_so_two_classes_interpolate(kind):
    space = small_space(kind)
    assert space.conditional and space.latent_dim == space.code_dim + space._label_embedding().embedding_dim
    z = space.prior(3)[: space.code_dim]
    labels = torch.tensor([4])
    if kind == "vae":
        direct = vae.decode(
            space.model, z[None], mode="mean", generator=generator_for(0), device="cpu", labels=labels
        )
    else:
        direct = gan.decode(space.model, z[None], "cpu", labels=labels)
    assert torch.equal(space.decode(space._with_label(z, 4)[None]), direct)  # the hook is the label
    a, b = space._with_label(z, 1), space._with_label(z, 7)
    middle = space.decode(space.interpolate(a, b, 0.5)[None])
    ends = space.decode(torch.stack([a, b]))
    assert not torch.equal(middle[0], ends[0]) and not torch.equal(middle[0], ends[1])
    assert space._label_embedding()._forward_hooks == {}  # the hook is removed after each decode


def test_a_conditional_vae_inverts_a_test_image_with_its_own_label():
    space = small_space("vae")
    x, y = space.test_image(3), space.test_label(3)
    mu, _ = space.model.encode(x, y)
    direct = vae.decode(space.model, mu, mode="mean", generator=generator_for(0), device="cpu", labels=y)
    assert torch.equal(space.decode(space.source("test:3")[None]), direct)


def test_the_multi_scale_flow_inverts_a_fashion_test_image_exactly():
    space = small_space("flow")
    x = data.fashion("test").images[:8]
    assert torch.equal(space.decode(space.encode(x)), x)


@pytest.mark.parametrize("name", ("vae-fashion", "dcgan-fashion", "realnvp-fashion", "ddpm-fashion"))
def test_a_shipped_fashion_model_explores(name):
    from generation.zoo import registry

    known = {model.name: model for model in registry.list_models()}
    if name not in known or not known[name].checkpoint_path.exists():
        pytest.skip(f"{name} has not shipped")
    space = latents.space(name)
    png, meta = space.frame({"mode": "line", "a": "seed:0", "b": "class:3", "t": 0.5})
    assert png.startswith(b"\x89PNG") and meta["nearest"]["class"] in data.FASHION_CLASSES
    first = space.decode(space.latent_of({"mode": "line", "a": "seed:2", "b": "seed:3", "t": 0.0})[None])
    assert first.shape == (1, 1, 28, 28)
    if space.invertible:
        png, meta = space.frame(
            {"mode": "grid", "a": "test:1", "d1": "pc:0", "d2": "class:0-9", "u": 1.0, "v": 0.0}
        )
        assert meta["panels"][-1] == "test image 1"


def test_an_overview_shows_the_whole_line_or_grid_with_each_frames_nearest_training_image():
    import io

    from PIL import Image

    space = latents.space("vae")
    png, meta = space.overview({"mode": "line", "a": "seed:1", "b": "test:4"})
    assert meta["t"][0] == 0.0 and meta["t"][-1] == 1.0 and len(meta["nearest"]) == latents.OVERVIEW_LINE
    assert Image.open(io.BytesIO(png)).size == (latents.OVERVIEW_LINE * 66 + 2, 2 * 66 + 2)
    png, meta = space.overview({"mode": "grid", "a": "test:4", "d1": "pc:0", "d2": "class:1-7"})
    k = len(latents.OVERVIEW_GRID)
    assert len(meta["nearest"]) == k * k and Image.open(io.BytesIO(png)).size == (2 * k * 66 + 2, k * 66 + 2)
    # The grid's centre is the inverted test image itself.
    centre = space.decode(space.source("test:4")[None])
    [near] = space.nearest(centre)
    assert meta["nearest"][k * k // 2] == near


def test_the_indexed_nearest_image_search_is_exact():
    """Fashion-MNIST's 55,000 training images are searched through a projection shortlist; whatever it
    answers is the exact nearest image (a shortlist that cannot prove it falls back to the full search)."""
    space = small_space("gan")
    _, _, flat, norms, index = space._train or latents._training_set(space.images)
    assert index is not None
    queries = data.fashion("test").images[:30]
    found = space.nearest(queries)
    q = queries.flatten(1).float() / 255
    for k, near in enumerate(found):
        d2 = norms - 2 * flat @ q[k] + q[k] @ q[k]
        assert near["rms"] == pytest.approx((float(d2.min().clamp(min=0)) / flat.shape[1]) ** 0.5, abs=1e-4)
        assert float(d2[near["index"]]) == pytest.approx(float(d2.min()), abs=1e-3)
