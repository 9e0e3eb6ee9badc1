"""The zoo's tables (markdown and JSON) and figures, built from the stored evaluation rows.

    python -m generation.zoo evaluate all     # recompute every row from the committed checkpoints
    python -m generation.zoo report           # write REPORT.md, results/report.json, samples*.png

One table per data set (digits, Fashion-MNIST, names). Each image row shows FD with its 95% interval,
precision and recall, bits/dim marked exact (=) or bound (≤), next to the baselines and the real-data
reference of the same data set, and says which other rows its FD interval overlaps: those it cannot be told
apart from at this sample size ("within noise"). Each row comes from ``results/<name>.json``, written by
``evaluate``; ``report --evaluate`` computes the rows that are missing. Nothing in the tables is typed in by
hand.
"""

from __future__ import annotations

import json
from pathlib import Path

import torch
from PIL import Image, ImageDraw

from generation.zoo import baselines, classifier, data, evaluate, registry
from generation.zoo.demos import generator_for
from generation.zoo.images import grid_image, png_bytes

HERE = Path(__file__).resolve().parent
REPORT_MD = HERE / "REPORT.md"
REPORT_JSON = evaluate.RESULTS / "report.json"
COMPOSITIONS_JSON = evaluate.RESULTS / "compositions.json"  # read by the site's zoo page
FIGURES = {"digits": HERE / "samples.png", "fashion": HERE / "samples-fashion.png"}
FIGURE = FIGURES["digits"]  # older name

# Columns of report --json's console table and of the names table; image tables have their own (below).
COLUMNS = (
    ("name", "model"),
    ("family", "family"),
    ("dataset", "data"),
    ("bits_per_dim", "bits/dim"),
    ("bits_per_dim_kind", "(kind)"),
    ("fd", "FD"),
    ("fd_std", "± std"),
    ("precision", "precision"),
    ("recall", "recall"),
    ("coverage", "coverage"),
    ("classifier_is", "IS"),
    ("memorisation", "memorisation"),
    ("samples_per_s", "samples/s @64"),
    ("request_16_s", "16-sample request (s)"),
    ("nats_per_char", "nats/char"),
    ("novelty", "novelty"),
    ("mean_length", "mean length"),
)
TEXT_COLUMNS = (
    ("name", "model"),
    ("family", "family"),
    ("nats_per_char", "nats/char (exact)"),
    ("novelty", "novelty"),
    ("mean_length", "mean length"),
    ("samples_per_s", "samples/s @64"),
)


def with_noise_marks(rows: list[dict]) -> list[dict]:
    """Add ``within_noise``: for each image row, the other rows of its data set whose FD intervals overlap."""
    for row in rows:
        if row.get("fd_low") is None:
            continue
        row["within_noise"] = [
            other["name"]
            for other in rows
            if other is not row
            and other.get("dataset") == row.get("dataset")
            and other.get("fd_low") is not None
            and evaluate.intervals_overlap(row, other)
        ]
    return rows


def build_report(
    *, evaluate_missing: bool = False, write: bool = True, dataset: str | None = None
) -> list[dict]:
    rows = []
    for name in evaluate.all_names():
        row = evaluate.stored_row(name)
        if row is None and evaluate_missing and (dataset is None or evaluate.dataset_of(name) == dataset):
            row = evaluate.evaluate(name, write=True)
        if row is not None:
            rows.append(row)
    rows = with_noise_marks(rows)
    if write:
        REPORT_JSON.parent.mkdir(exist_ok=True)
        REPORT_JSON.write_text(json.dumps(rows, indent=2, sort_keys=True) + "\n")
        REPORT_MD.write_text(markdown_report(rows))
        COMPOSITIONS_JSON.write_text(json.dumps(compositions(rows), indent=2, sort_keys=True) + "\n")
        for image_set in evaluate.image_datasets():
            if dataset is None or dataset == image_set:
                FIGURES[image_set].write_bytes(figure_png(image_set))
    return rows


def _cell(value) -> str:
    if value is None:
        return "–"
    if isinstance(value, float):
        return f"{value:.3f}" if abs(value) < 100 else f"{value:.0f}"
    return str(value)


def markdown_table(rows: list[dict], columns=COLUMNS) -> str:
    lines = ["| " + " | ".join(title for _, title in columns) + " |", "|" + "---|" * len(columns)]
    for row in rows:
        lines.append("| " + " | ".join(_cell(row.get(key)) for key, _ in columns) + " |")
    return "\n".join(lines) + "\n"


