"""The latent explorer's service: which models it offers, the state a page or a slider asks for, the frame
that state addresses, and asking a worker for it (``generation/zoo/latents.py`` does the torch side).

An explorer state is a handful of GET parameters (so every state is a shareable URL):

    mode=line  a=SOURCE b=SOURCE t=0..1          a point on the line from a to b (linear or spherical)
    mode=grid  a=SOURCE d1=DIR d2=DIR u=-3..3 v=-3..3
                                                 a + u·d1 + v·d2
    SOURCE: seed:N | class:C | test:I            a prior draw, a class's mean latent, an inverted test image
    DIR:    pc:K | class:A-B                     a principal direction of the encoded training data (one
                                                 standard deviation), or an attribute vector (mean B − mean A)

Frames are addressed by content: ``frame_key`` hashes the model, its checkpoint's SHA-256 (from the manifest),
the explorer's version and the canonical state (t snapped to 0.01, u and v to 0.05), so one key names one
image for ever, and a frame asked for twice is made once. A frame lives in the default storage as
``explorer/<kk>/<key>.png`` with ``<key>.json`` beside it (written last: its presence means "ready").

Frames are made by the Celery workers, as demos are (the product runs models in workers, never in the web
process, which does not import torch): ``frame_request`` sends the ``generation.explore_frame`` task once per
key (a cache marker stops a burst of identical requests from sending it again) and then waits a short while
for the stored frame, instead of the client polling. The task expires after ``FRAME_TASK_EXPIRES`` seconds, so
frames a slider has long left behind are dropped rather than made. On the Redis broker the queue adds a few
milliseconds; the embedded SQLite-file broker is polled once a second, so there a frame takes up to a second.
"""

from __future__ import annotations

import hashlib
import json
import logging
import re
import time
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import urlencode

from celery import current_app
from django.conf import settings
from django.core.cache import cache
from django.core.files.base import ContentFile
from django.core.files.storage import default_storage
from django.urls import reverse

from generation.zoo.classes import DIGITS_CLASSES, FASHION_CLASSES
from generation.zoo.params import Param, ParamError, validate

logger = logging.getLogger(__name__)

EXPLORER_VERSION = 2  # part of every key: bump it when a frame's pixels or its metadata change meaning
FRAME_TASK = "generation.explore_frame"
FRAME_TASK_EXPIRES = 30.0  # s: a frame task still queued after this is dropped (nobody waits for it)
WAIT_INTERVAL = 0.01  # s between two looks at the storage while a request waits for its frame
MAX_WAIT = 10.0  # s: the longest a request waits for a frame (``Prefer: wait=N`` is capped to it)
CHECKPOINTS = Path(__file__).resolve().parent / "zoo" / "checkpoints"

CLASSES = {"digits": DIGITS_CLASSES, "fashion": FASHION_CLASSES}
TEST_SIZES = {"digits": 447, "fashion": 10000}
PRINCIPAL = 8  # as latents.PRINCIPAL


@dataclass(frozen=True)
class ExplorerModel:
    name: str  # zoo registry name
    kind: str  # vae | gan | flow | ddim (latents.KINDS)
    dataset: str  # digits | fashion
    family_slug: str
    title: str

    @property
    def invertible(self) -> bool:
        return self.kind != "gan"

    @property
    def interpolation(self) -> str:
        return "spherical" if self.kind == "ddim" else "linear"

    @property
    def classes(self) -> tuple[str, ...]:
        return CLASSES[self.dataset]

    @property
    def test_size(self) -> int:
        return TEST_SIZES[self.dataset]

    @property
    def manifest_path(self) -> Path:
        return CHECKPOINTS / f"{self.name}.json"

    @property
    def shipped(self) -> bool:
        return self.manifest_path.exists() and (CHECKPOINTS / f"{self.name}.pt").exists()

    def get_absolute_url(self) -> str:
        return reverse("generation:explore", kwargs={"model": self.name})


