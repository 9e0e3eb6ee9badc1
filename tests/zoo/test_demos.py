import pytest

from generation.zoo import demos
from generation.zoo.demos import Demo, validate_params
from generation.zoo.params import Param, ParamError, n_param, seed_param

DEMO = Demo(
    slug="test-demo",
    family="gans",
    title="t",
    description="d",
    model="dcgan",
    params=(
        seed_param(),
        n_param(),
        Param("temperature", "float", 1.0, 0.0, 2.0),
        Param("sampler", "choice", "ddim", choices=("ddim", "ddpm")),
        Param("prefix", "str", "", 0, 5),
        Param("word", "str", "", 0, 5, pattern="[a-z]*", pattern_error="may hold only the letters a-z"),
    ),
    citation_key="x",
)


def test_defaults_are_filled_and_types_coerced():
    clean = validate_params(DEMO, {"n": "8", "temperature": "0.5", "seed": 3.0})
    assert clean == {"seed": 3, "n": 8, "temperature": 0.5, "sampler": "ddim", "prefix": "", "word": ""}
    assert type(clean["n"]) is int and type(clean["temperature"]) is float


@pytest.mark.parametrize(
    ("raw", "field", "fragment"),
    [
        ({"n": 0}, "n", "at least 1"),
        ({"n": 65}, "n", "at most 64"),
        ({"n": "many"}, "n", "whole number"),
        ({"n": 2.5}, "n", "whole number"),
        ({"n": True}, "n", "whole number"),
        ({"temperature": "nan"}, "temperature", "finite"),
        ({"temperature": 3}, "temperature", "at most 2"),
        ({"sampler": "euler"}, "sampler", "ddim, ddpm"),
        ({"prefix": "abcdef"}, "prefix", "length must be at most 5"),
        ({"prefix": 7}, "prefix", "text"),
        ({"colour": "red"}, "colour", "unknown parameter"),
        ({"seed": -1}, "seed", "at least 0"),
        ({"word": "ab1"}, "word", "only the letters a-z"),
        ({"word": "ab\n"}, "word", "only the letters a-z"),  # the whole value must match, not a prefix
    ],
)
def test_bad_values_are_reported_by_field(raw, field, fragment):
    with pytest.raises(ParamError) as caught:
        validate_params(DEMO, raw)
    assert field in caught.value.errors
    assert fragment in caught.value.errors[field]


def test_a_param_survives_its_json_form():
    """The web process validates against the schema stored as JSON on the Demo row: it must mean the same."""
    for param in DEMO.params:
        assert Param.from_dict(param.as_dict()) == param


def test_every_problem_is_reported_at_once():
    with pytest.raises(ParamError) as caught:
        validate_params(DEMO, {"n": 0, "temperature": "hot", "bogus": 1})
    assert set(caught.value.errors) == {"n", "temperature", "bogus"}


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


def test_diffusion_demo_returns_frames_and_stops_when_progress_raises():
    result = demos.run_demo("ddpm-digits", {"n": 2, "steps": 5, "frames": 3, "digit": "7"})
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
        demos.run_demo("ddpm-digits", {"n": 2, "steps": 10}, progress=progress)
    assert seen == [(1, 10), (2, 10)]


def test_vae_reconstructions_pair_test_digits_with_their_reconstructions():
    result = demos.run_demo("vae-reconstructions", {"n": 3, "first": 445})
    assert _png(result.artefacts[0].data)
    assert result.metadata["test_indices"] == [445, 447]
