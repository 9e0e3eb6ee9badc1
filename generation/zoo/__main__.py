"""Command line of the zoo.

python -m generation.zoo list [--json]
python -m generation.zoo train NAME [--seed S] [--steps N]   # NAME may also be classifier[-fashion]
python -m generation.zoo sample NAME --n N --seed S --out PATH [--demo SLUG]  # PATH.png or PATH.txt
python -m generation.zoo evaluate NAME [--json] [--dataset D]   # a model, a baseline, or "all" (of D)
python -m generation.zoo report [--json] [--evaluate] [--no-write] [--dataset D]
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

import torch


def _list(args) -> int:
    from generation.zoo import demos, registry

    rows = []
    demo_slugs: dict[str, list[str]] = {}
    for demo in demos.list_demos():
        demo_slugs.setdefault(demo.model, []).append(demo.slug)
    for entry in registry.list_models():
        try:
            sha = registry.read_manifest(entry.name).get("sha256")
        except FileNotFoundError:
            sha = None
        rows.append(
            {
                "name": entry.name,
                "family": entry.family,
                "kind": entry.kind,
                "title": entry.title,
                "citation_key": entry.citation_key,
                "checkpoint": str(entry.checkpoint_path.relative_to(Path.cwd()))
                if entry.checkpoint_path.is_relative_to(Path.cwd())
                else str(entry.checkpoint_path),
                "trained": sha is not None,
                "sha256": sha,
                "demos": demo_slugs.get(entry.name, []),
            }
        )
    if args.json:
        print(json.dumps(rows, indent=2))
    else:
        for row in rows:
            state = "trained" if row["trained"] else "not trained"
            print(f"{row['name']:<20} {row['family']:<24} {state:<12} {', '.join(row['demos'])}")
    return 0


def _train(args) -> int:
    from generation.zoo import train

    if args.name.startswith("classifier"):  # the feature networks of the metrics, not generative models
        from generation.zoo import classifier

        dataset = args.name.removeprefix("classifier").removeprefix("-") or "digits"
        manifest = classifier.train_classifier(dataset, seed=args.seed or 0)
        print(json.dumps({k: manifest[k] for k in ("steps", "wall_time_s", "sha256", "metrics")}, indent=2))
        return 0
    overrides = {"steps": args.steps} if args.steps else {}
    manifest = train.train(args.name, seed=args.seed, overrides=overrides)
    print(
        json.dumps({k: manifest[k] for k in ("name", "steps", "wall_time_s", "sha256", "metrics")}, indent=2)
    )
    return 0


def _sample(args) -> int:
    from generation.zoo import registry
    from generation.zoo.demos import generator_for
    from generation.zoo.images import grid_png

    entry = registry.get_model(args.name)
    torch.set_num_threads(args.threads)
    out = Path(args.out)
    if (
        args.demo
    ):  # the demo's own picture: its default settings (temperature, decoding, steps) for n and seed
        from generation.zoo.demos import get_demo, run_demo

        if get_demo(args.demo).model != args.name:
            raise KeyError(f"demo {args.demo!r} does not draw from {args.name!r}")
        result = run_demo(args.demo, {"n": args.n, "seed": args.seed}, device=args.device)
        picture = next(a for a in result.artefacts if a.role == "result" and a.content_type == "image/png")
        out = out if out.suffix == ".png" else out.with_name(out.name + ".png")
        out.write_bytes(picture.data)
        print(out)
        return 0
    model = registry.load(args.name, device=args.device)
    result = entry.code.sample(model, args.n, generator=generator_for(args.seed), device=args.device)
    if entry.kind == "image":
        out = out if out.suffix == ".png" else out.with_name(out.name + ".png")
        out.write_bytes(grid_png(result))
    elif entry.kind == "plane":
        out = out if out.suffix == ".txt" else out.with_name(out.name + ".txt")
        out.write_text("".join(f"{x:.5f} {y:.5f}\n" for x, y in result.tolist()))
    else:
        out = out if out.suffix == ".txt" else out.with_name(out.name + ".txt")
        out.write_text("".join(f"{line}\n" for line in result))
    print(out)
    return 0


def _evaluate(args) -> int:
    from generation.zoo import evaluate

    torch.set_num_threads(args.threads)
    if args.name != "all":
        row = evaluate.evaluate(args.name, write=True)
        print(json.dumps(row, indent=None if args.json else 2), flush=True)
        return 0
    failed = []
    for name in evaluate.all_names(args.dataset):
        if not evaluate.is_ready(name):
            print(f"skipped {name}: no checkpoint yet", file=sys.stderr, flush=True)
            continue
        if args.skip_current and evaluate.is_current(name):
            print(
                f"skipped {name}: its row is from this checkpoint and protocol", file=sys.stderr, flush=True
            )
            continue
        try:  # one broken model must not cost the rows of the others
            row = evaluate.evaluate(name, write=True)
        except Exception as error:  # reported, and the exit status says so
            failed.append(name)
            print(f"FAILED {name}: {type(error).__name__}: {error}", file=sys.stderr, flush=True)
            continue
        print(json.dumps(row, indent=None if args.json else 2), flush=True)
    if failed:
        print(f"failed: {', '.join(failed)}", file=sys.stderr)
    return 1 if failed else 0


def _report(args) -> int:
    from generation.zoo import report

    torch.set_num_threads(args.threads)
    rows = report.build_report(evaluate_missing=args.evaluate, write=not args.no_write, dataset=args.dataset)
    if args.json:
        print(json.dumps(rows, indent=2))
    else:
        print(report.markdown_table(rows))
    return 0


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="python -m generation.zoo", description="The Generative Atlas model zoo."
    )
    parser.add_argument(
        "--threads", type=int, default=1, help="torch threads (default 1: the machine is shared)"
    )
    commands = parser.add_subparsers(dest="command", required=True)

    p = commands.add_parser("list", help="the registered models")
    p.add_argument("--json", action="store_true")
    p.set_defaults(run=_list)

    p = commands.add_parser("train", help="train one model and write its checkpoint and manifest")
    p.add_argument("name")
    p.add_argument("--seed", type=int, default=None, help="default: the seed the shipped model used")
    p.add_argument("--steps", type=int, default=None)
    p.set_defaults(run=_train)

    p = commands.add_parser("sample", help="sample from a shipped checkpoint")
    p.add_argument("name")
    p.add_argument("--n", type=int, default=16)
    p.add_argument("--seed", type=int, default=0)
    p.add_argument("--out", required=True, help="output path; .png or .txt is appended when missing")
    p.add_argument("--device", default="cpu")
    p.add_argument("--demo", help="draw as this demo does with its default settings (its picture)")
    p.set_defaults(run=_sample)

    p = commands.add_parser("evaluate", help="measure a model or baseline on the test split")
    p.add_argument("name", help='a model name, a baseline name, or "all"')
    p.add_argument("--json", action="store_true", help="one JSON object per line")
    p.add_argument(
        "--dataset",
        choices=("digits", "fashion", "names"),
        default=None,
        help='with "all": one data set only',
    )
    p.add_argument(
        "--skip-current",
        action="store_true",
        help='with "all": keep rows measured from the present checkpoint (or baseline code) and protocol',
    )
    p.set_defaults(run=_evaluate)

    p = commands.add_parser("report", help="the table of every model and baseline (markdown, JSON, figure)")
    p.add_argument("--json", action="store_true")
    p.add_argument("--evaluate", action="store_true", help="evaluate rows that have no stored result")
    p.add_argument("--no-write", action="store_true", help="print only; leave REPORT.md and the figure alone")
    p.add_argument(
        "--dataset",
        choices=("digits", "fashion"),
        default=None,
        help="with --evaluate, evaluate missing rows of this data set only; redraw only its figure",
    )
    p.set_defaults(run=_report)

    args = parser.parse_args(argv)
    try:
        return args.run(args)
    except KeyError as error:
        print(f"error: {error.args[0]}", file=sys.stderr)
        return 2


if __name__ == "__main__":
    sys.exit(main())
