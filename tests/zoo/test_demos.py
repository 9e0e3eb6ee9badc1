"""The demos the zoo offers the generation app (generation/zoo/demos.py): every shipped demo is well formed,
runs deterministically, reports progress, and hands frames to ``preview`` only when it makes them."""

import pytest

from generation.zoo import demos
from generation.zoo.demos import validate_params


def test_every_shipped_demo_declares_seed_and_n_and_a_known_family():
    families = {
        "gans",
        "vaes",
        "autoregressive-models",
        "normalizing-flows",
        "diffusion-models",
        "energy-based-models",
        "generative-transformers",
    }
    listed = demos.list_demos()
    assert {"dcgan-digits", "vae-digits", "ddpm-digits"} <= {d.slug for d in listed}
    for demo in listed:
        names = [p.name for p in demo.params]
        assert "seed" in names and "n" in names, demo.slug
        assert demo.family in families, demo.slug
        n = demo.param("n")
        assert n.minimum >= 1 and n.maximum <= 64
        assert validate_params(demo, {})["seed"] == demo.param("seed").default
    assert demos.get_demo("ddpm-digits").model == "ddpm"
    with pytest.raises(KeyError):
        demos.get_demo("no-such-demo")


def _png(data: bytes) -> bool:
    return data[:8] == b"\x89PNG\r\n\x1a\n"


def test_run_demo_returns_a_png_and_reports_progress_and_is_deterministic():
    calls = []
    first = demos.run_demo("dcgan-digits", {"n": 4, "seed": 5}, progress=lambda s, t: calls.append((s, t)))
    again = demos.run_demo("dcgan-digits", {"n": 4, "seed": 5})
    other = demos.run_demo("dcgan-digits", {"n": 4, "seed": 6})
    assert _png(first.artefacts[0].data) and first.artefacts[0].content_type == "image/png"
    assert first.artefacts[0].data == again.artefacts[0].data != other.artefacts[0].data
    assert calls[-1] == (1, 1)
    meta = first.metadata
    assert meta["seed"] == 5 and meta["device"] == "cpu" and len(meta["checkpoint_sha256"]) == 64


def test_a_demo_without_frames_never_calls_preview_and_preview_errors_propagate():
    called: list = []
    demos.run_demo("ebm-energy-landscape", {"n": 1, "seed": 0, "steps": 1}, preview=called.append)
    assert called == []

    class Stop(Exception):
        pass

    def refuse(artefact):
        raise Stop(artefact.name)

    with pytest.raises(Stop, match=r"frame-0001\.png"):
        demos.run_demo("ddpm-digits", {"n": 1, "seed": 0, "steps": 3, "frames": 3}, preview=refuse)
