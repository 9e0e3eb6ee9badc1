"""A leaderboard as CSV and JSON: every row with its rank and its full provenance."""

from __future__ import annotations

import csv
import io
import json

from benchmarks.selectors import Board, Row

COLUMNS = [
    "rank", "family", "model", "variant", "value", "bound", "error", "extra_data", "year", "kind", "paper",
    "source_table", "source_row", "source_page", "source_version", "source_url", "checked_on", "zoo_model",
    "checkpoint_sha256", "command", "results_file",
]  # fmt: skip


def row_record(row: Row) -> dict:
    result = row.result
    return {
        "rank": row.rank,
        "family": result.family.slug if result.family else None,
        "model": result.model.slug if result.model else None,
        "variant": result.variant,
        "value": result.value_exact,
        "bound": result.bound_symbol or None,
        "error": str(result.error.normalize()) if result.error is not None else None,
        "extra_data": result.extra_data,
        "year": result.year,
        "kind": result.kind,
        "paper": result.paper.citation_key if result.paper else None,
        "source_table": result.source_table or None,
        "source_row": result.source_row or None,
        "source_page": result.source_page,
        "source_version": result.source_version or None,
        "source_url": result.source_url or None,
        "checked_on": result.checked_on.isoformat() if result.checked_on else None,
        "zoo_model": result.zoo_model or None,
        "checkpoint_sha256": result.checkpoint_sha256 or None,
        "command": result.command or None,
        "results_file": result.results_file or None,
    }


def board_csv(board: Board) -> str:
    out = io.StringIO()
    writer = csv.DictWriter(out, fieldnames=COLUMNS, lineterminator="\n")
    writer.writeheader()
    for row in board.rows:
        record = row_record(row)
        writer.writerow({key: "" if value is None else value for key, value in record.items()})
    return out.getvalue()


def board_json(board: Board) -> str:
    benchmark = board.benchmark
    document = {
        "benchmark": {
            "slug": benchmark.slug,
            "name": benchmark.name,
            "dataset": benchmark.dataset.slug,
            "metric": benchmark.metric.slug,
            "higher_is_better": benchmark.metric.higher_is_better,
            "conditioning": benchmark.conditioning,
            "resolution": benchmark.resolution,
            "split": benchmark.split,
            "samples": benchmark.samples,
            "protocol": benchmark.protocol,
        },
        "results": [row_record(row) for row in board.rows],
    }
    return json.dumps(document, ensure_ascii=False, indent=2) + "\n"