def _speed_cell(value) -> str:
    if value is None:
        return "–"
    return f"{value:.0f}" if value >= 100 else f"{value:.1f}" if value >= 1 else f"{value:.2f}"


def _fd_cell(row: dict) -> str:
    if row.get("fd") is None:
        return "–"
    digits = 2 if row["fd"] < 100 else 1
    return f"{row['fd']:.{digits}f} [{row['fd_low']:.{digits}f}, {row['fd_high']:.{digits}f}]"


def _bpd_cell(row: dict) -> str:
    if row.get("bits_per_dim") is None:
        return "–"
    mark = {"exact": "=", "bound": "≤"}.get(row.get("bits_per_dim_kind"), "?")
    return f"{mark} {row['bits_per_dim']:.3f}"


def _noise_cell(row: dict, reference: str) -> str:
    others = row.get("within_noise") or []
    if not others:
        return "none"
    shown = [f"**{name}**" if name == reference else name for name in others]
    return ", ".join(shown)


def image_table(rows: list[dict], dataset: str) -> str:
    """The markdown table of one image set: the reference first, then the rest by FD, best first."""
    reference = evaluate.PROTOCOLS[dataset].reference
    mine = [row for row in rows if row.get("dataset") == dataset]
    mine.sort(key=lambda r: (r["name"] != reference, r.get("fd") is None, r.get("fd") or 0))
    header = (
        "| model | family | FD [95% interval] | precision | recall | bits/dim | coverage | IS | memorisation "
        "| samples/s @64 | 16-sample request (s) | within noise of (FD intervals overlap) |"
    )
    lines = [header, "|" + "---|" * 12]
    for row in mine:
        cells = [
            f"**{row['name']}**" if row["name"] == reference else row["name"],
            row["family"],
            _fd_cell(row),
            _cell(row.get("precision")),
            _cell(row.get("recall")),
            _bpd_cell(row),
            _cell(row.get("coverage")),
            _cell(row.get("classifier_is")),
            _cell(row.get("memorisation")),
            _speed_cell(row.get("samples_per_s")),
            _cell(row.get("request_16_s")),
            _noise_cell(row, reference),
        ]
        lines.append("| " + " | ".join(cells) + " |")
    return "\n".join(lines) + "\n"


def _classifier_line(dataset: str) -> str:
    path = classifier.manifest_path(dataset)
    if not path.exists():
        return f"no `{path.name}` yet"
    manifest = json.loads(path.read_text())
    test = manifest["metrics"]["test"]["accuracy"]
    health = manifest.get("features", {}).get("test", {})
    return (
        f"`{path.stem}.pt` (test accuracy {test:.3f}; {health.get('dims', '?')} features, "
        f"{health.get('constant', '?')} constant and covariance rank {health.get('rank', '?')} "
        "on the test split)"
    )


PROTOCOL_NOTES = {
    "digits": (
        "Test split: digits [1350:1797] (447 images, 8x8, 17 levels). Every row: {n} samples (seed {seed}); "
        "the reference `real-digits` is the {n} validation digits, scored the same way. Features: {clf}."
    ),
    "fashion": (
        "Test split: the official 10,000 Fashion-MNIST test images (28x28, 256 levels). Every row: {n} "
        "samples (seed {seed}); the reference `real-fashion` is {n} validation images (a fixed seeded "
        "subset), scored the same way. bits/dim on a fixed seeded subset of {bpd} test images. "
        "Features: {clf}."
    ),
}

