import json
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]


def _zoo(*args: str) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, "-m", "generation.zoo", *args], cwd=ROOT, capture_output=True, text=True, timeout=240
    )


def test_list_json_names_each_model_with_its_family():
    result = _zoo("list", "--json")
    assert result.returncode == 0, result.stderr
    rows = {row["name"]: row for row in json.loads(result.stdout)}
    assert rows["dcgan"]["family"] == "gans"
    assert rows["vae"]["family"] == "vaes"
    assert rows["ddpm"]["family"] == "diffusion-models"
    assert "ddpm-digits" in rows["ddpm"]["demos"]


def test_sample_writes_the_same_png_bytes_for_the_same_seed(tmp_path):
    outputs = []
    for name in ("a", "b"):
        result = _zoo("sample", "dcgan", "--n", "6", "--seed", "11", "--out", str(tmp_path / name))
        assert result.returncode == 0, result.stderr
        outputs.append((tmp_path / f"{name}.png").read_bytes())
    assert outputs[0] == outputs[1] and outputs[0][:4] == b"\x89PNG"


def test_unknown_model_is_a_clear_error():
    result = _zoo("sample", "stylegan9", "--out", "/tmp/never")
    assert result.returncode == 2
    assert "unknown zoo model 'stylegan9'" in result.stderr


def test_report_json_has_a_row_per_model_and_baseline_with_the_issue_fields():
    result = _zoo("report", "--json", "--no-write")
    assert result.returncode == 0, result.stderr
    rows = {row["name"]: row for row in json.loads(result.stdout)}
    for name in ("dcgan", "vae", "ddpm", "independent-pixels", "gmm-dequantised", "kde-pca"):
        row = rows[name]
        for field in (
            "family",
            "bits_per_dim",
            "fd",
            "coverage",
            "classifier_is",
            "memorisation",
            "samples_per_s",
        ):
            assert field in row
    assert rows["independent-pixels"]["family"] == "baseline"


def test_sample_as_a_demo_draws_the_demos_picture_and_refuses_another_models_demo(tmp_path):
    from generation.zoo.demos import run_demo

    result = _zoo(
        "sample",
        "vae-fashion",
        "--n",
        "4",
        "--seed",
        "3",
        "--demo",
        "vae-fashion",
        "--out",
        str(tmp_path / "v"),
    )
    assert result.returncode == 0, result.stderr
    expected = run_demo("vae-fashion", {"n": 4, "seed": 3}).artefacts[0].data
    assert (tmp_path / "v.png").read_bytes() == expected  # the showcase is the demo's own picture

    wrong = _zoo("sample", "vae", "--n", "4", "--demo", "ddpm-digits", "--out", str(tmp_path / "w"))
    assert wrong.returncode == 2 and "does not draw from 'vae'" in wrong.stderr
    assert not (tmp_path / "w.png").exists()
