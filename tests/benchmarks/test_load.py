"""Loading the benchmarks: from the content files and the zoo's results, idempotent, all or nothing."""

import json
from decimal import Decimal

import pytest

from benchmarks.models import Benchmark, Dataset, Metric, Result
from benchmarks.services import benchmarks_load
from catalog.content_files import CatalogContentError
from tests.benchmarks.conftest import edit, zoo_row


def test_a_load_creates_every_record_and_a_second_changes_nothing(linked, content, zoo_results):
    first = benchmarks_load(content_dir=content, zoo_results_dir=zoo_results)
    assert (first["datasets"].created, first["metrics"].created, first["benchmarks"].created) == (1, 3, 2)
    assert first["results"].created == 2 + 3  # two published; dcgan, the baseline and the reference

    again = benchmarks_load(content_dir=content, zoo_results_dir=zoo_results)
    assert again.changed == 0
    assert again["results"].unchanged == 5


def test_published_rows_carry_their_source(linked, content, zoo_results):
    benchmarks_load(content_dir=content, zoo_results_dir=zoo_results)
    ddpm = Result.objects.get(paper__citation_key="ho2020denoising")
    assert ddpm.kind == "published"
    assert ddpm.value == Decimal("3.17") and ddpm.year == 2020 and ddpm.family == linked.diffusion
    assert (ddpm.source_table, ddpm.source_row, ddpm.source_page) == ("Table 1", "Ours (L_simple)", 6)
    assert ddpm.source_version == "arXiv v2" and ddpm.source_url.startswith("https://arxiv.org/")
    assert ddpm.source_label == 'Table 1, row "Ours (L_simple)", p. 6, arXiv v2'
    biggan = Result.objects.get(variant="BigGAN")
    assert biggan.error == Decimal("0.2") and biggan.source_page is None and biggan.year == 2019
    edit(content / "boards" / "toy-fid.yaml", "value: 14.73", "value: 14.70")
    benchmarks_load(content_dir=content, zoo_results_dir=zoo_results)
    assert Result.objects.select_related("benchmark__metric").get(variant="BigGAN").value_text == "14.70"
    assert Metric.objects.get(slug="fid").paper == linked.fid


def test_measured_rows_come_from_the_zoo_results_files(linked, content, zoo_results):
    benchmarks_load(content_dir=content, zoo_results_dir=zoo_results)
    rows = {r.zoo_model: r for r in Result.objects.filter(kind="measured")}
    assert set(rows) == {"dcgan", "kde-pca", "real-digits"}  # gpt-names has no FD
    dcgan = rows["dcgan"]
    assert dcgan.value == Decimal("94.48") and dcgan.family == linked.gans and dcgan.role == "model"
    assert dcgan.checkpoint_sha256 == "ab" * 32
    assert dcgan.command == "python -m generation.zoo evaluate dcgan"
    assert dcgan.results_file == "generation/zoo/results/dcgan.json"
    assert dcgan.checked_on.isoformat() == "2026-11-23" and dcgan.year == 2026
    assert (rows["kde-pca"].role, rows["kde-pca"].family) == ("baseline", None)
    assert (rows["real-digits"].role, rows["real-digits"].note) == ("reference", "the validation digits")

    # A re-evaluated model updates its row; a removed results file removes it. Nothing is copied by hand.
    (zoo_results / "dcgan.json").write_text(json.dumps(zoo_row("dcgan", "gans", 80.0)))
    (zoo_results / "kde-pca.json").unlink()
    report = benchmarks_load(content_dir=content, zoo_results_dir=zoo_results)
    assert (report["results"].updated, report["results"].deleted) == (1, 1)
    assert Result.objects.get(zoo_model="dcgan").value == Decimal("80")
    assert not Result.objects.filter(zoo_model="kde-pca").exists()


def test_a_bound_in_the_zoo_files_is_marked(linked, content, zoo_results):
    (content / "boards" / "toy-zoo-nll.yaml").write_text(
        "benchmark: {slug: toy-zoo-nll, name: Toy NLL, dataset: toy-images, metric: nll, "
        "protocol: test split, measured: bits_per_dim}\n"
    )
    for name, kind in (("vae", "bound"), ("pixelcnn", "exact")):
        row = zoo_row(name, "gans", None, bits_per_dim=2.1, bits_per_dim_kind=kind)
        (zoo_results / f"{name}.json").write_text(json.dumps(row))
    benchmarks_load(content_dir=content, zoo_results_dir=zoo_results)
    board = Result.objects.filter(benchmark__slug="toy-zoo-nll").select_related("benchmark__metric")
    marks = {r.zoo_model: (r.is_bound, r.bound_symbol) for r in board}
    assert marks == {"vae": (True, "≤"), "pixelcnn": (False, "")}


