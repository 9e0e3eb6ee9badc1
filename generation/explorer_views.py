"""Pages of the latent explorer, mounted at /generation/explore/ (see ``generation/explorer.py``).

explore/                        the models with a latent space (``?family=`` narrows to one family)
explore/<model>/?STATE          the page: a plain GET form (no JavaScript needed) and the frame the state
                                addresses, made by a worker while the page waits (up to PAGE_WAIT)
explore/<model>/frame/?STATE    JSON for the sliders: the frame's URL and what it shows; ``Prefer: wait=N``
                                holds the answer until the frame is ready (200) or N s pass (202)
explore/frames/<key>.png        a frame's bytes, addressed by content, cached for ever
"""

import math

from django.conf import settings
from django.core.files.storage import default_storage
from django.http import FileResponse, Http404, JsonResponse
from django.shortcuts import render
from django.views.decorators.http import require_GET, require_http_methods
from rest_framework.throttling import SimpleRateThrottle

from generation import explorer
from generation.api import prefer_wait
from generation.throttles import client_key
from generation.zoo.params import ParamError

PAGE_WAIT = 10.0  # s a page waits for its frame before it shows "being made" (and reloads itself)
FIELDS = ("mode", "a", "b", "t", "d1", "d2", "u", "v")


class FrameRate(SimpleRateThrottle):
    """New frames a client may have made per period (GENERATION_EXPLORER_RATE, default 1200/minute): only a
    frame that is sent to a worker counts; a stored one costs nothing."""

    scope = "generation_explorer"

    def __init__(self, request):
        self.client = client_key(request)
        super().__init__()

    def get_rate(self):
        return getattr(settings, "GENERATION_EXPLORER_RATE", "1200/minute")

    def get_cache_key(self, request=None, view=None):
        return self.cache_format % {"scope": self.scope, "ident": self.client}

    def __call__(self) -> None:
        if not self.allow_request(None, None):
            raise TooManyFrames(self.wait() or 1.0)


class TooManyFrames(Exception):
    def __init__(self, retry_after: float):
        super().__init__("too many new frames; wait a moment")
        self.retry_after = retry_after


def _model_or_404(name: str) -> explorer.ExplorerModel:
    model = explorer.model_get(name)
    if model is None:
        raise Http404("No explorer for this model.")
    return model


def _state_from(request, model) -> tuple[dict, dict]:
    """The state the query asks for (blank fields take their defaults) and the errors, if any; a field in
    error falls back to its default so the page still shows a frame's form."""
    raw = {name: request.GET[name] for name in FIELDS if request.GET.get(name, "") != ""}
    try:
        return explorer.validate_state(model, raw), {}
    except ParamError as error:
        kept = {k: v for k, v in raw.items() if k not in error.errors}
        try:
            return explorer.validate_state(model, kept), dict(error.errors)
        except ParamError:
            return explorer.validate_state(model, {}), dict(error.errors)


def _tile(model) -> int:
    return 64 if model.dataset == "digits" else 84  # generation.zoo.images.SCALES


def _frame_size(model, state) -> tuple[int, int]:
    """The PNG's size: [frame | nearest | inverted test images], each a tile with 2 px gaps."""
    tests = sum(state[k].startswith("test:") for k in (("a", "b") if state["mode"] == "line" else ("a",)))
    tile = _tile(model) + 2
    return tile * (2 + tests) + 2, tile + 2


def _overview_size(model, state) -> tuple[int, int]:
    """The overview's size: a line is 2 rows of 9 tiles; a grid 5 rows of 10 (frames, then nearest)."""
    tile = _tile(model) + 2
    columns, rows = (9, 2) if state["mode"] == "line" else (10, 5)
    return tile * columns + 2, tile * rows + 2


@require_GET
def explore_index(request):
    """The models with a latent space, by family."""
    family = request.GET.get("family") or None
    models = explorer.model_list(family_slug=family)
    return render(request, "generation/explorer_index.html", {"models": models, "family": family})


def _presets(model) -> list[tuple[str, str]]:
    """A few states worth starting from, as (label, query)."""
    names = model.classes
    presets = [
        ("Two seeds", {"mode": "line", "a": "seed:0", "b": "seed:1", "t": 0.5}),
        (f"Class {names[1]} to class {names[7]}", {"mode": "line", "a": "class:1", "b": "class:7", "t": 0.5}),
    ]
    if model.invertible:
        presets += [
            ("Test image 0 to test image 1", {"mode": "line", "a": "test:0", "b": "test:1", "t": 0.5}),
            ("Test image 0 on the two main principal directions", {"mode": "grid", "a": "test:0"}),
            (
                f"Test image 0 along {names[3]} − {names[8]}",
                {"mode": "grid", "a": "test:0", "d1": "class:8-3", "u": 1.0},
            ),
        ]
    else:
        presets += [("A seed along two attribute vectors", {"mode": "grid", "a": "seed:0", "u": 1.0})]
    return [(label, explorer.query_string(explorer.validate_state(model, q))) for label, q in presets]


