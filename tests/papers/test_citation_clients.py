"""The whole bibliography through the real clients: bibtex (natbib, plainnat), biber (biblatex) and pandoc's
citeproc on the CSL-JSON. Zero warnings, and the printed text keeps en dashes, protected capitals and accents.

`make test` installs the clients (Debian's texlive-latex-base, texlive-latex-recommended,
texlive-bibtex-extra, biber and pandoc) when they are missing.
"""

import re
import shutil
import subprocess
from pathlib import Path

import pytest

from papers.citations import bibtex_export, papers_csl_json, papers_ris, with_citation_data
from papers.imports import bibtex_import
from papers.models import Paper

ATLAS_BIB = Path(__file__).resolve().parents[2] / "papers" / "content" / "atlas.bib"
PROTECTED = ("Boltzmann Machines", "Nash Equilibrium", "Variational Bayes", "Real NVP")

pytestmark = pytest.mark.django_db


def _need(*tools: str) -> None:
    missing = [tool for tool in tools if shutil.which(tool) is None]
    if missing:
        pytest.skip(f"{', '.join(missing)} not installed (make test installs it)")


def _run(args: list[str], cwd: Path) -> subprocess.CompletedProcess:
    return subprocess.run(args, cwd=cwd, capture_output=True, text=True, timeout=120, check=False)


@pytest.fixture
def atlas(db) -> list[Paper]:
    report = bibtex_import(paths=[ATLAS_BIB])
    assert not report.failed
    return list(with_citation_data(Paper.objects.order_by("citation_key")))


def _flat(text: str) -> str:
    """A .bbl as one line of text, braces gone (they only protect case)."""
    return " ".join(text.replace("{", "").replace("}", "").split())


def test_plainnat_prints_with_no_warning_and_keeps_proper_nouns(atlas, tmp_path):
    _need("bibtex", "kpsewhich")
    (tmp_path / "atlas.bib").write_text(bibtex_export(papers=atlas), encoding="utf-8")
    (tmp_path / "doc.aux").write_text("\\relax\n\\citation{*}\n\\bibstyle{plainnat}\n\\bibdata{atlas}\n")
    result = _run(["bibtex", "doc"], tmp_path)
    log = (tmp_path / "doc.blg").read_text(encoding="utf-8", errors="replace")
    assert result.returncode == 0, log
    assert [line for line in log.splitlines() if line.startswith("Warning")] == []
    printed = _flat((tmp_path / "doc.bbl").read_text(encoding="utf-8"))
    for phrase in PROTECTED:
        assert phrase in printed
    assert "boltzmann machines" not in printed
    # Provenance never prints in a reader's bibliography.
    assert "IEEE Xplore" not in printed and "could not be opened" not in printed


def test_biber_reads_the_export_with_no_warning(atlas, tmp_path):
    _need("biber", "latex")
    (tmp_path / "atlas.bib").write_text(bibtex_export(papers=atlas), encoding="utf-8")
    (tmp_path / "doc.tex").write_text(
        "\\documentclass{article}\\usepackage[backend=biber]{biblatex}\\addbibresource{atlas.bib}"
        "\\begin{document}\\nocite{*}\\printbibliography\\end{document}\n"
    )
    latex = _run(["latex", "-interaction=nonstopmode", "doc.tex"], tmp_path)
    assert (tmp_path / "doc.bcf").exists(), latex.stdout[-2000:]
    result = _run(["biber", "doc"], tmp_path)
    log = (tmp_path / "doc.blg").read_text(encoding="utf-8", errors="replace")
    assert result.returncode == 0, log
    assert re.findall(r"WARN|ERROR", log) == [], log
    bbl = (tmp_path / "doc.bbl").read_text(encoding="utf-8")
    assert "Łukasz" in bbl.replace("{", "").replace("}", "")
    assert "IEEE Xplore" not in bbl and "\\field{abstract}" not in bbl


def test_pandoc_citeproc_reads_the_csl_json_with_no_warning(atlas, tmp_path):
    _need("pandoc")
    (tmp_path / "atlas.json").write_text(papers_csl_json(papers=atlas), encoding="utf-8")
    (tmp_path / "doc.md").write_text('---\nnocite: "@*"\n---\n', encoding="utf-8")
    result = _run(
        ["pandoc", "doc.md", "--citeproc", "--bibliography", "atlas.json", "-t", "plain", "--wrap=none"],
        tmp_path,
    )
    assert result.returncode == 0 and result.stderr == "", result.stderr
    text = result.stdout
    assert re.findall(r".{30}--.{10}", text) == []  # LaTeX's dash became the en dash it stands for
    assert "Encoder–Decoder" in text and "13–15" in text
    assert "β-VAE" in text and "Β-VAE" not in text  # the Greek letter is not capitalised by the style
    assert "Łukasz Kaiser" in text or "Kaiser, Łukasz" in text
    assert "Aäron" in text
    assert "OpenAI" in text  # GPT-1 and GPT-2 name who issued them


def test_exports_outside_bibtex_carry_no_latex_no_summary_and_no_provenance(atlas):
    csl = papers_csl_json(papers=atlas)
    ris = papers_ris(papers=atlas)
    for text in (csl, ris):
        assert "--" not in text
        assert re.search(r"\\[A-Za-z]+|\{\\", text) is None  # no LaTeX macro
        assert "IEEE Xplore" not in text and "could not be opened" not in text
    assert '"abstract"' not in csl and "\r\nAB  -" not in ris
