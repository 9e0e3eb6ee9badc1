"""The zoo's table (markdown and JSON) and its figure, built from the stored evaluation rows.

    python -m generation.zoo evaluate all     # recompute every row from the committed checkpoints
    python -m generation.zoo report           # write REPORT.md, results/report.json, samples.png

Each row comes from ``results/<name>.json``, written by ``evaluate``; ``report --evaluate`` computes the rows
that are missing. Nothing in the table is typed in by hand.
"""

from __future__ import annotations

import json
from pathlib import Path

import torch
from PIL import Image, ImageDraw

from generation.zoo import baselines, classifier, evaluate, registry
from generation.zoo.demos import generator_for
from generation.zoo.images import grid_image, png_bytes

HERE = Path(__file__).resolve().parent
REPORT_MD = HERE / "REPORT.md"
REPORT_JSON = evaluate.RESULTS / "report.json"
FIGURE = HERE / "samples.png"

COLUMNS = (
    ("name", "model"),
    ("family", "family"),
    ("bits_per_dim", "bits/dim"),
    ("bits_per_dim_kind", "(kind)"),
    ("fd", "FD"),
    ("fd_350", "FD@350"),
    ("coverage", "coverage"),
    ("classifier_is", "IS"),
    ("memorisation", "memorisation"),
    ("samples_per_s", "samples/s @64"),
    ("request_16_s", "16-sample request (s)"),
    ("nats_per_char", "nats/char"),
    ("novelty", "novelty"),
    ("mean_length", "mean length"),
)


def build_report(*, evaluate_missing: bool = False, write: bool = True) -> list[dict]:
    rows = []
    for name in evaluate.all_names():
        row = evaluate.stored_row(name)
        if row is None and evaluate_missing:
            row = evaluate.evaluate(name, write=True)
        if row is not None:
            rows.append(row)
    if write:
        REPORT_JSON.parent.mkdir(exist_ok=True)
        REPORT_JSON.write_text(json.dumps(rows, indent=2, sort_keys=True) + "\n")
        REPORT_MD.write_text(markdown_report(rows))
        FIGURE.write_bytes(figure_png())
    return rows


def _cell(value) -> str:
    if value is None:
        return "–"
    if isinstance(value, float):
        return f"{value:.3f}" if abs(value) < 100 else f"{value:.0f}"
    return str(value)


def markdown_table(rows: list[dict]) -> str:
    lines = ["| " + " | ".join(title for _, title in COLUMNS) + " |", "|" + "---|" * len(COLUMNS)]
    for row in rows:
        lines.append("| " + " | ".join(_cell(row.get(key)) for key, _ in COLUMNS) + " |")
    return "\n".join(lines) + "\n"


NOTES = """
- Test split: digits [1350:1797] (447 images, 8x8, 17 levels). FD, coverage and IS use the project's
  digits classifier (`classifier.py`, test accuracy {accuracy:.3f}); 1,000 samples per row, seed {seed}.
- `real-digits` is the validation split scored as if it were a model: its FD to the test split is the
  real-data reference ("floor"), its memorisation ratio the value of unseen real digits. FD is biased
  upwards for small samples and the validation split has only 350 digits, so FD@350 (the first 350 of
  the same samples) is the column to hold against it; FD (1,000 samples) is the headline metric. The
  reference is not a strict lower bound: validation and test digits come from different writers, and a
  model trained on 1,000 train digits can sit closer to the test writers than the 350 validation digits.
- bits/dim is -log2 P(x)/64 of the discrete 17-level digits (uniform over levels: log2 17 = 4.09).
  exact: the model's likelihood; bound: an upper bound. VAE: negative ELBO (beta = 1) with a 17-way
  categorical decoder. DDPM: the variational bound of Ho et al. eq. 5, every timestep, with the
  discretised Gaussian decoder of eq. 13 (each level owns the bin of width 2/16 around it in [-1, 1]).
  Continuous densities: uniform dequantisation x + U[0,1)^64 in level units (Jensen gives a bound).
  Flows (NICE, RealNVP) report the tighter bound of their learned variational dequantisation q(u|x)
  (ho2019flow); their bound under the uniform dequantisation of the Gaussian mixture is in the row's JSON
  as `bits_per_dim_uniform`. PixelCNN: exact, a 17-way softmax per pixel, no dequantisation.
- EBM rows: Langevin chains from uniform noise (100 SGLD steps); no likelihood.
- Name rows (char-rnn, gpt-names, bigram): nats/char is the exact test NLL per character of the held-out
  names (the end-of-name mark counts as a character); novelty is the share of 1,000 samples not in the
  training names; mean length of samples against the data's is in the row's JSON.
- DDPM rows sample with DDIM, 50 steps, eta 0, unconditionally; VAE rows draw every pixel from its
  categorical (decode="sample"), the model's true samples.
- Speeds are on one CPU thread of a shared 2-core machine; they vary with its load (about 10 runnable
  processes on 2 cores while these were measured), and so do the training wall times in the manifests.
"""


def markdown_report(rows: list[dict]) -> str:
    accuracy = json.loads(classifier.MANIFEST.read_text())["metrics"]["test"]["accuracy"]
    header = (
        "# Model zoo: measured table\n\n"
        "Generated by `python -m generation.zoo report` from `generation/zoo/results/*.json`, which\n"
        "`python -m generation.zoo evaluate all` recomputes from the committed checkpoints.\n\n"
    )
    return header + markdown_table(rows) + NOTES.format(accuracy=accuracy, seed=evaluate.EVAL_SEED)


def figure_png(per_model: int = 16) -> bytes:
    """One labelled 4x4 grid of samples (seed 0) per model and baseline, side by side."""
    panels: list[tuple[str, Image.Image]] = []
    for entry in registry.list_models():
        if entry.kind != "image" or not entry.manifest_path.exists():
            continue
        model = registry.load(entry.name)
        images = entry.code.sample(model, per_model, generator=generator_for(0))
        panels.append((entry.name, grid_image(images, columns=4, scale=4)))
    for name in baselines.BASELINES:
        if baselines.get_baseline(name).kind != "image":  # the bigram baseline of the name models
            continue
        panels.append(
            (name, grid_image(baselines.get_baseline(name).sample(per_model, 0), columns=4, scale=4))
        )
    from generation.zoo import data

    panels.append(
        ("real digits (test)", grid_image(data.digits("test").images[:per_model], columns=4, scale=4))
    )
    label_h, gap = 14, 8
    width = sum(panel.width for _, panel in panels) + gap * (len(panels) + 1)
    height = max(panel.height for _, panel in panels) + label_h + 2 * gap
    canvas = Image.new("L", (width, height), 255)
    draw = ImageDraw.Draw(canvas)
    x = gap
    for name, panel in panels:
        draw.text((x, gap // 2), name, fill=0)
        canvas.paste(panel, (x, gap + label_h))
        x += panel.width + gap
    return png_bytes(canvas)


if __name__ == "__main__":
    torch.set_num_threads(1)
    print(markdown_table(build_report(evaluate_missing=True)))
