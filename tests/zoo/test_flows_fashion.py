"""The multi-scale RealNVP of Fashion-MNIST (generation/zoo/realnvp.py, ``realnvp-fashion``): the bijection
and its log-determinant, the class-conditional prior and its marginal, training on real Fashion-MNIST, the
shipped checkpoint, the demo."""

import io
import math

import pytest
import torch
from PIL import Image

from generation.zoo import classifier, data, demos, flows, realnvp, registry
from generation.zoo.demos import generator_for
from generation.zoo.params import ParamError

pytestmark = pytest.mark.skipif(
    not (data.fashion_dir() / data.FASHION_FILES["test"][0]).exists(), reason="Fashion-MNIST not installed"
)


def _tiny(**overrides) -> realnvp.Config:
    values = dict(
        dataset="fashion",
        dequantisation="uniform",
        scales=2,
        steps_per_scale=2,
        hidden=8,
        coupling_net="glow",
        classes=10,
    )
    return realnvp.Config(**{**values, **overrides})


def _perturbed_flow(config: realnvp.Config) -> realnvp.MultiScaleRealNVP:
    torch.manual_seed(0)
    flow = realnvp.MultiScaleRealNVP(config).double()
    with torch.no_grad():
        for p in flow.parameters():
            p.add_(0.3 * torch.randn_like(p))
    return flow


def test_config_takes_its_size_from_the_data_set_and_digits_stay_8x8():
    assert (realnvp.Config(dataset="fashion").height, realnvp.Config(dataset="fashion").width) == (28, 28)
    assert (realnvp.Config().height, realnvp.Config().width) == (8, 8)
    assert realnvp.Config(dataset="fashion").levels == 256


def test_multiscale_inverse_undoes_forward_and_logdet_matches_a_numerical_jacobian():
    # 4x4 images: squeeze to 4x2x2, factor out 2x2x2, squeeze to 8x1x1; 16 dimensions.
    flow = _perturbed_flow(_tiny(height=4, width=4))
    x = torch.randn(3, 1, 4, 4, dtype=torch.float64)
    z, logdet = flow(x)
    assert z.shape == (3, 16) and not torch.allclose(z, x.flatten(1))
    assert torch.allclose(flow.inverse(z), x, atol=1e-10)
    for row in range(3):
        jacobian = torch.autograd.functional.jacobian(
            lambda v: flow(v.view(1, 1, 4, 4))[0][0], x[row].flatten()
        )
        assert logdet[row].item() == pytest.approx(torch.linalg.slogdet(jacobian)[1].item(), abs=1e-8)


def test_marginal_is_the_mean_of_the_class_conditionals_and_the_prior_is_normalised():
    flow = _perturbed_flow(_tiny(height=4, width=4))
    x = torch.randn(5, 1, 4, 4, dtype=torch.float64)
    per_class = torch.stack(
        [flow.log_prob(x, torch.full((5,), c, dtype=torch.long)) for c in range(10)], dim=1
    )
    assert not torch.allclose(per_class[:, 0], per_class[:, 1]), "the label should change the density"
    marginal = torch.logsumexp(per_class, dim=1) - math.log(10)
    assert torch.allclose(flow.log_prob(x), marginal, atol=1e-10)
    # The class table of the last latent is a proper Gaussian: one latent integrated by Monte Carlo.
    prior = flow.priors[-1]
    gen = torch.Generator().manual_seed(0)
    labels = torch.full((20000,), 3, dtype=torch.long)
    draws = prior.sample(None, labels, 20000, 1.0, gen)
    mean, log_scale = prior.stats(None, labels[:1], 1)
    assert draws.mean(0).double().sub(mean[0, 0]).abs().max() < 0.05
    assert draws.std(0).double().log().sub(log_scale[0, 0]).abs().max() < 0.05


def test_temperature_zero_is_the_class_mean_and_the_label_changes_it():
    model = flows.DigitFlow(_tiny(), _perturbed_flow(_tiny()).float())
    model.eval()
    shirts = torch.full((2,), 6, dtype=torch.long)
    a = model.sample(2, generator=generator_for(0), temperature=0.0, labels=shirts)
    b = model.sample(2, generator=generator_for(1), temperature=0.0, labels=shirts)
    boots = model.sample(2, generator=generator_for(0), temperature=0.0, labels=torch.full((2,), 9))
    assert a.shape == (2, 1, 28, 28) and a.dtype == torch.long
    assert torch.equal(a, b) and torch.equal(a[0], a[1])
    assert not torch.equal(a, boots)