def test_records_the_files_no_longer_name_are_deleted(linked, content, zoo_results):
    benchmarks_load(content_dir=content, zoo_results_dir=zoo_results)
    (content / "boards" / "toy-zoo-fd.yaml").unlink()
    edit(content / "boards" / "toy-fid.yaml", "  - family: gans", "  - family: gans\n    extra_data: true")
    report = benchmarks_load(content_dir=content, zoo_results_dir=zoo_results)
    assert report["benchmarks"].deleted == 1 and report["metrics"].deleted == 0
    assert list(Benchmark.objects.values_list("slug", flat=True)) == ["toy-fid"]
    assert Result.objects.filter(kind="measured").count() == 0
    assert Result.objects.get(variant="BigGAN").extra_data is True


FID, ZOO = "boards/toy-fid.yaml", "boards/toy-zoo-fd.yaml"
BAD_EDITS = [
    (FID, "paper: ho2020denoising", "paper: nobody2020nothing",
     "toy-fid.yaml: result 1 (Ours (L_simple), line 8): unknown paper citation key 'nobody2020nothing'"),
    (FID, "family: gans", "family: gan",
     "toy-fid.yaml: result 2 (BigGAN, line 14): unknown family 'gan'"),
    (FID, "table: Table 1, ", "", "result 1 (Ours (L_simple), line 8): source: 'table' is required"),
    (FID, "value: 3.17", "value: three", "'value' must be a number, not 'three'"),
    (FID, "value: 3.17", "value: .nan", "'value' is out of range"),
    (FID, "variant: BigGAN", 'variant: "Big\\0GAN"', "'variant' contains a NUL byte"),
    (FID, "paper: brock2019large\n    variant: BigGAN",
     "paper: ho2020denoising\n    variant: Ours (L_simple)", "the same paper and variant"),
    (FID, "variant: BigGAN", "variant: BigGAN\n    x: 1", "unknown field(s) 'x'"),
    (FID, 'url: "https://openreview', 'url: "javascript:alert(1)//openreview',
     "'url' must be an http(s) URL"),
    (FID, "error: 0.2", "error: -0.2", "'error' must not be negative"),
    (FID, "checked_on: 2026-11-29}", "checked_on: yesterday}",
     "must be a date (YYYY-MM-DD)"),
    (FID, "slug: toy-fid", "slug: toy-fids", "must match the file name 'toy-fid'"),
    (FID, "metric: fid", "metric: is", "toy-fid.yaml: benchmark: unknown metric 'is'"),
    (FID, "results:", "results: [\n", "toy-fid.yaml: line"),
    (ZOO, "measured: fd", "measured: fd\nresults: [{variant: x}]",
     "a measured board takes its rows from the zoo's results files"),
    ("metrics.yaml", "higher_is_better: false\n    definition: A distance", "definition: A distance",
     "metrics.yaml: metric fid (line 2): 'higher_is_better' must be true or false"),
]  # fmt: skip


@pytest.mark.parametrize(("path", "old", "new", "message"), BAD_EDITS, ids=[b[3][:40] for b in BAD_EDITS])
def test_a_bad_file_names_the_file_and_item_and_writes_nothing(
    linked, content, zoo_results, path, old, new, message
):
    benchmarks_load(content_dir=content, zoo_results_dir=zoo_results)
    before = sorted(Result.objects.values_list("variant", "value", "updated_at"))
    edit(content / path, old, new)
    edit(content / "boards" / "toy-fid.yaml", "value: 14.73", "value: 14.5")  # a change that must not land
    with pytest.raises(CatalogContentError) as error:
        benchmarks_load(content_dir=content, zoo_results_dir=zoo_results)
    assert message in str(error.value)
    assert sorted(Result.objects.values_list("variant", "value", "updated_at")) == before


