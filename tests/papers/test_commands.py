"""The import_bibtex and export_bibtex management commands."""

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError

from papers.models import Paper
from tests.factories import PaperFactory

pytestmark = pytest.mark.django_db


def run(*args):
    from io import StringIO

    out, err = StringIO(), StringIO()
    call_command(*args, stdout=out, stderr=err)
    return out.getvalue(), err.getvalue()


def test_import_real_world_files(shared_bib):
    out, _ = run(
        "import_bibtex", str(shared_bib / "standardstrings.bib"), str(shared_bib / "bibliography.bib")
    )
    assert "345 created" in out
    assert Paper.objects.count() == 345


def test_import_dirty_partial_reports_each_bad_block_by_line(shared_bib):
    files = [str(shared_bib / "standardstrings.bib"), str(shared_bib / "dirty.bib")]
    with pytest.raises(CommandError) as info:
        run("import_bibtex", *files, "--partial")
    assert info.value.returncode == 1
    assert Paper.objects.count() > 90  # the good entries stay


def test_import_dirty_partial_output(shared_bib, capsys):
    files = [str(shared_bib / "standardstrings.bib"), str(shared_bib / "dirty.bib")]
    from io import StringIO

    err = StringIO()
    with pytest.raises(CommandError):
        call_command("import_bibtex", *files, "--partial", stdout=StringIO(), stderr=err)
    lines = [line for line in err.getvalue().splitlines() if line.startswith("failed: ")]
    assert len(lines) == 23
    assert "dirty.bib:965 [CONTEXTADAPTIVEENTROPYMODEL]: duplicate citation key" in err.getvalue()
    assert "dirty.bib:1387 [chenLearningVideoCompression2018]: field given twice: journal" in err.getvalue()


def test_import_command_errors_are_messages_not_tracebacks(tmp_path, settings):
    with pytest.raises(CommandError, match="no such file"):
        run("import_bibtex", str(tmp_path / "missing.bib"))
    big = tmp_path / "big.bib"
    big.write_text("@misc{a, title={A}}\n" * 50)
    settings.BIBTEX_MAX_BYTES = 100
    with pytest.raises(CommandError, match="BIBTEX_MAX_BYTES"):
        run("import_bibtex", str(big))


def test_export_all_keys_and_file(tmp_path):
    PaperFactory(citation_key="a2020x", title="Alpha")
    PaperFactory(citation_key="b2020y", title="Beta")
    out, _ = run("export_bibtex")
    assert "@inproceedings{a2020x," in out and "@inproceedings{b2020y," in out
    out, _ = run("export_bibtex", "--keys", "b2020y")
    assert "a2020x" not in out and "b2020y" in out
    target = tmp_path / "out.bib"
    _, err = run("export_bibtex", "-o", str(target))
    assert "wrote 2 entries" in err
    assert target.read_text().count("@inproceedings{") == 2
    with pytest.raises(CommandError, match="unknown citation key"):
        run("export_bibtex", "--keys", "nope")
