"""DDPM and DDIM (generation/zoo/diffusion.py): training lowers the loss, DDIM with every step and eta = 1
is DDPM's ancestral sampler, eta = 0 is deterministic, the decoder's probabilities sum to one, and the demo
returns frames, hands them to ``preview`` as it makes them, and stops when progress raises."""

import pytest
import torch

from generation.zoo import diffusion
from generation.zoo.demos import run_demo
from generation.zoo.train import seed_everything


def _mean(values):
    return sum(values) / len(values)


def test_diffusion_loss_falls():
    torch.set_num_threads(1)
    cfg = diffusion.Config(width=8, steps=60, batch=32, timesteps=20)
    generator = seed_everything(0)
    model = diffusion.build(cfg)
    loss = diffusion.fit(model, cfg, generator=generator, log=lambda step, values: None)["history"]["loss"]
    assert _mean(loss[-10:]) < _mean(loss[:10]) * 0.8


def _bounded_eps(schedule: diffusion.Schedule):
    """An ε̂ whose predicted x_0 is tanh(x_t), inside (-1, 1): DDIM's clamp of x_0 never acts, so the
    samplers are compared as written, not through the clamp."""

    def eps(x: torch.Tensor, idx: torch.Tensor) -> torch.Tensor:
        ab = schedule.at(schedule.alpha_bars, idx)
        return (x - ab.sqrt() * torch.tanh(x)) / (1 - ab).sqrt()

    return eps


def test_ddim_with_all_steps_and_eta_one_matches_the_ddpm_noise_level():
    """With every timestep and eta = 1, DDIM's sigma_t is DDPM's posterior standard deviation and its mean is
    the posterior mean (song2021denoising eq. 16): from the same x_T and the same noise the two samplers walk
    the same trajectory (up to the last step, where DDPM shows the mean and DDIM the predicted x_0)."""
    schedule = diffusion.Schedule(diffusion.Config(timesteps=10))
    eps = _bounded_eps(schedule)
    x_t = torch.randn(64, 1, 8, 8, generator=torch.Generator().manual_seed(0))

    def trajectory(sampler, **options) -> list[torch.Tensor]:
        frames: list[torch.Tensor] = []
        sampler(eps, schedule, x_t.clone(), generator=torch.Generator().manual_seed(1),
                frame=lambda k, x: frames.append(x.clone()), **options)  # fmt: skip
        return frames

    ddpm = trajectory(diffusion.ddpm_sample)
    ddim = trajectory(diffusion.ddim_sample, steps=10, eta=1.0)
    assert len(ddpm) == len(ddim) == 10
    for k in range(9):
        assert torch.allclose(ddim[k], ddpm[k], atol=1e-4), f"step {k + 1} differs"
    # The noise matters: with eta = 0 the same start and noise give another trajectory.
    deterministic = trajectory(diffusion.ddim_sample, steps=10, eta=0.0)
    assert not torch.allclose(deterministic[0], ddpm[0], atol=1e-2)


def test_ddim_with_eta_zero_ignores_the_noise():
    schedule = diffusion.Schedule(diffusion.Config(timesteps=10))
    x_t = torch.randn(8, 1, 8, 8, generator=torch.Generator().manual_seed(0))
    outs = [
        diffusion.ddim_sample(
            _bounded_eps(schedule),
            schedule,
            x_t.clone(),
            steps=5,
            eta=0.0,
            generator=torch.Generator().manual_seed(seed),
        )
        for seed in (1, 2)
    ]
    assert torch.equal(outs[0], outs[1])


def test_discretised_decoder_gives_probabilities_that_sum_to_one():
    levels = torch.arange(17).float() / 8 - 1  # every level in [-1, 1]
    mean, std = torch.tensor(0.03), torch.tensor(0.2)
    mass = torch.exp(-diffusion.discretised_gaussian_nll(levels, mean, std))
    assert abs(mass.sum().item() - 1) < 1e-5


def _png(data: bytes) -> bool:
    return data[:8] == b"\x89PNG\r\n\x1a\n"


def test_diffusion_demo_returns_frames_and_stops_when_progress_raises():
    result = run_demo("ddpm-digits", {"n": 2, "steps": 5, "frames": 3, "digit": "7"})
    roles = [a.role for a in result.artefacts]
    assert roles == ["result", "frame", "frame", "frame"]
    assert all(_png(a.data) for a in result.artefacts)

    class Cancelled(Exception):
        pass

    seen = []

    def progress(step, total):
        seen.append((step, total))
        if step == 2:
            raise Cancelled

    with pytest.raises(Cancelled):
        run_demo("ddpm-digits", {"n": 2, "steps": 10}, progress=progress)
    assert seen == [(1, 10), (2, 10)]


def test_diffusion_hands_each_frame_to_preview_in_order_before_its_progress_step():
    events: list = []
    result = run_demo(
        "ddpm-digits",
        {"n": 1, "seed": 0, "steps": 4, "frames": 4},
        progress=lambda step, total: events.append(("progress", step)),
        preview=lambda artefact: events.append(("preview", artefact)),
    )
    previews = [a for kind, a in events if kind == "preview"]
    frames = [a for a in result.artefacts if a.role == "frame"]
    assert [a.name for a in previews] == [
        "frame-0001.png",
        "frame-0002.png",
        "frame-0003.png",
        "frame-0004.png",
    ]
    assert [(a.name, a.data) for a in previews] == [(a.name, a.data) for a in frames]  # still all returned
    assert all(a.content_type == "image/png" and a.data.startswith(b"\x89PNG") for a in previews)
    # Each frame arrives while the run goes on: before the progress call of its own step.
    for index, (kind, artefact) in enumerate(events):
        if kind == "preview":
            step = int(artefact.name[6:10])
            assert ("progress", step) in events[index + 1 :]
            assert ("progress", step) not in events[:index]
