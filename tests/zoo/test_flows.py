"""The digit flows (generation/zoo/nice.py, realnvp.py) and what they share (flows.py): invertibility,
log-determinants against a numerical Jacobian, the dequantiser, training, the shipped checkpoints."""

import pytest
import torch

from generation.zoo import data, flows, nice, realnvp, registry
from generation.zoo.demos import generator_for


def _perturb(module: torch.nn.Module) -> None:
    """Coupling nets start as the identity (zero last layer); random weights make the checks meaningful."""
    torch.manual_seed(0)
    with torch.no_grad():
        for p in module.parameters():
            p.add_(0.3 * torch.randn_like(p))


def _numerical_logdet(fn, x: torch.Tensor) -> float:
    """log |det J| of fn at one input x, with J built column by column by autograd (float64).

    Independent of the layers' closed-form log-determinants; unlike finite differences it is exact at
    points near a ReLU kink of the coupling nets.
    """
    jacobian = torch.autograd.functional.jacobian(lambda v: fn(v.view(x.shape)).flatten(), x.flatten())
    return torch.linalg.slogdet(jacobian)[1].item()


def _realnvp() -> torch.nn.Module:
    return realnvp.RealNVP(realnvp.Config(hidden=8, blocks=1, height=2, width=2))


def _nice() -> torch.nn.Module:
    return nice.NICE(nice.Config(couplings=4, hidden=32, layers=2, height=2, width=2))


@pytest.mark.parametrize("make", [_realnvp, _nice], ids=["realnvp", "nice"])
def test_inverse_undoes_forward_and_logdet_matches_a_numerical_jacobian(make):
    # 2x2 images: 4 dimensions, small enough for an exact Jacobian; RealNVP still squeezes to 4x1x1.
    torch.manual_seed(0)
    flow = make().double()
    _perturb(flow)
    x = torch.randn(3, 1, 2, 2, dtype=torch.float64)
    z, logdet = flow(x)
    assert not torch.allclose(z, x), "the perturbed flow should not be the identity"
    assert torch.allclose(flow.inverse(z), x, atol=1e-10)
    for row in range(3):
        numeric = _numerical_logdet(lambda v: flow(v[None])[0][0], x[row])
        assert logdet[row].item() == pytest.approx(numeric, abs=1e-8)


def test_variational_dequantiser_logdet_matches_a_numerical_jacobian():
    """log q(u | x) = log N(eps) - log |det du/deps|: the map's log-det is checked like the flows'."""
    torch.manual_seed(0)
    deq = flows.VariationalDequantiser(flows.DigitFlowConfig(height=2, width=2, deq_hidden=8)).double()
    _perturb(deq)
    x = torch.randint(0, 17, (2, 1, 2, 2))
    eps = torch.randn(2, 1, 2, 2, dtype=torch.float64)
    u, logdet = deq.transform(eps, x)
    assert ((u > 0) & (u < 1)).all()
    for row in range(2):
        digit = x[row : row + 1]
        numeric = _numerical_logdet(lambda e, digit=digit: deq.transform(e[None], digit)[0][0], eps[row])
        assert logdet[row].item() == pytest.approx(numeric, abs=1e-8)


def test_a_few_training_steps_lower_the_loss():
    torch.manual_seed(0)
    model = realnvp.build(realnvp.Config(hidden=8, blocks=1))
    x = data.digits("train").images[:64]
    opt = torch.optim.Adam(model.parameters(), lr=3e-3)
    first = model(x)[1].item()
    for _ in range(15):
        _, loss = model(x)
        opt.zero_grad()
        loss.backward()
        opt.step()
    assert model(x)[1].item() < first - 0.2


@pytest.mark.parametrize("name", ["realnvp", "nice"])
def test_shipped_flow_matches_its_manifest_and_samples_deterministically(name):
    entry = registry.get_model(name)
    assert registry.sha256_of(entry.checkpoint_path) == registry.read_manifest(name)["sha256"]
    assert entry.checkpoint_path.stat().st_size <= 5 * 1024 * 1024
    model = registry.load(name)
    a = flows.sample(model, 4, generator=generator_for(3), temperature=0.8)
    b = flows.sample(model, 4, generator=generator_for(3), temperature=0.8)
    assert a.shape == (4, 1, 8, 8) and a.dtype == torch.long and a.min() >= 0 and a.max() <= 16
    assert torch.equal(a, b)
    test = data.digits("test").images[:200]
    variational = flows.nll_bits_per_dim(model, test).mean().item()
    uniform = flows.nll_bits_per_dim(model, test, uniform=True).mean().item()
    # RealNVP's learned q(u|x) tightens the bound clearly; NICE's stays close to uniform (within noise).
    assert variational <= uniform - (0.05 if name == "realnvp" else -0.02)
    assert variational < 2.9, "the Gaussian-mixture baseline's bound is 2.94 bits/dim"
