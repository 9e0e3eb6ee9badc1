"""BibTeX benchmark: import throughput into PostgreSQL and export time, each against bibtexparser alone.

    DATABASE_URL=postgres://postgres@127.0.0.1:5432/atlas python bench/bibtex.py [--entries N] [--repeat R]

Generates a .bib of realistic entries (authors with accents and particles, @string venues, arXiv ids, DOIs,
abstracts, extra fields), then prints, in one run:
- bare parse: ``bibtexparser.parse_string`` of the file (its default stack: macros, enclosing removal);
- import: ``papers.services.bibtex_import`` of the same text into an empty PostgreSQL test database
  (parse, LaTeX decoding, name splitting, matching, keys, venues, bulk writes), in entries/s, and the ratio;
- bare write: ``bibtexparser.write_string`` of the parsed library (its default unparse stack, which
  deep-copies the library first; an in-place stack's time is printed too, for reference);
- export: ``papers.services.bibtex_export`` of all papers (queries, LaTeX encoding, protection, writing),
  and the ratio. Targets: import within 3x of the bare parse, export within 2x of the bare write.
Each figure is the best of ``--repeat`` runs, bare and ours alternating. The benchmark uses a throw-away
test database (``test_<name>``), never the configured database's data.
"""

import argparse
import logging
import os
import random
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")

import django

django.setup()

import bibtexparser  # noqa: E402
from bibtexparser.middlewares.parsestack import default_unparse_stack  # noqa: E402
from django.db import connection  # noqa: E402

from papers.models import Author, Authorship, Paper, Venue  # noqa: E402
from papers.services import bibtex_export, bibtex_import  # noqa: E402

GIVEN = [
    "Ian",
    "Diederik P.",
    "Aäron",
    "Łukasz",
    "Yoshua",
    "Jascha",
    "Sander",
    "Max",
    "Tim",
    "Jonathan",
    "Prafulla",
    "Alec",
    "Ilya",
    "Durk",
    "Zoltán",
    "Stanisław",
    "Gökhan",
    "Bernhard",
    "Chloé",
    "Jürgen",
    "Yee Whye",
    "Danilo Jimenez",
    "Shakir",
    "Irina",
    "Nal",
    "Oriol",
    "Koray",
    "Alex",
    "Ashish",
    "Noam",
]
FAMILY = [
    "Goodfellow",
    "Kingma",
    "Oord",
    "Kaiser",
    "Bengio",
    "Sohl-Dickstein",
    "Dieleman",
    "Welling",
    "Salimans",
    "Ho",
    "Dhariwal",
    "Radford",
    "Sutskever",
    "Aczél",
    "Jastrzębski",
    "Schölkopf",
    "Müller",
    "Teh",
    "Rezende",
    "Mohamed",
    "Higgins",
    "Kalchbrenner",
    "Vinyals",
    "Kavukcuoglu",
    "Graves",
    "Vaswani",
    "Shazeer",
    "Hochreiter",
    "Schmidhuber",
    "Krähenbühl",
    "Hinton",
    "LeCun",
    "Dinh",
]
VON = ["", "", "", "", "", "", "van den", "de", "von"]
WORDS = [
    "learning",
    "generative",
    "models",
    "with",
    "deep",
    "networks",
    "of",
    "the",
    "variational",
    "inference",
    "adversarial",
    "diffusion",
    "flows",
    "for",
    "images",
    "audio",
    "text",
    "latent",
    "representations",
    "energy-based",
    "autoregressive",
    "scalable",
    "efficient",
    "training",
    "sampling",
    "on",
    "score",
    "matching",
    "denoising",
    "probabilistic",
    "neural",
    "transformers",
]
ACRONYMS = ["GAN", "VAE", "WaveNet", "PixelCNN", "NVP", "DDPM", "GPT", "LSTM", "BigGAN", "U-Net"]
VENUES = {
    "nips": "Advances in Neural Information Processing Systems",
    "icml": "Proceedings of the International Conference on Machine Learning",
    "iclr": "International Conference on Learning Representations",
    "cvpr": "Proceedings of the IEEE Conference on Computer Vision and Pattern Recognition",
}
JOURNALS = ["Journal of Machine Learning Research", "Neural Computation", "Nature",
            "{IEEE} Transactions on Pattern Analysis and Machine Intelligence"]  # fmt: skip


def latex(text: str) -> str:
    """The generator writes accents the way hand-written .bib files do."""
    table = {"ä": '{\\"a}', "é": "{\\'e}", "á": "{\\'a}", "Ł": "{\\L}", "ł": "{\\l}", "ę": "{\\k{e}}",
             "ö": '{\\"o}', "ü": '{\\"u}', "ó": "{\\'o}"}  # fmt: skip
    return "".join(table.get(c, c) for c in text)


