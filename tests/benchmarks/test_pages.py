"""The benchmark pages, their filters and downloads, and the results on family, paper, model and compare
pages: content asserted, not only status codes, and query counts that stay flat as results grow."""

import csv
import io
import json
from decimal import Decimal

import bibtexparser
import factory
import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from tests import factories as f


@pytest.fixture
def pages(board, client):
    return client


def _text(response) -> str:
    return response.content.decode()


@pytest.mark.django_db
def test_the_index_lists_each_board_with_its_best_count_and_families(pages, board):
    f.BenchmarkFactory(slug="zoo-fd", name="Zoo FD", measured_field="fd")
    html = _text(pages.get("/benchmarks/"))
    assert "Toy FID" in html and "7 results" in html and "Best: <strong>1.97</strong> — EDM" in html
    assert 'class="family-tag fam-gans"' in html and "Measured here" in html and "Zoo FD" in html
    only_measured = _text(pages.get("/benchmarks/?family=gans"))
    assert "Toy FID" in only_measured and "Zoo FD" not in only_measured


@pytest.mark.django_db
def test_a_leaderboard_ranks_links_and_cites_every_row(pages, board):
    html = _text(pages.get("/benchmarks/toy-fid/"))
    order = [html.index(f">{name}<") for name in ("EDM", "Score SDE", "DDPM", "BigGAN", "DCGAN")]
    assert order == sorted(order)
    ddpm = board.results["DDPM"]
    assert ddpm.paper.get_absolute_url() in html
    assert f'<a href="{ddpm.source_url}" rel="noopener">Table 1</a>, row “DDPM”, p. 6, arXiv v2' in html
    assert "<svg" in html and "state of the art" in html
    assert 'href="/benchmarks/toy-fid/results.csv"' in html and "papers as .bib" in html
    assert "extra data" in html  # StyleGAN2-ADA's flag


@pytest.mark.django_db
def test_a_board_links_the_same_dataset_and_metric_under_other_protocols(pages, board):
    other = f.BenchmarkFactory(
        slug="toy-fid-conditional",
        dataset=board.benchmark.dataset,
        metric=board.benchmark.metric,
        conditioning="class-conditional",
    )
    f.PublishedResultFactory(benchmark=other, variant="cond", value=Decimal("1.0"))
    html = _text(pages.get("/benchmarks/toy-fid/"))
    assert 'ranked apart: <a href="/benchmarks/toy-fid-conditional/">class-conditional</a> (1)' in html
    assert ">cond<" not in html


@pytest.mark.django_db
def test_a_bound_is_marked_on_the_board(client):
    benchmark = f.BenchmarkFactory(slug="nll", metric__bound="upper", metric__abbreviation="NLL")
    f.PublishedResultFactory(benchmark=benchmark, variant="Ours (L)", value=Decimal("3.70"), is_bound=True)
    html = _text(client.get("/benchmarks/nll/"))
    assert '<abbr title="a bound">≤</abbr> 3.7' in html


@pytest.mark.django_db
def test_filters_narrow_the_board_and_keep_ranks(pages, board):
    html = _text(pages.get("/benchmarks/toy-fid/?family=gans&year_from=2019"))
    assert "<strong>2</strong> of 7 results match the filters" in html
    models = [cell.split("<")[0].strip() for cell in html.split('data-label="Model">')[1:]]
    assert models == ["StyleGAN2-ADA", "BigGAN"]
    assert '<td data-label="Rank">4</td>' in html  # StyleGAN2-ADA keeps its rank on the whole board


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("query", "message"),
    [
        ("family=%00", "contains a NUL character"),  # refused before any view (config middleware)
        ("family=nobody", "Family: Select a valid choice; this one is not in the list."),
        ("year_from=abc", "From year: Enter a whole number."),
        ("year_from=3000", "From year: Ensure this value is less than or equal to 2100."),
        ("year_from=2022&year_to=2020", "Filters: &#x27;From year&#x27; is after &#x27;to year&#x27;."),
        ("kind=rumour", "Source: Select a valid choice; this one is not in the list."),
    ],
)
def test_bad_filters_are_a_400_that_says_what_was_wrong(pages, board, query, message):
    for path in (
        "/benchmarks/toy-fid/",
        "/benchmarks/toy-fid/results.csv",
        "/benchmarks/toy-fid/results.json",
    ):
        response = pages.get(f"{path}?{query}")
        assert response.status_code == 400, path
        assert message in _text(response)
    assert pages.get("/benchmarks/?dataset=%00").status_code == 400
    assert pages.get("/benchmarks/nope/").status_code == 404


@pytest.mark.django_db
def test_downloads_hold_every_row_with_its_provenance(pages, board):
    rows = list(csv.DictReader(io.StringIO(_text(pages.get("/benchmarks/toy-fid/results.csv")))))
    assert [r["variant"] for r in rows][:3] == ["EDM", "EDM (VE)", "Score SDE"]
    assert [r["rank"] for r in rows] == ["1", "1", "3", "4", "5", "6", "7"]
    assert rows[0]["source_table"] == "Table 1" and rows[0]["source_url"].startswith("https://")
    document = json.loads(_text(pages.get("/benchmarks/toy-fid/results.json?family=gans")))
    assert document["benchmark"]["higher_is_better"] is False
    assert [r["variant"] for r in document["results"]] == ["StyleGAN2-ADA", "BigGAN", "DCGAN"]
    assert document["results"][0]["extra_data"] is True and document["results"][0]["rank"] == 4
    bib = bibtexparser.parse_string(_text(pages.get("/benchmarks/toy-fid/papers.bib")))
    assert not bib.failed_blocks
    assert {e.key for e in bib.entries} == {r.paper.citation_key for r in board.results.values()}