MODELS = {
    m.name: m
    for m in (
        ExplorerModel("vae", "vae", "digits", "vaes", "VAE on 8x8 digits"),
        ExplorerModel("dcgan", "gan", "digits", "gans", "DCGAN on 8x8 digits"),
        ExplorerModel("realnvp", "flow", "digits", "normalizing-flows", "RealNVP on 8x8 digits"),
        ExplorerModel("ddpm", "ddim", "digits", "diffusion-models", "DDPM (DDIM latents) on 8x8 digits"),
        ExplorerModel("vae-fashion", "vae", "fashion", "vaes", "VAE on Fashion-MNIST"),
        ExplorerModel("dcgan-fashion", "gan", "fashion", "gans", "DCGAN on Fashion-MNIST"),
        ExplorerModel("realnvp-fashion", "flow", "fashion", "normalizing-flows", "RealNVP on Fashion-MNIST"),
        ExplorerModel(
            "ddpm-fashion", "ddim", "fashion", "diffusion-models", "DDPM (DDIM latents) on Fashion-MNIST"
        ),
    )
}


def model_list(*, family_slug: str | None = None) -> list[ExplorerModel]:
    """The explorable models whose checkpoint has shipped, digits first."""
    return [m for m in MODELS.values() if m.shipped and (not family_slug or m.family_slug == family_slug)]


def model_get(name: str) -> ExplorerModel | None:
    model = MODELS.get(name)
    return model if model is not None and model.shipped else None


_manifests: dict[str, tuple[float, str]] = {}


def checkpoint_sha256(model: ExplorerModel) -> str:
    """The shipped checkpoint's SHA-256 as its manifest records it (re-read when the manifest changes)."""
    mtime = model.manifest_path.stat().st_mtime
    cached = _manifests.get(model.name)
    if cached is None or cached[0] != mtime:
        cached = (mtime, json.loads(model.manifest_path.read_text())["sha256"])
        _manifests[model.name] = cached
    return cached[1]


# --- the state -------------------------------------------------------------------------------------------

SOURCE_PATTERN = r"(seed|class|test):\d{1,10}"
DIRECTION_PATTERN = r"pc:\d|class:\d-\d"
SOURCE_HELP = "seed:N (a prior draw), class:C (a class's mean latent) or test:I (test image I, inverted)"
DIRECTION_HELP = "pc:K (K-th principal direction of the encoded training data) or class:A-B (mean B − mean A)"


def state_params(model: ExplorerModel) -> list[Param]:
    """The explorer state's parameters for one model (defaults differ where the model lacks an encoder)."""
    d1, d2 = ("pc:0", "pc:1") if model.invertible else ("class:1-7", "class:3-8")
    source_help = (
        SOURCE_HELP if model.invertible else "seed:N (a prior draw) or class:C (a class's mean latent)"
    )
    direction_help = DIRECTION_HELP if model.invertible else "class:A-B (mean latent of B − that of A)"
    return [
        Param(
            "mode",
            "choice",
            "line",
            choices=("line", "grid"),
            help="line: from a to b; grid: a + u·d1 + v·d2",
        ),
        Param(
            "a", "str", "seed:0", 3, 20, help=source_help, pattern=SOURCE_PATTERN, pattern_error=source_help
        ),
        Param(
            "b", "str", "seed:1", 3, 20, help=source_help, pattern=SOURCE_PATTERN, pattern_error=source_help
        ),
        Param("t", "float", 0.5, 0.0, 1.0, help="Position on the line: 0 is a, 1 is b."),
        Param(
            "d1",
            "str",
            d1,
            4,
            12,
            help=direction_help,
            pattern=DIRECTION_PATTERN,
            pattern_error=direction_help,
        ),
        Param(
            "d2",
            "str",
            d2,
            4,
            12,
            help=direction_help,
            pattern=DIRECTION_PATTERN,
            pattern_error=direction_help,
        ),
        Param("u", "float", 0.0, -3.0, 3.0, help="Steps along d1 (standard deviations for pc:K)."),
        Param("v", "float", 0.0, -3.0, 3.0, help="Steps along d2."),
    ]


def _check_source(model: ExplorerModel, spec: str) -> str | None:
    what, number = spec.split(":")
    number = int(number)
    if what == "seed" and number > 2**31 - 1:
        return "a seed is at most 2147483647"
    if what == "class" and number >= len(model.classes):
        return f"classes are 0..{len(model.classes) - 1}"
    if what == "test":
        if not model.invertible:
            return f"{model.name} is a GAN: it has no encoder, so a test image cannot be inverted"
        if number >= model.test_size:
            return f"test images are 0..{model.test_size - 1}"
    return None