NOTES = """
How to read the tables:

- FD (heusel2017gans) is measured in each data set's own classifier (`classifier.py`; pre-activation
  features, none constant, full-rank covariance on real data) between the N samples of a row and the whole
  test split. The interval is FD ± 1.96 × its bootstrap standard deviation ({boot} resamples of the N
  samples; the test set fixed): roughly how far FD moves between sampling seeds. FD is biased upwards at
  small N, so only rows with the same N compare, which is why the real-data reference uses N real
  (validation) images. "within noise of" lists the rows whose intervals overlap this row's: the table
  cannot rank those pairs. The reference (in bold) is not a strict floor: validation and test images
  differ (digits: different writers), and a model can sit as close to the test split as they do.
- precision / recall: kynkaanniemi2019improved with k = {k} nearest neighbours, in the same features,
  against N test images: precision is the share of samples that land on the real data's manifold
  (quality), recall the share of real images that land on the samples' manifold (diversity). A model can
  have high precision and low recall (mode dropping) or the reverse (blurry or noisy samples).
- bits/dim is -log2 P(x)/D of the discrete test images (digits: 17 levels, D = 64, uniform = log2 17 =
  4.09; fashion: 256 levels, D = 784, uniform = 8). `=` exact, `≤` an upper bound: negative ELBO (VAE),
  the variational bound over every timestep (DDPM, discretised decoder of Ho et al. eq. 13), a
  dequantised continuous density (flows report their own dequantisation's bound; the Gaussian mixture
  uses uniform dequantisation x + U[0,1)^D in level units, Jensen). `–` where the model has none.
- coverage: normalised entropy of the classifier's predicted classes over the samples (1 = balanced);
  IS: exp E KL(p(y|x) || p(y)) in the same classifier (at most 10, but real data scores about 5-6 here:
  the classifiers are trained with label smoothing, so their probabilities stop near 0.9; hold IS against
  the reference row); memorisation: mean distance from a sample to its nearest training image over the same
  for the N test images (about 1 = generalises, below 1 = copies).
- These FD values live in the new classifiers' standardised pre-activation features; they are not on the
  scale of the earlier digits table (FD about 100 in ReLU features of which 41 of 64 were dead).
- Speeds: one CPU thread on a shared 2-core machine; they vary with its load, as do the training times in
  the manifests.
"""


# (column, title, which way is better) of the compositions' tables
VERDICT_COLUMNS = (
    ("fd", "FD", "lower"),
    ("precision", "precision", "higher"),
    ("recall", "recall", "higher"),
    ("bits_per_dim", "bits/dim", "lower"),
    ("samples_per_s", "samples/s @64", "higher"),
)


def verdict(composition: dict, part: dict, key: str, better: str) -> str:
    """How a composition's row compares with one part's on one column, in words a reader can check: for FD
    the intervals decide (overlapping intervals are "within noise"); the others compare the values."""
    ours, theirs = composition.get(key), part.get(key)
    if ours is None or theirs is None:
        return "–"
    intervals = composition.get("fd_low") is not None and part.get("fd_low") is not None
    if key == "fd" and intervals and evaluate.intervals_overlap(composition, part):
        return "within noise"
    if ours == theirs:
        return "equal"
    wins = ours < theirs if better == "lower" else ours > theirs
    return "better" if wins else "worse"


COMPOSITION_FIELDS = ("fd", "fd_low", "fd_high", "precision", "recall", "bits_per_dim", "bits_per_dim_kind")


def compositions(rows: list[dict]) -> list[dict]:
    """Each composition of two families with its parts: their rows' figures and, for every part, the
    verdict per column. Written to results/compositions.json, which the site's zoo page shows."""
    by_name = {row["name"]: row for row in rows}
    found = []
    for entry in registry.list_models():
        if not entry.parts or entry.name not in by_name:
            continue
        mine = by_name[entry.name]
        parts = [by_name[name] for name in entry.parts if name in by_name]
        found.append(
            {
                "name": entry.name,
                "title": entry.title,
                "family": entry.family,
                "parts": [part["name"] for part in parts],
                "rows": [
                    {
                        "name": row["name"],
                        "family": row["family"],
                        **{key: row.get(key) for key in (*COMPOSITION_FIELDS, "samples_per_s")},
                    }
                    for row in (mine, *parts)
                ],
                "verdicts": [
                    {
                        "part": part["name"],
                        **{key: verdict(mine, part, key, better) for key, _, better in VERDICT_COLUMNS},
                    }
                    for part in parts
                ],
            }
        )
    return found


def compositions_section(found: list[dict]) -> str:
    """The markdown of ``compositions``: per composition, its row beside its parts' and the verdict rows."""
    out = []
    for composition in found:
        lines = [
            f"\n### {composition['name']}: {composition['title']}\n",
            f"Parts: {', '.join(composition['parts'])}.\n",
            "| row | " + " | ".join(title for _, title, _ in VERDICT_COLUMNS) + " |",
            "|" + "---|" * (len(VERDICT_COLUMNS) + 1),
        ]
        for row in composition["rows"]:
            cells = [_fd_cell(row), _cell(row.get("precision")), _cell(row.get("recall")), _bpd_cell(row)]
            cells.append(_speed_cell(row.get("samples_per_s")))
            lines.append(f"| {row['name']} | " + " | ".join(cells) + " |")
        for verdicts in composition["verdicts"]:
            cells = [verdicts[key] for key, _, _ in VERDICT_COLUMNS]
            lines.append(f"| *{composition['name']} vs {verdicts['part']}* | " + " | ".join(cells) + " |")
        out.append("\n".join(lines) + "\n")
    if not out:
        return ""
    return (
        "\n## Compositions: does the whole beat its parts?\n\nEach composition of two families beside the "
        "single-family models it is built from or stands in for, from the same rows as the tables above; "
        "the verdict rows read the composition against each part (FD by its interval: overlapping is within "
        'noise). bits/dim of two upper bounds: "better" is a tighter guarantee, not proof of a better '
        "likelihood.\n" + "".join(out)
    )


