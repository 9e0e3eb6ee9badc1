"""Template tags that let the catalog's and the papers' pages show results without importing this app:
``{% load benchmark_tags %}{% scores family=family %}`` on a family page, ``paper=`` on a paper page,
``model=`` on a model page, and ``{% zoo_comparison %}`` for /compare/."""

from django import template

from benchmarks import selectors

register = template.Library()


@register.inclusion_tag("benchmarks/scores.html")
def scores(*, family=None, paper=None, model=None, heading: str = "How this family scores"):
    """The record's best result on each board (a paper: every result it reported), its rank there, and
    the board's best."""
    every = paper is not None
    return {
        "standings": selectors.standings(family=family, paper=paper, model=model, every=every),
        "heading": heading,
        "every": every,
    }


@register.inclusion_tag("benchmarks/compare_scores.html")
def compare_scores(*, families):
    """For /compare/: each board's best result per family, published and measured."""
    return {"table": selectors.family_comparison(families=list(families))}