@pytest.mark.django_db
def test_family_paper_model_and_compare_pages_show_the_scores(pages, board):
    family = _text(pages.get(board.diffusion.get_absolute_url()))
    assert "How this family scores" in family and "1 of 7" in family and "Toy FID" in family
    paper = _text(pages.get(board.results["BigGAN"].paper.get_absolute_url()))
    assert "Results reported in this paper" in paper and "6 of 7" in paper
    model = f.ExampleModelFactory(slug="ddpm", name="DDPM", families=[board.diffusion])
    board.results["DDPM"].model = model
    board.results["DDPM"].save()
    assert "5 of 7" in _text(pages.get("/models/ddpm/"))
    compare = _text(pages.get("/compare/"))
    assert "On the benchmarks" in compare and "2.92" in compare and "1.97" in compare


@pytest.mark.django_db
def test_the_zoo_page_shows_the_table_charts_and_sample_grids(client):
    board = f.BenchmarkFactory(slug="digits-fd", name="Digits FD", measured_field="fd", metric__decimals=0)
    f.MeasuredResultFactory(benchmark=board, variant="dcgan", zoo_model="dcgan", value=Decimal("94.48"))
    f.MeasuredResultFactory(
        benchmark=board, variant="real-digits", zoo_model="real-digits", role="reference", family=None
    )
    html = _text(client.get("/benchmarks/zoo/"))
    assert ">dcgan" in html and ">94<" in html and "real data" in html
    assert 'class="chart bars"' in html
    assert "/static/benchmarks/zoo/dcgan.png" in html  # the committed grid
    assert "python -m generation.zoo sample dcgan --n 16 --seed 0" in html


@pytest.mark.django_db
def test_the_zoo_page_has_a_table_per_data_set_with_intervals(client):
    digits = f.BenchmarkFactory(
        name="Digits FD",
        measured_field="fd",
        metric__decimals=0,
        dataset__name="Digits",
        dataset__resolution=8,
    )
    fashion = f.BenchmarkFactory(
        name="Fashion FD",
        measured_field="fd",
        metric=digits.metric,
        dataset__name="Fashion",
        dataset__slug="fashion-zoo",
        dataset__resolution=28,
    )
    f.MeasuredResultFactory(benchmark=digits, zoo_model="dcgan", value=Decimal("94.48"))
    f.MeasuredResultFactory(
        benchmark=fashion, zoo_model="dcgan-fashion", value=Decimal("31.2"), error=Decimal("2.25")
    )
    html = _text(client.get("/benchmarks/zoo/"))
    fashion_part, digits_part = html.split('id="fashion-zoo"')[1].split(f'id="{digits.dataset.slug}"')
    assert "dcgan-fashion" in fashion_part and ">dcgan<" not in fashion_part.replace(">dcgan-", "")
    assert "± 2.2" in fashion_part  # half the 95% interval, to at least one decimal
    assert 'class="interval"' in fashion_part  # the whisker on the bar
    assert ">dcgan" in digits_part and "dcgan-fashion" not in digits_part.split("What each model draws")[0]


def _queries(client, path: str) -> int:
    with CaptureQueriesContext(connection) as captured:
        assert client.get(path).status_code == 200
    return len(captured)


@pytest.mark.django_db
def test_query_counts_stay_flat_from_10_to_1000_results(client, settings):
    settings.CACHES = {"default": {"BACKEND": "django.core.cache.backends.dummy.DummyCache"}}
    benchmark = f.BenchmarkFactory(slug="flat")
    family = f.FamilyFactory()
    papers = [f.PaperFactory(authors=[f.AuthorFactory()]) for _ in range(10)]

    def grow(to: int) -> None:
        start = benchmark.results.count()
        f.PublishedResultFactory.create_batch(
            to - start,
            benchmark=benchmark,
            family=family,
            paper=papers[start % 10],
            variant=factory.Sequence(lambda n: f"v{n}"),
        )

    paths = ["/benchmarks/", "/benchmarks/flat/", "/benchmarks/flat/results.csv", family.get_absolute_url()]
    grow(10)
    small = [_queries(client, path) for path in paths]
    grow(1000)
    large = [_queries(client, path) for path in paths]
    assert large == small, dict(zip(paths, zip(small, large, strict=True), strict=True))


@pytest.mark.django_db
def test_the_zoo_page_reads_each_composition_against_its_parts(client):
    from benchmarks.selectors import zoo_compositions

    compositions = zoo_compositions()  # the committed results/compositions.json
    assert {c.name for c in compositions} >= {"latent-diffusion-fashion", "gpt-vq-fashion"}
    html = client.get("/benchmarks/zoo/").content.decode()
    section = html.split('id="compositions-head"')[1].split('id="samples-head"')[0]
    for composition in compositions:
        assert f'id="composition-{composition.name}"' in section
        for verdict in composition.verdicts:
            row = section.split(f"{composition.name} vs {verdict['part']}</th>")[1].split("</tr>")[0]
            cells = [cell.split("</td>")[0] for cell in row.split('<td class="num">')[1:]]
            assert cells == [
                verdict[key] for key in ("fd", "precision", "recall", "bits_per_dim", "samples_per_s")
            ]
        mine = composition.rows[0]
        assert f"{mine['fd']:.2f} <span" in section  # with its interval beside it