@require_GET
def explore(request, model):
    """The explorer page for one model: without JavaScript a GET form whose answer shows the frame; with it,
    the sliders ask ``explore-frame`` for frames as they move (generation/static/generation/explorer.js)."""
    model = _model_or_404(model)
    state, errors = _state_from(request, model)
    outcome = overview = failure = limit = None
    if not errors:
        rate = FrameRate(request)
        try:
            outcome = explorer.frame_request(model, state, wait=PAGE_WAIT, may_send=rate)
            overview = explorer.frame_request(model, state, wait=PAGE_WAIT, may_send=rate, overview=True)
        except explorer.FrameFailed as error:
            failure = str(error)
        except TooManyFrames as error:
            limit = math.ceil(error.retry_after)
    width, height = _frame_size(model, state)
    context = {
        "model": model,
        "models": explorer.model_list(),
        "state": state,
        "errors": errors,
        "outcome": outcome,
        "frame": outcome.meta if outcome else None,
        "overview": overview.meta if overview else None,
        "overview_size": _overview_size(model, state),
        "failure": failure,
        "retry_after": limit,
        "query": explorer.query_string(state),
        "checkpoint": explorer.checkpoint_sha256(model),
        "frame_width": width,
        "frame_height": height,
        "tile": _tile(model),
        "classes": list(enumerate(model.classes)),
        "pcs": [f"pc:{k}" for k in range(explorer.PRINCIPAL)] if model.invertible else [],
        "presets": _presets(model),
    }
    complete = outcome is not None and outcome.ready and overview is not None and overview.ready
    context["complete"] = complete
    status = 400 if errors else 429 if limit else 200
    response = render(request, "generation/explorer.html", context, status=status)
    if limit:
        response["Retry-After"] = str(limit)
    response["Cache-Control"] = "private, max-age=60" if complete else "no-store"
    return response


@require_GET
def explore_frame(request, model):
    """JSON for one state: 200 {status: "ready", image, nearest, ...} once the frame is stored, 202 {status:
    "pending"} when ``Prefer: wait=N`` ran out first (ask again), 400 with field errors, 429 with Retry-After
    over the rate of new frames, 502 when the worker could not make it."""
    model = _model_or_404(model)
    raw = {name: request.GET[name] for name in FIELDS if request.GET.get(name, "") != ""}
    try:
        state = explorer.validate_state(model, raw)
    except ParamError as error:
        return JsonResponse({"status": "invalid", "errors": error.errors}, status=400)
    wait = prefer_wait(request)
    overview = request.GET.get("overview") == "1"
    headers = {"Cache-Control": "no-store"}
    if wait is not None:
        headers["Preference-Applied"] = f"wait={min(wait, explorer.MAX_WAIT):g}"
    try:
        outcome = explorer.frame_request(
            model, state, wait=wait or 0.0, may_send=FrameRate(request), overview=overview
        )
    except explorer.FrameFailed as error:
        return JsonResponse({"status": "failed", "error": str(error)}, status=502, headers=headers)
    except TooManyFrames as error:
        retry = math.ceil(error.retry_after)
        headers["Retry-After"] = str(retry)
        return JsonResponse(
            {"status": "limited", "error": str(error), "retry_after": retry}, status=429, headers=headers
        )
    answer = {
        "status": "ready" if outcome.ready else "pending",
        "key": outcome.key,
        "query": explorer.query_string(state),
        "made_now": outcome.sent,
    }
    if outcome.ready and overview:
        answer.update(image=outcome.meta["image"], layout=outcome.meta.get("layout"))
    elif outcome.ready:
        answer.update(
            image=outcome.meta["image"],
            nearest=outcome.meta.get("nearest"),
            panels=outcome.meta.get("panels"),
            interpolation=outcome.meta.get("interpolation"),
            made_in_s=outcome.meta.get("made_in_s"),
        )
    return JsonResponse(answer, status=200 if outcome.ready else 202, headers=headers)


@require_http_methods(["GET", "HEAD"])
def explore_frame_file(request, key):
    """A frame's PNG: addressed by its content key, so it never changes (cached for a year, immutable)."""
    if not explorer.KEY.match(key):
        raise Http404("No such frame.")
    name = explorer.frame_names(key)[0]
    if not default_storage.exists(name):
        raise Http404("No such frame (yet).")
    response = FileResponse(default_storage.open(name, "rb"), content_type="image/png")
    response["X-Content-Type-Options"] = "nosniff"
    response["Cache-Control"] = "public, max-age=31536000, immutable"
    return response