def markdown_report(rows: list[dict]) -> str:
    out = [
        "# Model zoo: measured tables\n\n"
        "Generated by `python -m generation.zoo report` from `generation/zoo/results/*.json`, which\n"
        "`python -m generation.zoo evaluate all [--dataset digits|fashion|names]` recomputes from the\n"
        "committed checkpoints. Figures: `samples.png` (digits), `samples-fashion.png` (Fashion-MNIST).\n"
    ]
    titles = {"digits": "Digits 8x8", "fashion": "Fashion-MNIST 28x28"}
    for dataset in evaluate.image_datasets():
        if not any(row.get("dataset") == dataset for row in rows):
            continue
        protocol = evaluate.PROTOCOLS[dataset]
        note = PROTOCOL_NOTES[dataset].format(
            n=protocol.n, seed=evaluate.EVAL_SEED, bpd=protocol.bpd_n, clf=_classifier_line(dataset)
        )
        out.append(f"\n## {titles[dataset]}\n\n{note}\n\n{image_table(rows, dataset)}")
    text_rows = [row for row in rows if row.get("dataset") == "names" or row.get("nats_per_char") is not None]
    if text_rows:
        out.append(
            "\n## Names\n\nnats/char is the exact test NLL per character of the held-out names (the "
            "end-of-name mark counts); novelty is the share of 1,000 samples not in the training names.\n\n"
            + markdown_table(text_rows, TEXT_COLUMNS)
        )
    out.append(compositions_section(compositions(rows)))
    out.append(NOTES.format(boot=evaluate.FD_BOOTSTRAP, k=evaluate.PR_K))
    return "".join(out)


def _panel(name: str, scale: int, draw) -> Image.Image:
    """The 4x4 grid of a row: the one ``evaluate`` saved (results/samples/<name>.png), else drawn now."""
    path = evaluate.PANELS / f"{name}.png"
    if path.exists():
        image = Image.open(path).convert("L")
        return image.resize((image.width * scale, image.height * scale), Image.NEAREST)
    return grid_image(draw(), columns=4, scale=scale)


def figure_png(dataset: str = "digits", per_model: int = 16) -> bytes:
    """One labelled 4x4 grid of samples (seed 0) per model and baseline of a data set, in rows.

    The grids are those ``evaluate`` saved with each row (so the figure shows the evaluated checkpoints and
    costs no sampling); a row evaluated before that existed is sampled here.
    """
    panels: list[tuple[str, Image.Image]] = []
    scale = 4 if dataset == "digits" else 2
    for entry in registry.list_models():
        if entry.kind != "image" or entry.dataset != dataset or not entry.manifest_path.exists():
            continue

        def draw(entry=entry):
            return entry.code.sample(registry.load(entry.name), per_model, generator=generator_for(0))

        panels.append((entry.name, _panel(entry.name, scale, draw)))
    for name in baselines.BASELINES:
        if baselines.dataset_of(name) != dataset:
            continue
        panels.append(
            (name, _panel(name, scale, lambda name=name: baselines.get_baseline(name).sample(per_model, 0)))
        )
    real = data.image_set(dataset).split("test").images[:per_model]
    panels.append((f"real {dataset} (test)", grid_image(real, columns=4, scale=scale)))
    label_h, gap = 14, 8
    per_row = 6 if dataset == "digits" else 5
    lines = [panels[i : i + per_row] for i in range(0, len(panels), per_row)]
    cell_w = max(panel.width for _, panel in panels) + gap
    cell_h = max(panel.height for _, panel in panels) + label_h + gap
    canvas = Image.new("L", (gap + cell_w * min(per_row, len(panels)), gap + cell_h * len(lines)), 255)
    draw = ImageDraw.Draw(canvas)
    for r, line in enumerate(lines):
        for c, (name, panel) in enumerate(line):
            x, y = gap + c * cell_w, gap + r * cell_h
            draw.text((x, y), name, fill=0)
            canvas.paste(panel, (x, y + label_h))
    return png_bytes(canvas)


if __name__ == "__main__":
    torch.set_num_threads(1)
    print(markdown_table(build_report(evaluate_missing=True)))
