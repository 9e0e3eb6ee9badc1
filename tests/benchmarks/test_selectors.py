"""Ranking by each metric's direction, ties, the reference row, the state of the art, filters and
standings."""

from decimal import Decimal

import pytest

from benchmarks import selectors
from benchmarks.selectors import BoardFilters
from tests import factories as f


def _names(rows) -> list[str]:
    return [row.result.variant for row in rows]


@pytest.mark.django_db
def test_lower_is_better_ranks_ascending_with_shared_ranks_for_ties(board):
    result = selectors.leaderboard(benchmark=board.benchmark)
    assert _names(result.rows) == [
        "EDM", "EDM (VE)", "Score SDE", "StyleGAN2-ADA", "DDPM", "BigGAN", "DCGAN",
    ]  # fmt: skip
    assert [row.rank for row in result.rows] == [1, 1, 3, 4, 5, 6, 7]
    assert [row.best for row in result.rows] == [True] + [False] * 6
    assert result.best.result.variant == "EDM" and result.total == 7 and result.years == (2016, 2022)


@pytest.mark.django_db
def test_higher_is_better_ranks_descending():
    benchmark = f.BenchmarkFactory(metric__higher_is_better=True)
    for variant, value in (("low", "5.1"), ("high", "9.4"), ("mid", "7.0")):
        f.PublishedResultFactory(benchmark=benchmark, variant=variant, value=Decimal(value))
    assert _names(selectors.leaderboard(benchmark=benchmark).rows) == ["high", "mid", "low"]


@pytest.mark.django_db
def test_the_reference_row_is_shown_but_not_ranked():
    benchmark = f.BenchmarkFactory(measured_field="fd")
    f.MeasuredResultFactory(benchmark=benchmark, variant="dcgan", value=Decimal("94"))
    f.MeasuredResultFactory(
        benchmark=benchmark, variant="real", value=Decimal("116"), role="reference", family=None
    )
    f.MeasuredResultFactory(benchmark=benchmark, variant="vae", value=Decimal("224"))
    rows = selectors.leaderboard(benchmark=benchmark).rows
    assert [(r.result.variant, r.rank) for r in rows] == [("dcgan", 1), ("real", None), ("vae", 2)]


@pytest.mark.django_db
def test_filters_keep_the_rank_on_the_whole_board(board):
    by_family = selectors.leaderboard(benchmark=board.benchmark, filters=BoardFilters(family="gans"))
    assert [(row.result.variant, row.rank) for row in by_family.rows] == [
        ("StyleGAN2-ADA", 4), ("BigGAN", 6), ("DCGAN", 7),
    ]  # fmt: skip
    assert by_family.total == 7
    years = selectors.leaderboard(
        benchmark=board.benchmark, filters=BoardFilters(year_from=2020, year_to=2021)
    )
    assert _names(years.rows) == ["Score SDE", "StyleGAN2-ADA", "DDPM"]
    clean = selectors.leaderboard(benchmark=board.benchmark, filters=BoardFilters(no_extra_data=True))
    assert "StyleGAN2-ADA" not in _names(clean.rows)


@pytest.mark.django_db
def test_the_state_of_the_art_is_each_result_that_beat_all_before_it(board):
    record = selectors.leaderboard(benchmark=board.benchmark).state_of_the_art
    assert [(r.year, r.variant) for r in record] == [
        (2016, "DCGAN"), (2019, "BigGAN"), (2020, "DDPM"), (2021, "Score SDE"), (2022, "EDM"),
    ]  # fmt: skip


@pytest.mark.django_db
def test_a_board_never_holds_another_boards_results(board):
    other = f.BenchmarkFactory(dataset=board.benchmark.dataset, metric=board.benchmark.metric, samples=10000)
    f.PublishedResultFactory(benchmark=other, variant="10k samples", value=Decimal("0.5"))
    assert "10k samples" not in _names(selectors.leaderboard(benchmark=board.benchmark).rows)


@pytest.mark.django_db
def test_standings_give_each_record_its_best_row_and_rank(board):
    [gans] = selectors.standings(family=board.gans)
    assert (gans.result.variant, gans.rank, gans.ranked_count) == ("StyleGAN2-ADA", 4, 7)
    assert gans.board_best.variant == "EDM"
    [paper] = selectors.standings(paper=board.results["DDPM"].paper)
    assert (paper.result.variant, paper.rank) == ("DDPM", 5)
    assert selectors.standings(family=f.FamilyFactory()) == []
    two = f.PublishedResultFactory(
        benchmark=board.benchmark, paper=paper.result.paper, family=board.diffusion, value=Decimal("3.75")
    )
    listed = selectors.standings(paper=two.paper, every=True)
    assert [(s.result.value, s.rank) for s in listed] == [(Decimal("3.17"), 5), (Decimal("3.75"), 6)]


@pytest.mark.django_db
def test_the_index_gives_each_board_its_count_best_and_families(board):
    f.BenchmarkFactory(slug="empty-board")
    summaries = {s.benchmark.slug: s for s in selectors.benchmark_index()}
    toy = summaries["toy-fid"]
    assert (toy.count, toy.best.variant) == (7, "EDM")
    assert [family.slug for family in toy.families] == ["gans", "diffusion-models"]
    assert (summaries["empty-board"].count, summaries["empty-board"].best) == (0, None)
    [only] = selectors.benchmark_index(family="gans")
    assert (only.benchmark.slug, only.count) == ("toy-fid", 7)


@pytest.mark.django_db
def test_the_family_comparison_marks_the_best_family(board):
    table = selectors.family_comparison(families=[board.gans, board.diffusion])
    [row] = table.rows
    assert [cell.result.variant for cell in row.cells] == ["StyleGAN2-ADA", "EDM"]
    assert [cell.best for cell in row.cells] == [False, True]
