"""Name splitting: the fast paths give bibtexparser's answer, on real files and on random names."""

import re

import bibtexparser
from bibtexparser.middlewares.names import parse_single_name_into_parts, split_multiple_persons_names
from hypothesis import given, settings
from hypothesis import strategies as st

from papers.bibtex import AuthorName, _split_name, format_name, parse_names, split_persons
from papers.latex import latex_to_text


def reference(name: str) -> AuthorName:
    parts = parse_single_name_into_parts(re.sub(r"(?<!\\)~", " ", name), strict=False)  # a tie, not \~
    given, von, family, suffix = (
        latex_to_text(" ".join(p)) for p in (parts.first, parts.von, parts.last, parts.jr)
    )
    if not family and given:
        given, family = "", given
    return AuthorName(given, von, family, suffix)


def test_fast_split_matches_bibtexparser_on_real_files(shared_bib):
    checked = 0
    for name in ("bibliography.bib", "dirty.bib"):
        library = bibtexparser.parse_string((shared_bib / name).read_text())
        for entry in library.entries:
            if "author" not in entry.fields_dict:
                continue
            raw = entry["author"]
            assert split_persons(raw) == split_multiple_persons_names(raw)
            for person in split_multiple_persons_names(raw):
                assert _split_name(person) == reference(person), person
                checked += 1
    assert checked > 1500


words = st.text(alphabet="abcdeABCDEéÉ.-", min_size=1, max_size=6)
plain_names = st.lists(words, min_size=1, max_size=5).map(" ".join)


@settings(max_examples=300, deadline=None)
@given(names=st.lists(st.one_of(plain_names, st.tuples(plain_names, plain_names).map(", ".join)), max_size=4))
def test_fast_split_matches_bibtexparser_on_random_names(names):
    raw = " and ".join(names)
    assert split_persons(raw) == split_multiple_persons_names(raw)
    for person in split_persons(raw):
        assert _split_name(person) == reference(person)


def test_formatted_names_split_back_to_the_same_parts():
    for name in [
        AuthorName("Aäron", "van den", "Oord", ""),
        AuthorName("Ties", "", "van Rozendaal", ""),
        AuthorName("Martin Luther", "", "King", "Jr."),
        AuthorName("", "", "Plato", ""),
        AuthorName("Jean", "de la", "Fontaine", ""),
        AuthorName("Luc", "", "Van Gool", ""),
    ]:
        (parsed,), etal = parse_names(format_name(name))
        assert parsed == name and not etal