def _check_direction(model: ExplorerModel, spec: str) -> str | None:
    if spec.startswith("pc:"):
        if not model.invertible:
            return f"{model.name} has no encoder, so no principal directions of encoded data; use class:A-B"
        return None if int(spec[3:]) < PRINCIPAL else f"principal directions are pc:0..pc:{PRINCIPAL - 1}"
    a, b = (int(n) for n in spec[6:].split("-"))
    if a == b:
        return "the two classes of an attribute vector must differ"
    return None if max(a, b) < len(model.classes) else f"classes are 0..{len(model.classes) - 1}"


def validate_state(model: ExplorerModel, raw) -> dict:
    """The full canonical state (defaults filled, t snapped to 0.01, u and v to 0.05); ParamError lists every
    problem. Keys that do not belong to the state are refused, as the demos' parameters are."""
    params, owner = state_params(model), f"the {model.name} explorer"
    errors = {}
    try:
        clean = validate(params, raw, owner=owner)
    except ParamError as error:
        errors.update(error.errors)
        clean = validate(params, {k: v for k, v in raw.items() if k not in errors}, owner=owner)
    for name in ("a", "b"):
        if name not in errors and (message := _check_source(model, clean[name])):
            errors[name] = message
    for name in ("d1", "d2"):
        if name not in errors and (message := _check_direction(model, clean[name])):
            errors[name] = message
    if errors:
        raise ParamError(errors)
    clean["t"] = round(round(clean["t"] * 100) / 100, 2)
    for name in ("u", "v"):
        clean[name] = round(round(clean[name] * 20) / 20, 2) + 0.0  # + 0.0: no "-0.0" in keys or URLs
    return clean


def relevant(state: dict, *, overview: bool = False) -> dict:
    """The fields that decide the frame: a line ignores d1, d2, u, v; a grid ignores b and t. An overview
    (the whole line, or the whole grid, at once) ignores the slider too, and says it is one."""
    keys = ("mode", "a", "b", "t") if state["mode"] == "line" else ("mode", "a", "d1", "d2", "u", "v")
    if overview:
        return {**{k: state[k] for k in keys if k not in ("t", "u", "v")}, "overview": True}
    return {k: state[k] for k in keys}


def query_string(state: dict) -> str:
    """The state as the shareable URL's query (every field, so switching modes keeps the other's values)."""
    return urlencode({k: state[k] for k in ("mode", "a", "b", "t", "d1", "d2", "u", "v")}, safe=":")


def frame_key(
    model: ExplorerModel, state: dict, *, checkpoint: str | None = None, overview: bool = False
) -> str:
    canonical = json.dumps(
        {
            "explorer": EXPLORER_VERSION,
            "model": model.name,
            "checkpoint": checkpoint or checkpoint_sha256(model),
            "state": relevant(state, overview=overview),
        },
        sort_keys=True,
        separators=(",", ":"),
    )
    return hashlib.sha256(canonical.encode()).hexdigest()


KEY = re.compile(r"^[0-9a-f]{64}$")


def frame_names(key: str) -> tuple[str, str, str]:
    """Storage names of a frame's PNG, its metadata (present once the frame is ready) and a failure note."""
    base = f"explorer/{key[:2]}/{key}"
    return f"{base}.png", f"{base}.json", f"{base}.error.json"


def frame_url(key: str) -> str:
    return reverse("generation:explore-frame-file", kwargs={"key": key})


def _read_json(name: str) -> dict | None:
    try:
        with default_storage.open(name, "rb") as handle:
            return json.loads(handle.read())
    except (FileNotFoundError, OSError, ValueError):
        return None  # absent, or still being written


def frame_get(key: str) -> dict | None:
    """A ready frame's metadata (with ``image``, its URL), or None."""
    meta = _read_json(frame_names(key)[1])
    return {**meta, "image": frame_url(key)} if meta else None


def frame_failure(key: str) -> str | None:
    """Why the worker could not make the frame, if it said so (the note is deleted once read, so the next
    request tries again)."""
    name = frame_names(key)[2]
    note = _read_json(name)
    if note is None:
        return None
    default_storage.delete(name)
    return str(note.get("error", "the worker could not make this frame"))


class FrameFailed(Exception):
    """The worker tried and could not make the frame."""


@dataclass(frozen=True)
class FrameOutcome:
    key: str
    meta: dict | None  # None: not ready within the wait
    sent: bool  # True when this request sent the task (the frame was not stored, nor on its way)

    @property
    def ready(self) -> bool:
        return self.meta is not None