def test_a_broken_zoo_results_file_is_named(linked, content, zoo_results):
    (zoo_results / "dcgan.json").write_text("{not json")
    with pytest.raises(CatalogContentError, match=r"dcgan.json: not valid JSON"):
        benchmarks_load(content_dir=content, zoo_results_dir=zoo_results)
    (zoo_results / "dcgan.json").write_text(json.dumps(zoo_row("dcgan", "gans", 90.0) | {"sha256": ""}))
    with pytest.raises(CatalogContentError, match=r"a model's results need the checkpoint's 'sha256'"):
        benchmarks_load(content_dir=content, zoo_results_dir=zoo_results)
    assert not Dataset.objects.exists()


@pytest.mark.django_db
def test_load_catalog_loads_the_committed_boards_and_zoo_results():
    """The real content: every board loads with its papers, at least 50 published results with their
    sources, and one measured row per zoo results file that has the board's field."""
    from catalog.services import catalog_load

    report = catalog_load()
    published = Result.objects.filter(kind="published").select_related("paper")
    assert published.count() >= 50, published.count()
    for result in published:
        assert result.paper is not None and result.source_url.startswith(("https://", "http://")), result
        assert result.source_table and result.source_row and result.source_version, result
        assert result.year == result.paper.year
    measured = Result.objects.filter(kind="measured", benchmark__slug="digits-fd")
    assert {r.zoo_model for r in measured} >= {"dcgan", "vae", "ddpm", "pixelcnn", "real-digits", "kde-pca"}
    assert report["results"].created == Result.objects.count()
    assert catalog_load().changed == 0


def test_a_measured_board_takes_only_its_own_data_sets_rows_and_their_intervals(linked, content, zoo_results):
    (content / "datasets.yaml").write_text(
        (content / "datasets.yaml").read_text()
        + "  - {slug: digits-8x8, name: Digits, resolution: 8}\n"
        + "  - {slug: fashion-mnist-zoo, name: Fashion, resolution: 28}\n"
    )
    for dataset in ("digits-8x8", "fashion-mnist-zoo"):
        (content / "boards" / f"{dataset}-fd.yaml").write_text(
            f"benchmark: {{slug: {dataset}-fd, name: FD on {dataset}, dataset: {dataset}, metric: zoo-fd, "
            "protocol: N samples against the test split, measured: fd}\n"
        )
    rows = [
        zoo_row("vae", "gans", 40.0, dataset="digits", fd_low=35.5, fd_high=44.5),
        zoo_row("vae-fashion", "gans", 12.0, dataset="fashion", fd_low=11.0, fd_high=13.25),
    ]
    for row in rows:
        (zoo_results / f"{row['name']}.json").write_text(json.dumps(row))
    benchmarks_load(content_dir=content, zoo_results_dir=zoo_results)

    def board(slug):
        return {r.zoo_model: r.error for r in Result.objects.filter(benchmark__slug=slug)}

    # Files that predate the dataset field (dcgan, kde-pca, real-digits) stay on every board with their field.
    assert board("digits-8x8-fd") == {
        "vae": Decimal("4.5"),
        "dcgan": None,
        "kde-pca": None,
        "real-digits": None,
    }
    assert board("fashion-mnist-zoo-fd") == {
        "vae-fashion": Decimal("1.125"),
        "dcgan": None,
        "kde-pca": None,
        "real-digits": None,
    }

    broken = zoo_row("vae-fashion", "gans", 12.0, dataset="fashion", fd_low=14.0, fd_high=13.0)
    (zoo_results / "vae-fashion.json").write_text(json.dumps(broken))
    with pytest.raises(CatalogContentError, match="'fd_high' is below 'fd_low'"):
        benchmarks_load(content_dir=content, zoo_results_dir=zoo_results)


def test_two_boards_with_one_name_are_refused_by_file_and_nothing_is_written(linked, content, zoo_results):
    (content / "boards" / "toy-fid-again.yaml").write_text(
        (content / "boards" / "toy-fid.yaml").read_text().replace("slug: toy-fid", "slug: toy-fid-again")
    )
    with pytest.raises(
        CatalogContentError, match=r"toy-fid\.yaml: benchmark: name is also the name of toy-fid-again\.yaml"
    ):
        benchmarks_load(content_dir=content, zoo_results_dir=zoo_results)
    assert not Benchmark.objects.exists()
