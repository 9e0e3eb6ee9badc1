"""The small write services the admin and API call: paper_upsert, author_get_or_create, venue_resolve."""

import pytest

from papers.bibtex import AuthorName
from papers.models import Author, Venue
from papers.services import author_get_or_create, paper_upsert, venue_resolve

pytestmark = pytest.mark.django_db


def test_author_get_or_create_keeps_name_parts_and_unique_slugs():
    oord = author_get_or_create(given="Aäron", von="van den", family="Oord")
    assert (oord.slug, oord.display_name, oord.bibtex_name) == (
        "aaron-van-den-oord", "Aäron van den Oord", "van den Oord, Aäron",
    )  # fmt: skip
    assert author_get_or_create(given="Aäron", von="van den", family="Oord") == oord
    other = author_get_or_create(given="Aaron", von="van den", family="Oord")
    assert other != oord and other.slug == "aaron-van-den-oord-2"
    assert Author.objects.count() == 2


@pytest.mark.parametrize(
    ("kwargs", "slug", "short"),
    [
        ({"booktitle": "Advances in Neural Information Processing Systems 27", "year": 2014}, "nips", "NIPS"),
        (
            {"booktitle": "Advances in Neural Information Processing Systems 33", "year": 2020},
            "neurips",
            "NeurIPS",
        ),
        ({"booktitle": "Proc. ICML", "year": 2016, "entry_type": "inproceedings"}, "icml", "ICML"),
        ({"journal": "arXiv preprint arXiv:1312.6114", "entry_type": "article"}, "arxiv", "arXiv"),
        ({"arxiv_id": "1312.6114", "entry_type": "misc"}, "arxiv", "arXiv"),
        ({"journal": "Neural Computation", "entry_type": "article"}, "neural-computation", "Neural Comput."),
    ],
)
def test_venue_resolve(kwargs, slug, short):
    venue = venue_resolve(**kwargs)
    assert (venue.slug, venue.short_name) == (slug, short)
    assert venue_resolve(**kwargs) == venue  # found again, not created twice


def test_unknown_venues_are_created_once_by_name():
    first = venue_resolve(journal="Acta Mathematica Hungarica", entry_type="article")
    assert (first.slug, first.kind) == ("acta-mathematica-hungarica", Venue.Kind.JOURNAL)
    assert venue_resolve(journal="acta mathematica hungarica", entry_type="article") == first
    assert venue_resolve() is None


def test_paper_upsert_creates_then_matches():
    paper, outcome = paper_upsert(
        title="Denoising Diffusion Probabilistic Models", year=2020, entry_type="inproceedings",
        booktitle="Advances in Neural Information Processing Systems 33",
        authors=[AuthorName("Jonathan", "", "Ho", ""), AuthorName("Ajay", "", "Jain", "")],
    )  # fmt: skip
    assert (paper.citation_key, outcome) == ("ho2020denoising", "created")
    assert paper.venue.short_name == "NeurIPS"
    same, outcome = paper_upsert(title="Denoising Diffusion Probabilistic Models", year=2020, pages="6840")
    assert (same.pk, outcome, same.pages, same.entry_type) == (paper.pk, "updated", "6840", "inproceedings")
    assert [a.author.family for a in same.authorships.order_by("position")] == ["Ho", "Jain"]
    assert paper_upsert(title="denoising diffusion probabilistic models!", year=2020)[1] == "updated"
    assert paper_upsert(title="denoising diffusion probabilistic models!", year=2020)[1] == "unchanged"
    with pytest.raises(ValueError, match="title"):
        paper_upsert(title="")