def generate(n: int, seed: int = 0) -> str:
    rng = random.Random(seed)
    out = [f'@string{{{key} = "{name}"}}\n' for key, name in VENUES.items()]
    for i in range(n):
        authors = []
        for _ in range(rng.randint(1, 6)):
            von = rng.choice(VON)
            family = f"{von} {rng.choice(FAMILY)}".strip()
            authors.append(latex(f"{family}, {rng.choice(GIVEN)}"))
        words = rng.sample(WORDS, rng.randint(4, 9))
        if rng.random() < 0.4:
            words.insert(rng.randint(0, len(words)), "{" + rng.choice(ACRONYMS) + "}")
        title = " ".join(words).capitalize() + f" {i}"
        year = rng.randint(1990, 2024)
        kind = rng.random()
        fields = [f"  author = {{{' and '.join(authors)}}}", f"  title = {{{title}}}", f"  year = {{{year}}}"]
        if kind < 0.5:
            entry_type = "inproceedings"
            fields.append(f"  booktitle = {rng.choice(list(VENUES))}")
            fields.append(f"  pages = {{{rng.randint(1, 900)}--{rng.randint(901, 2000)}}}")
        elif kind < 0.8:
            entry_type = "article"
            fields.append(f"  journal = {{{rng.choice(JOURNALS)}}}")
            fields.append(f"  volume = {{{rng.randint(1, 40)}}}")
            fields.append(f"  number = {{{rng.randint(1, 12)}}}")
        else:
            entry_type = "misc"
        if rng.random() < 0.4:
            fields.append(f"  eprint = {{{rng.randint(1501, 2412)}.{i:05d}}}")
            fields.append("  archivePrefix = {arXiv}")
            fields.append(f"  primaryClass = {{{rng.choice(['cs.LG', 'stat.ML', 'cs.CV'])}}}")
        if rng.random() < 0.5:
            fields.append(f"  doi = {{10.{rng.randint(1000, 9999)}/bench.{i}}}")
        if rng.random() < 0.3:
            fields.append("  abstract = {" + " ".join(rng.choices(WORDS, k=60)) + " 50\\% better.}")
        if rng.random() < 0.3:
            fields.append("  keywords = {generative models, deep learning}")
        if rng.random() < 0.2:
            fields.append("  url = {https://example.org/papers/" + str(i) + "}")
        out.append(f"@{entry_type}{{bench{i},\n" + ",\n".join(fields) + "\n}\n")
    return "\n".join(out)


def timed(run, setup=None) -> tuple[float, float]:
    """(wall seconds, CPU seconds of this process) for one call of ``run``."""
    if setup:
        setup()
    wall, cpu = time.perf_counter(), time.process_time()
    run()
    return time.perf_counter() - wall, time.process_time() - cpu


def best_pair(repeat: int, bare, ours, ours_setup=None) -> tuple[tuple[float, float], tuple[float, float]]:
    """Best (wall, CPU) of ``repeat`` runs each, the bare and our operation alternating so that both see
    the same machine load (the figures come from a shared machine)."""
    bare_runs, our_runs = [], []
    for _ in range(repeat):
        bare_runs.append(timed(bare))
        our_runs.append(timed(ours, ours_setup))
    return min(bare_runs), min(our_runs)


def clear() -> None:
    with connection.cursor() as cursor:
        cursor.execute(
            "TRUNCATE papers_authorship, papers_paperlink, papers_erratum, papers_paper, papers_author, "
            "papers_venue RESTART IDENTITY CASCADE"
        )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--entries", type=int, default=10_000)
    parser.add_argument("--repeat", type=int, default=3)
    args = parser.parse_args()
    if connection.vendor != "postgresql":
        sys.exit("set DATABASE_URL to a PostgreSQL database (the figures are for PostgreSQL)")
    logging.getLogger("bibtexparser").setLevel(logging.ERROR)  # its 10,000-block write warning

    text = generate(args.entries)
    size = len(text.encode())
    print(f"generated {args.entries} entries, {size / 1e6:.1f} MB")

    library = None

    def bare_parse():
        nonlocal library
        library = bibtexparser.parse_string(text)

    test_db = connection.creation.create_test_db(verbosity=0, autoclobber=True, keepdb=False)
    try:
        report = None

        def do_import():
            nonlocal report
            report = bibtex_import(text=text, max_bytes=size + 1)

        parse_t, import_t = best_pair(args.repeat, bare_parse, do_import, ours_setup=clear)
        assert len(library.entries) == args.entries and not library.failed_blocks
        assert len(report.created) == args.entries, report.summary()
        papers, authors, venues = Paper.objects.count(), Author.objects.count(), Venue.objects.count()
        authorships = Authorship.objects.count()

        exported = ""

        def do_export():
            nonlocal exported
            exported = bibtex_export(papers=Paper.objects.all())

        write_t, export_t = best_pair(args.repeat, lambda: bibtexparser.write_string(library), do_export)
        assert bibtexparser.parse_string(exported).failed_blocks == []
        inplace = default_unparse_stack(allow_inplace_modification=True)
        copies = [bibtexparser.parse_string(text) for _ in range(args.repeat)]
        write_inplace_t = min(
            timed(lambda c=c: bibtexparser.write_string(c, unparse_stack=inplace)) for c in copies
        )
    finally:
        connection.creation.destroy_test_db(test_db, verbosity=0)

    n = args.entries
    print(f"database: PostgreSQL (throw-away {test_db}); {papers} papers, {authors} authors, "
          f"{authorships} authorships, {venues} venues")  # fmt: skip
    print(
        f"best of {args.repeat}; wall seconds (CPU seconds of this process; PostgreSQL's work is not in it)"
    )
    rows = [
        ("bare parse  bibtexparser.parse_string", parse_t, ""),
        ("import      bibtex_import -> PostgreSQL", import_t,
         f"{n / import_t[0]:.0f} entries/s (bare parse {n / parse_t[0]:.0f}/s); "
         f"ratio {import_t[0] / parse_t[0]:.2f}x wall, {import_t[1] / parse_t[1]:.2f}x CPU (target <= 3x)"),
        ("bare write  bibtexparser.write_string", write_t, ""),
        (f"export      bibtex_export, {n} papers", export_t,
         f"ratio {export_t[0] / write_t[0]:.2f}x wall, {export_t[1] / write_t[1]:.2f}x CPU (target <= 2x)"),
        ("(reference) write_string, in-place stack", write_inplace_t,
         f"export / this: {export_t[0] / write_inplace_t[0]:.2f}x wall"),
    ]  # fmt: skip
    for label, (wall, cpu), note in rows:
        print(f"{label:42} {wall:7.3f} s ({cpu:6.3f} s CPU)  {note}")


if __name__ == "__main__":
    main()