def test_a_few_training_steps_on_fashion_lower_the_bound():
    torch.manual_seed(0)
    model = realnvp.build(_tiny())
    val = data.fashion("val")  # real images; the 55,000-image training split is slow to load in a test
    x, y = val.images[:32], val.labels[:32]
    opt = torch.optim.Adam(model.parameters(), lr=3e-3)
    model.train()
    first = model(x, y)[1].item()  # also initialises the actnorms from this batch
    for _ in range(15):
        _, loss = model(x, y)
        opt.zero_grad()
        loss.backward()
        opt.step()
    assert math.isfinite(first)
    assert model(x, y)[1].item() < first - 0.3


def test_fit_runs_on_real_fashion_and_reports_validation_bits_per_dim(monkeypatch):
    val = data.fashion("val")
    train_part = data.Digits(images=val.images[:256], labels=val.labels[:256])
    val_part = data.Digits(images=val.images[256:320], labels=val.labels[256:320])
    monkeypatch.setattr(data.ImageSet, "split", lambda self, s: val_part if s == "val" else train_part)
    config = _tiny(steps=4, eval_every=2, batch=8, warmup=2)
    model = realnvp.build(config)
    logged = []
    metrics = realnvp.fit(
        model, config, generator=torch.Generator().manual_seed(0), log=lambda s, v: logged.append(s)
    )
    assert logged == [2, 4]
    assert metrics["best_step"] in (2, 4) and 0 < metrics["val_bits_per_dim"] < 9
    assert metrics["val_bits_per_dim_given_label"] < metrics["val_bits_per_dim"] + 0.01
    assert len(metrics["history"]["train_bits_per_dim"]) == 4


# ----------------------------------------------------------------------------- the shipped checkpoint


def test_shipped_fashion_flow_loads_samples_and_scores():
    entry = registry.get_model("realnvp-fashion")
    manifest = registry.read_manifest("realnvp-fashion")
    assert entry.dataset == "fashion" and entry.likelihood == "bound"
    assert entry.checkpoint_path.stat().st_size < 10 * 1024 * 1024
    assert registry.sha256_of(entry.checkpoint_path) == manifest["sha256"]
    model = registry.load("realnvp-fashion")
    a = realnvp.sample(model, 6, generator=generator_for(3))
    b = realnvp.sample(model, 6, generator=generator_for(3))
    assert a.shape == (6, 1, 28, 28) and a.dtype == torch.long
    assert int(a.min()) >= 0 and int(a.max()) <= 255 and torch.equal(a, b)
    labels = torch.tensor([0, 1, 5, 9])
    cold = realnvp.sample(model, 4, generator=generator_for(3), temperature=0.7, labels=labels)
    other = realnvp.sample(model, 4, generator=generator_for(3), temperature=0.7, labels=labels.flip(0))
    assert not torch.equal(cold, other)
    # The label reaches the picture: the Fashion classifier names the asked class for most samples.
    asked = torch.arange(10).repeat_interleave(5)
    drawn = realnvp.sample(model, 50, generator=generator_for(0), temperature=0.9, labels=asked)
    _, probs = classifier.embed(drawn, dataset="fashion")
    assert (probs.argmax(1) == asked).float().mean() >= 0.6
    test = data.fashion("test")
    bpd = realnvp.nll_bits_per_dim(model, test.images[:200])
    assert torch.isfinite(bpd).all()
    given = realnvp.nll_bits_per_dim(model, test.images[:200], labels=test.labels[:200])
    # Knowing the label helps by at most log2(10) bits per image, spread over 784 dimensions.
    assert given.mean() <= bpd.mean() + math.log2(10) / 784 + 1e-4
    assert bpd.mean().item() < manifest["metrics"]["training"]["val_bits_per_dim"] + 0.15


def test_fashion_demo_returns_a_png_grid_of_the_asked_class():
    demo = demos.get_demo("realnvp-fashion")
    assert demo.param("temperature").default == realnvp.FASHION_TEMPERATURE
    params = {"seed": 1, "n": 16, "label": "Sneaker"}
    result = demos.run_demo("realnvp-fashion", params)
    again = demos.run_demo("realnvp-fashion", params)
    image = Image.open(io.BytesIO(result.artefacts[0].data))
    assert image.size == (4 * 86 + 2, 4 * 86 + 2)
    assert result.artefacts[0].data == again.artefacts[0].data
    assert result.metadata["shape"] == [16, 1, 28, 28]
    assert result.metadata["params"]["temperature"] == realnvp.FASHION_TEMPERATURE
    with pytest.raises(ParamError):
        demos.validate_params(demo, {"label": "Hat"})
