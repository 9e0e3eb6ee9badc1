"""RealNVP of the plane (generation/zoo/plane_flow.py): it inverts, its density integrates to one, and the
two-moons demo draws from its own checkpoint, never the digits flow's."""

import pytest
import torch

from generation.zoo import plane_flow, registry
from generation.zoo.demos import get_demo, run_demo
from generation.zoo.train import train


def _perturb(module: torch.nn.Module) -> None:
    """Coupling nets start as the identity (zero last layer); random weights make the checks meaningful."""
    torch.manual_seed(0)
    with torch.no_grad():
        for p in module.parameters():
            p.add_(0.3 * torch.randn_like(p))


def test_toy_flow_inverts_and_its_density_integrates_to_one():
    torch.manual_seed(0)  # the initial weights, whatever ran before this test
    toy = plane_flow.build(plane_flow.Config(couplings=4, hidden=16)).double()
    _perturb(toy)
    x = torch.randn(5, 2, dtype=torch.float64)
    z = x
    for layer in toy.layers:
        z, _ = layer(z)
    for layer in reversed(toy.layers):
        z = layer.inverse(z)
    assert torch.allclose(z, x, atol=1e-10)
    # Exact likelihood: the density on a fine grid sums to about 1 (the mass lies well inside [-8, 8]^2).
    side = torch.linspace(-8, 8, 401, dtype=torch.float64)
    grid = torch.cartesian_prod(side, side)
    mass = toy.log_prob(grid).exp().sum().item() * (16 / 400) ** 2
    assert mass == pytest.approx(1.0, abs=0.02)


def test_density_demo_draws_data_and_model_panels():
    result = run_demo("realnvp-two-moons", {"seed": 0, "n": 8})
    assert result.artefacts[0].content_type == "image/png"
    assert result.metadata["toy"] == "two_moons"


def test_the_density_demo_loads_its_own_checkpoint_not_the_digits_flow(monkeypatch):
    monkeypatch.setattr(registry, "_loaded", {})  # nothing loaded yet in this process
    loaded: list[str] = []
    get_model = registry.get_model
    monkeypatch.setattr(registry, "get_model", lambda name: loaded.append(name) or get_model(name))
    run_demo("realnvp-two-moons", {"seed": 0, "n": 8})
    assert set(loaded) == {"realnvp-two-moons"}
    assert get_demo("realnvp-two-moons").checkpoint_path.name == "realnvp-two-moons.pt"
    manifest = registry.read_manifest("realnvp-two-moons")
    assert registry.sha256_of(registry.get_model("realnvp-two-moons").checkpoint_path) == manifest["sha256"]


def test_training_from_the_registry_lowers_the_nll_and_writes_a_manifest(tmp_path):
    manifest = train("realnvp-two-moons", overrides={"steps": 60}, out_dir=tmp_path, quiet=True)
    assert manifest["split"] == {"dataset": "fresh draws of data.toy('two_moons')"}
    assert manifest["config"]["couplings"] == plane_flow.Config().couplings
    curve = manifest["loss_curves"]["nll_nats"]
    assert curve[-1] < curve[0]
    assert (tmp_path / "realnvp-two-moons.pt").stat().st_size == manifest["checkpoint_bytes"]