def frame_queue(model: ExplorerModel) -> str:
    """The explorer's frames go where the model's demos go: the GPU queue when GENERATION_GPU_DEMOS names
    the family or "*", else the CPU queue (or GENERATION_EXPLORER_QUEUE, if a site sets one)."""
    if set(settings.GENERATION_GPU_DEMOS) & {"*", model.family_slug}:
        return settings.CELERY_GPU_QUEUE
    return getattr(settings, "GENERATION_EXPLORER_QUEUE", None) or settings.CELERY_CPU_QUEUE


def _send(model: ExplorerModel, state: dict, key: str) -> None:
    current_app.send_task(
        FRAME_TASK,
        (model.name, state, key),
        queue=frame_queue(model),
        expires=FRAME_TASK_EXPIRES,
        soft_time_limit=settings.GENERATION_SOFT_TIME_LIMIT,
        time_limit=settings.GENERATION_HARD_TIME_LIMIT,
    )


def frame_request(
    model: ExplorerModel, state: dict, *, wait: float, may_send=None, overview: bool = False
) -> FrameOutcome:
    """The stored frame (or overview), or ask a worker for it (once per key) and wait up to ``wait`` seconds.

    ``may_send()``, if given, is asked before a task is sent (a rate limit); it raises to refuse."""
    key = frame_key(model, state, overview=overview)
    meta = frame_get(key)
    if meta is not None:
        return FrameOutcome(key=key, meta=meta, sent=False)
    sent = False
    if cache.add(f"explorer:pending:{key}", 1, timeout=FRAME_TASK_EXPIRES):
        if may_send is not None:
            try:
                may_send()
            except BaseException:
                cache.delete(f"explorer:pending:{key}")
                raise
        try:
            _send(model, relevant(state, overview=overview), key)
            sent = True
        except Exception:
            cache.delete(f"explorer:pending:{key}")
            logger.warning("explorer frame %s not sent: the broker is unreachable", key)
            raise
    deadline = time.monotonic() + min(max(wait, 0.0), MAX_WAIT)
    while True:
        meta = frame_get(key)
        if meta is not None:
            return FrameOutcome(key=key, meta=meta, sent=sent)
        failure = frame_failure(key)
        if failure is not None:
            cache.delete(f"explorer:pending:{key}")
            raise FrameFailed(failure)
        if time.monotonic() + WAIT_INTERVAL > deadline:
            return FrameOutcome(key=key, meta=None, sent=sent)
        time.sleep(WAIT_INTERVAL)


# --- the worker side -------------------------------------------------------------------------------------


def frame_make(*, model_name: str, state: dict, key: str) -> str:
    """Make and store one frame (in a worker). Idempotent: a stored frame is never made again. Returns
    "exists", "made", "stale" (the key does not match this worker's checkpoint) or "failed"."""
    model = MODELS.get(model_name)
    if model is None or not KEY.match(key):
        return "failed"
    png_name, json_name, error_name = frame_names(key)
    if default_storage.exists(json_name):
        return "exists"
    try:
        state = dict(state)
        overview = bool(state.pop("overview", False))
        clean = validate_state(model, state)
        if frame_key(model, clean, overview=overview) != key:
            return "stale"
        from generation.zoo import latents

        started = time.perf_counter()
        space = latents.space(model.name)
        png, extra = (space.overview if overview else space.frame)(relevant(clean))
        made_in = time.perf_counter() - started
    except Exception as error:
        logger.exception("explorer frame %s of %s failed", key, model_name)
        _write(error_name, json.dumps({"error": f"{type(error).__name__}: {error}"}).encode())
        return "failed"
    meta = {
        "key": key,
        "model": model.name,
        "checkpoint_sha256": checkpoint_sha256(model),
        "state": relevant(clean, overview=overview),
        "interpolation": model.interpolation,
        "made_in_s": round(made_in, 4),
        **extra,
    }
    _write(png_name, png)
    _write(json_name, json.dumps(meta, sort_keys=True).encode())  # last: its presence means "ready"
    return "made"


def _write(name: str, content: bytes) -> None:
    """Write a content-addressed file; a twin another worker wrote meanwhile is the same bytes, so the
    first one stays and any renamed duplicate is removed."""
    if default_storage.exists(name):
        return
    stored = default_storage.save(name, ContentFile(content))
    if stored != name:
        default_storage.delete(stored)
