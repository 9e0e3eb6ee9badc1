"""The latent spaces of the zoo's image models, for the latent explorer (plain PyTorch; no Django).

Every model with a latent space gets the same small interface (``space(name)``):

    prior(seed)        the latent the model's own ``sample(n=1, seed)`` starts from
    decode(z)          latents (K, D) -> levels (K, 1, S, S), deterministically
    encode(x)          levels -> latents: the VAE's posterior mean (kingma2014auto), the flow's forward pass
                       (dinh2017density, exact), DDIM inversion (song2021denoising); a GAN has no encoder
    interpolate(a, b, t)
                       linear for Gaussian latents; spherical (slerp) for DDIM noises, whose norm must stay
                       that of a draw from N(0, I) (song2021denoising section 4.3 interpolates the same way)
    direction(spec)    "pc:K": the K-th principal direction of the encoded training data, one standard
                       deviation long; "class:A-B": mean latent of class B less that of class A, an attribute
                       vector (radford2016unsupervised section 6.3 does this arithmetic on a GAN's z)
    nearest(x)         the nearest training image in pixel space (RMS distance), so memorisation shows

Per model family:

* VAE (``vae``, ``vae-fashion``): z is the 16- (or more) dimensional code; a seed draws it from the
  model's own sampling prior (the digits VAE's fitted Gaussian mixture, else N(0, I)); a test image inverts
  to its posterior mean; decoding shows each pixel's expected level (``vae.decode(mode="mean")``), so a
  frame is a deterministic function of z. Class means are the means of the training images' posterior means.
* GAN (``dcgan``, ``dcgan-fashion``): z ~ N(0, I) through the generator. No encoder, so no test-image
  inversion and no principal directions of encoded data; a class's latent is the mean of 2,048 prior draws
  whose generated image's nearest training image has that label, scaled to the typical norm sqrt(D) (the
  generator only ever saw z near that sphere).
* Flow (``realnvp``, ``realnvp-fashion``): z = f(logit((x + 1/2) / L)) with the bin's centre as the
  dequantisation; f is a bijection, so inverting a test image and decoding gives it back exactly.
* Diffusion (``ddpm``, ``ddpm-fashion``): the latent is x_T, decoded by deterministic DDIM (η = 0,
  ``DDIM_STEPS`` steps, unconditional); a test image inverts by running the DDIM ODE the other way
  (song2021denoising eq. 13, each step's ε taken at the current point, so the round trip is close, not exact).
  Class latents are the means of the inverted training images of the class, scaled to norm sqrt(D).

The 28x28 Fashion-MNIST models are class-conditional. A conditional VAE or GAN gets the label's embedding
as part of its latent: the latent is z followed by E[y] (the model's own ``label_embedding``), and decoding
puts the given embedding in place of a label's (a forward hook on that embedding), so two classes
interpolate like two codes and class:A-B is a genuine attribute vector. A seed's latent is the model's own
draw of z and label (``sample(n=1, seed)`` with any class); a test image encodes with its own label; a
conditional GAN's class C is seed 0's z with label C. The multi-scale flow's latent is the flat
concatenation of its scales' latents (its prior is learned and class-conditional; the inverse is not), a
seed's latent the forward pass of the logits ``sample_logits`` draws.

Training-set statistics (encodings, principal directions, class means) are computed on first use, once per
process, from at most ``STATS_IMAGES`` training images (``STATS_IMAGES_DDIM`` for diffusion), a fixed,
evenly spaced subset.
"""

from __future__ import annotations

import contextlib
import itertools
import math
import re
import threading
from dataclasses import dataclass, field

import torch

from generation.zoo import data
from generation.zoo.images import grid_png

# Zoo model name -> what kind of latent space it has. The explorer page offers these (those shipped).
KINDS = {
    "vae": "vae",
    "dcgan": "gan",
    "realnvp": "flow",
    "ddpm": "ddim",
    "vae-fashion": "vae",
    "dcgan-fashion": "gan",
    "realnvp-fashion": "flow",
    "ddpm-fashion": "ddim",
}
DDIM_STEPS = 20  # deterministic DDIM steps of a diffusion frame (and of its inversion)
STATS_IMAGES = 1000  # training images encoded for principal directions and class means (at most)
STATS_IMAGES_DDIM = 500  # fewer for DDIM: each inversion is DDIM_STEPS passes of the U-Net
STATS_IMAGES_DDIM_28 = 200  # and fewer still at 28x28 (about a minute of one busy core)
GAN_LABEL_DRAWS = 2048  # prior draws labelled by their nearest training image (GAN class latents)
PRINCIPAL = 8  # principal directions offered
SOURCES_KEPT = 64  # inverted test images kept per model and process
SOURCE = re.compile(r"^(seed|class|test):(\d+)$")
DIRECTION = re.compile(r"^(?:pc:(\d+)|class:(\d+)-(\d+))$")


class Unsupported(ValueError):
    """The model's latent space does not have what was asked (e.g. a GAN has no encoder)."""


def generator_for(seed: int) -> torch.Generator:
    return torch.Generator().manual_seed(int(seed))


def slerp(a: torch.Tensor, b: torch.Tensor, t: float) -> torch.Tensor:
    """Spherical interpolation between (D,) vectors: t = 0 gives a, t = 1 gives b, exactly."""
    if t <= 0:
        return a.clone()
    if t >= 1:
        return b.clone()
    cos = (a @ b / (a.norm() * b.norm()).clamp(min=1e-12)).clamp(-1, 1)
    omega = torch.arccos(cos)
    if omega.abs() < 1e-6:
        return (1 - t) * a + t * b
    so = torch.sin(omega)
    return torch.sin((1 - t) * omega) / so * a + torch.sin(t * omega) / so * b


def lerp(a: torch.Tensor, b: torch.Tensor, t: float) -> torch.Tensor:
    if t <= 0:
        return a.clone()
    if t >= 1:
        return b.clone()
    return (1 - t) * a + t * b


@dataclass
class Stats:
    """What the explorer knows of the encoded training data (computed once per process)."""

    mean: torch.Tensor  # (D,)
    components: torch.Tensor | None  # (PRINCIPAL, D) unit principal directions, or None (no encoder)
    stds: torch.Tensor | None  # (PRINCIPAL,) standard deviation along each
    class_means: torch.Tensor  # (classes, D)


@dataclass
class Space:
    name: str
    kind: str
    model: torch.nn.Module
    images: data.ImageSet
    latent_dim: int
    _stats: Stats | None = field(default=None, repr=False)
    _train: tuple | None = field(default=None, repr=False)
    _sources: dict = field(default_factory=dict, repr=False)
    _lock: threading.Lock = field(default_factory=threading.Lock, repr=False)

    # --- the model-specific parts ---------------------------------------------------------------------

    @property
    def side(self) -> int:
        return self.images.side

    @property
    def levels(self) -> int:
        return self.images.levels

    @property
    def spherical(self) -> bool:
        return self.kind == "ddim"

    @property
    def invertible(self) -> bool:
        return self.kind != "gan"

    def _label_embedding(self) -> torch.nn.Embedding | None:
        """The label embedding of a class-conditional VAE or GAN (the 28x28 ones), else None."""
        owner = self.model.generator if self.kind == "gan" else self.model
        return getattr(owner, "label_embedding", None) if self.kind in ("vae", "gan") else None

    @property
    def _owns_prior(self) -> bool:
        """A flow with its own (learned, multi-scale) prior: flat latents, drawn by ``sample_logits``."""
        return hasattr(self.model.flow, "sample_logits")

    @property
    def conditional(self) -> bool:
        return self._label_embedding() is not None

    @property
    def code_dim(self) -> int:
        """Size of z; a conditional model's latent is z followed by its label's embedding (``latent_dim``)."""
        return self.model.config.latent

    def _with_label(self, z: torch.Tensor, label: int) -> torch.Tensor:
        embedding = self._label_embedding()
        with torch.inference_mode():
            e = embedding(torch.tensor([int(label)])).detach()[0].float()
        return torch.cat([z, e])

    @contextlib.contextmanager
    def _embedding_as(self, e: torch.Tensor):
        """Decode with the given label embeddings (K, E) in place of any label's: a conditional model's
        label becomes a point of its latent space, so two classes interpolate like two codes."""
        handle = self._label_embedding().register_forward_hook(lambda module, inputs, out: e.to(out))
        try:
            yield
        finally:
            handle.remove()

    def prior(self, seed: int) -> torch.Tensor:
        """(D,): the latent that the model's ``sample(model, 1, generator=seed)`` draws first."""
        g = generator_for(seed)
        if self.kind == "vae":  # vae.sample draws a conditional model's label first, then z
            from generation.zoo import vae

            label = (
                int(torch.randint(0, len(self.images.classes), (1,), generator=g)) if self.conditional else 0
            )
            # The model's own sampling prior: its fitted mixture where it has one (digits), else N(0, I).
            prior = "mixture" if getattr(self.model.config, "mixture", 0) else "standard"
            z = vae.draw_latents(self.model, 1, generator=g, prior=prior)[0].float()
            return self._with_label(z, label) if self.conditional else z
        if self.conditional:  # gan.sample draws z first, then the label
            z = torch.randn(1, self.code_dim, generator=g)[0]
            return self._with_label(z, int(torch.randint(0, len(self.images.classes), (1,), generator=g)))
        if self.kind in ("vae", "gan"):
            return torch.randn(1, self.latent_dim, generator=g)[0]
        if self.kind == "flow" and self._owns_prior:  # a multi-scale flow draws its latents scale by scale
            with torch.inference_mode():
                h = self.model.flow.sample_logits(1, generator=g, temperature=1.0, labels=None, device="cpu")
                return self.model.flow(h)[0].flatten(1)[0].clone()
        return torch.randn(1, 1, self.side, self.side, generator=g).flatten()

    @torch.inference_mode()
    def decode(self, z: torch.Tensor) -> torch.Tensor:
        """(K, D) latents -> (K, 1, S, S) long levels, deterministic."""
        z = z.float()
        if self.conditional:
            from generation.zoo import gan, vae

            codes, embeddings = z[:, : self.code_dim], z[:, self.code_dim :]
            any_labels = torch.zeros(len(z), dtype=torch.long)  # replaced by the embeddings
            with self._embedding_as(embeddings):
                if self.kind == "vae":
                    g = generator_for(0)
                    return vae.decode(
                        self.model, codes, mode="mean", generator=g, device="cpu", labels=any_labels
                    )
                return gan.decode(self.model, codes, "cpu", labels=any_labels)
        if self.kind == "vae":
            from generation.zoo import vae

            return vae.decode(self.model, z, mode="mean", generator=generator_for(0), device="cpu")
        if self.kind == "gan":
            from generation.zoo import gan

            return gan.decode(self.model, z, "cpu")
        shaped = z.view(-1, 1, self.side, self.side)
        if self.kind == "flow":
            cfg = self.model.config
            h = self.model.flow.inverse(z if self._owns_prior else shaped)
            y = (torch.sigmoid(h) - cfg.alpha) / (1 - 2 * cfg.alpha)
            return (y * self.levels).floor().clamp(0, self.levels - 1).long()
        return data.from_unit(self._ddim_decode(shaped), self.levels)

    @torch.inference_mode()
    def encode(self, x: torch.Tensor, labels: torch.Tensor | None = None) -> torch.Tensor:
        """(K, 1, S, S) levels -> (K, D) latents; a conditional VAE encodes q(z | x, y) with the images' own
        labels (K,), and its latent carries the label's embedding."""
        if self.kind == "vae" and self.conditional:
            assert labels is not None, "a class-conditional VAE encodes an image with its label"
            mu, _ = self.model.encode(x, labels)
            embedding = self._label_embedding()
            return torch.cat([mu.float(), embedding(labels).float()], dim=1)
        if self.kind == "vae":
            mu, _ = self.model.encode(x)
            return mu.float()
        if self.kind == "flow":
            return self.flow_forward(x).flatten(1)
        if self.kind == "ddim":
            return self._ddim_invert(data.to_unit(x, self.levels)).flatten(1)
        raise Unsupported(f"{self.name} is a GAN: it has no encoder, so no image can be inverted")

    # Flow pieces, public for the round-trip test.
    def flow_preimage(self, x: torch.Tensor) -> torch.Tensor:
        """Levels -> the flow's input h = logit of the bin centre (the dequantisation u = 1/2)."""
        a = self.model.config.alpha
        y = (x.float() + 0.5) / self.levels
        s = a + (1 - 2 * a) * y
        return torch.log(s) - torch.log1p(-s)

    def flow_forward(self, x: torch.Tensor) -> torch.Tensor:
        z, _ = self.model.flow(self.flow_preimage(x))
        return z

    # DDIM: deterministic sampler and its inversion on the same timesteps.
    def _ddim(self):
        from generation.zoo import diffusion

        schedule = diffusion.Schedule(self.model.config)
        eps_fn = diffusion.guided_eps(self.model, None, 0.0)
        seq = torch.linspace(schedule.T - 1, 0, DDIM_STEPS).round().long().tolist()
        return diffusion, schedule, eps_fn, seq

    def _ddim_decode(self, x_t: torch.Tensor) -> torch.Tensor:
        diffusion, schedule, eps_fn, _ = self._ddim()
        return diffusion.ddim_sample(
            eps_fn, schedule, x_t, steps=DDIM_STEPS, eta=0.0, generator=generator_for(0)
        )

    def _ddim_invert(self, x0: torch.Tensor) -> torch.Tensor:
        """Run the DDIM ODE from the data to x_T on the sampler's timesteps, ascending (song2021denoising
        eq. 13): x_{t'} = sqrt(ᾱ_{t'}) x̂_0 + sqrt(1 - ᾱ_{t'}) ε, with ε evaluated at the current point."""
        _, schedule, eps_fn, seq = self._ddim()
        ascending = seq[::-1]
        ab = schedule.alpha_bars.float()
        x = x0.float()
        # Step onto the first timestep, taking the clean image as the point where ε is evaluated.
        first = torch.full((x.shape[0],), ascending[0], dtype=torch.long)
        eps = eps_fn(x, first)
        x = ab[ascending[0]].sqrt() * x + (1 - ab[ascending[0]]).sqrt() * eps
        for i, j in itertools.pairwise(ascending):
            idx = torch.full((x.shape[0],), i, dtype=torch.long)
            eps = eps_fn(x, idx)
            x0_hat = (x - (1 - ab[i]).sqrt() * eps) / ab[i].sqrt()
            x = ab[j].sqrt() * x0_hat + (1 - ab[j]).sqrt() * eps
        return x

    # --- statistics of the training data ----------------------------------------------------------------

    def train(self) -> tuple[torch.Tensor, torch.Tensor, torch.Tensor]:
        """Training images (N, 1, S, S) levels, labels (N,), and the same images as (N, S*S) in [0, 1]."""
        if self._train is None:
            self._train = _training_set(self.images)
        return self._train[:3]

    def nearest(self, x: torch.Tensor) -> list[dict]:
        """For each image (K, 1, S, S): its nearest training image's index, label, and RMS distance in
        [0, 1] grey units (0: identical)."""
        self.train()
        _, labels, flat, norms, index = self._train
        q = x.flatten(1).float() / (self.levels - 1)
        found = []
        for k in range(len(q)):
            best = _shortlisted(q[k], flat, index) if index is not None else None
            if best is None:  # the full search
                d2 = (norms - 2 * flat @ q[k] + q[k] @ q[k]).clamp(min=0)
                i = int(d2.argmin())
                best = (i, float(d2[i]))
            found.append(best)
        return [
            {"index": i, "label": int(labels[i]), "rms": round(math.sqrt(d2 / flat.shape[1]), 4)}
            for i, d2 in found
        ]

    def stats(self) -> Stats:
        with self._lock:
            if self._stats is None:
                self._stats = self._compute_stats()
            return self._stats

    def _compute_stats(self) -> Stats:
        images, labels, _ = self.train()
        classes = len(self.images.classes)
        if self.kind == "gan" and self.conditional:
            z = torch.randn(1, self.code_dim, generator=generator_for(0))[0]
            means = torch.stack([self._with_label(z, c) for c in range(classes)])
            return Stats(mean=means.mean(0), components=None, stds=None, class_means=means)
        if self.kind == "gan":
            z = torch.randn(GAN_LABEL_DRAWS, self.latent_dim, generator=generator_for(0))
            made = torch.cat([self.decode(chunk) for chunk in z.split(256)])
            found = torch.tensor([n["label"] for chunk in made.split(256) for n in self.nearest(chunk)])
            means = torch.stack(
                [
                    z[found == c].mean(0) if (found == c).any() else torch.zeros(self.latent_dim)
                    for c in range(classes)
                ]
            )
            means = self._typical(means)
            return Stats(mean=z.mean(0), components=None, stds=None, class_means=means)
        most = STATS_IMAGES
        if self.kind == "ddim":
            most = STATS_IMAGES_DDIM if self.side <= 8 else STATS_IMAGES_DDIM_28
        chosen = torch.linspace(0, len(images) - 1, min(most, len(images))).round().long()
        x, y = images[chosen], labels[chosen]
        z = torch.cat([self.encode(xs, ys) for xs, ys in zip(x.split(250), y.split(250), strict=True)])
        mean = z.mean(0)
        _, s, vh = torch.linalg.svd(z - mean, full_matrices=False)
        k = min(PRINCIPAL, vh.shape[0])
        stds = s[:k] / math.sqrt(max(1, len(z) - 1))
        means = torch.stack([z[y == c].mean(0) for c in range(classes)])
        if self.spherical:
            means = self._typical(means)
        return Stats(mean=mean, components=vh[:k].contiguous(), stds=stds, class_means=means)

    def _typical(self, vectors: torch.Tensor) -> torch.Tensor:
        """Each row scaled to norm sqrt(D), the norm of a typical draw from N(0, I) in D dimensions."""
        return vectors / vectors.norm(dim=1, keepdim=True).clamp(min=1e-12) * math.sqrt(vectors.shape[1])

    # --- sources and directions ------------------------------------------------------------------------

    def test_image(self, index: int) -> torch.Tensor:
        test = self.images.split("test").images
        if not 0 <= index < len(test):
            raise Unsupported(f"test image {index} is out of range (0..{len(test) - 1})")
        return test[index : index + 1]

    def test_label(self, index: int) -> torch.Tensor:
        return self.images.split("test").labels[index : index + 1]

    def source(self, spec: str) -> torch.Tensor:
        """The latent of "seed:N" (the prior draw of seed N), "class:C" (class C's mean latent) or "test:I"
        (test image I inverted), (D,). Inverted test images and seeds' latents are kept (the last
        ``SOURCES_KEPT``): a slider asks for the same end points at every frame, and a multi-scale flow's seed
        costs two passes."""
        if spec.startswith(("test:", "seed:")):
            with self._lock:
                kept = self._sources.get(spec)
            if kept is None:
                kept = self._source(spec)
                with self._lock:
                    self._sources[spec] = kept
                    while len(self._sources) > SOURCES_KEPT:
                        self._sources.pop(next(iter(self._sources)))
            return kept
        return self._source(spec)

    def _source(self, spec: str) -> torch.Tensor:
        found = SOURCE.match(spec)
        if not found:
            raise Unsupported(f"unknown source {spec!r}: seed:N, class:C or test:I")
        what, number = found.group(1), int(found.group(2))
        if what == "seed":
            return self.prior(number)
        if what == "class":
            if number >= len(self.images.classes):
                raise Unsupported(f"class {number} is out of range")
            return self.stats().class_means[number]
        if not self.invertible:
            raise Unsupported(f"{self.name} is a GAN: it has no encoder, so no image can be inverted")
        return self.encode(self.test_image(number), self.test_label(number))[0]

    def direction(self, spec: str) -> torch.Tensor:
        """ "pc:K" (the K-th principal direction, one standard deviation long) or "class:A-B" -> (D,)."""
        found = DIRECTION.match(spec)
        if not found:
            raise Unsupported(f"unknown direction {spec!r}: pc:K or class:A-B")
        stats = self.stats()
        if found.group(1) is not None:
            if stats.components is None:
                raise Unsupported(f"{self.name} has no encoder, so no principal directions of encoded data")
            k = int(found.group(1))
            if k >= len(stats.components):
                raise Unsupported(f"only {len(stats.components)} principal directions")
            return stats.components[k] * stats.stds[k]
        a, b = int(found.group(2)), int(found.group(3))
        if max(a, b) >= len(self.images.classes):
            raise Unsupported("class out of range")
        return stats.class_means[b] - stats.class_means[a]

    def interpolate(self, a: torch.Tensor, b: torch.Tensor, t: float) -> torch.Tensor:
        return slerp(a, b, t) if self.spherical else lerp(a, b, t)

    # --- frames ------------------------------------------------------------------------------------------

    def latent_of(self, params: dict) -> torch.Tensor:
        """The latent a validated explorer state addresses (see generation/explorer.py for the fields)."""
        if params["mode"] == "line":
            return self.interpolate(self.source(params["a"]), self.source(params["b"]), float(params["t"]))
        z = self.source(params["a"])
        for name, amount in (("d1", "u"), ("d2", "v")):
            if float(params[amount]) != 0.0:
                z = z + float(params[amount]) * self.direction(params[name])
        return z

    def frame(self, params: dict) -> tuple[bytes, dict]:
        """One explorer frame: a PNG of [the decoded latent | its nearest training image | the test images
        the state inverts, if any], and what the page says about it."""
        image = self.decode(self.latent_of(params)[None])
        [near] = self.nearest(image)
        train_images, _, _ = self.train()
        panels = [image, train_images[near["index"] : near["index"] + 1]]
        tests = [
            int(spec.split(":")[1])
            for key in (("a", "b") if params["mode"] == "line" else ("a",))
            if (spec := params[key]).startswith("test:")
        ]
        panels += [self.test_image(i) for i in tests]
        png = grid_png(torch.cat(panels), columns=len(panels))
        label = self.images.classes[near["label"]]
        meta = {
            "nearest": {**near, "class": label},
            "panels": ["frame", "nearest training image"] + [f"test image {i}" for i in tests],
        }
        return png, meta

    def overview(self, params: dict) -> tuple[bytes, dict]:
        """The whole line or grid at once, each frame's nearest training image beside it: a line is two rows
        (OVERVIEW_LINE frames from a to b, then their nearest training images); a grid is a row per v
        (top: the largest) of the frames at each u of OVERVIEW_GRID, then their nearest training images."""
        if params["mode"] == "line":
            a, b = self.source(params["a"]), self.source(params["b"])
            ts = [i / (OVERVIEW_LINE - 1) for i in range(OVERVIEW_LINE)]
            images = self.decode(torch.stack([self.interpolate(a, b, t) for t in ts]))
            near = self.nearest(images)
            train_images, _, _ = self.train()
            nearest = torch.cat([train_images[n["index"] : n["index"] + 1] for n in near])
            png = grid_png(torch.cat([images, nearest]), columns=OVERVIEW_LINE)
            return png, {"layout": "line", "t": ts, "nearest": near}
        z = self.source(params["a"])
        d1, d2 = self.direction(params["d1"]), self.direction(params["d2"])
        steps = OVERVIEW_GRID
        latents = torch.stack([z + u * d1 + v * d2 for v in reversed(steps) for u in steps])
        images = self.decode(latents)
        near = self.nearest(images)
        train_images, _, _ = self.train()
        nearest = torch.cat([train_images[n["index"] : n["index"] + 1] for n in near])
        k = len(steps)
        rows = [torch.cat([images[r * k : (r + 1) * k], nearest[r * k : (r + 1) * k]]) for r in range(k)]
        png = grid_png(torch.cat(rows), columns=2 * k)
        return png, {"layout": "grid", "u": list(steps), "v": list(reversed(steps)), "nearest": near}


OVERVIEW_LINE = 9  # frames of a line's overview, t = 0 .. 1
OVERVIEW_GRID = (-2.0, -1.0, 0.0, 1.0, 2.0)  # u and v of a grid's overview


_train_sets: dict[str, tuple] = {}


def _training_set(images: data.ImageSet) -> tuple:
    """A data set's training images, labels, the images flattened to [0, 1], their squared norms, and for a
    large set a projection index (``_index``); once per process (Fashion-MNIST's 55,000 take 170 MB as
    floats: every model of the set shares them)."""
    with _spaces_lock:
        if images.name not in _train_sets:
            split = images.split("train")
            flat = split.images.flatten(1).float() / (images.levels - 1)
            index = _index(flat) if flat.numel() > INDEX_ABOVE else None
            _train_sets[images.name] = (split.images, split.labels, flat, (flat * flat).sum(1), index)
        return _train_sets[images.name]


INDEX_ABOVE = 5_000_000  # training pixels above which the nearest-image search goes through the index
INDEX_COMPONENTS = 64  # principal components the training images are projected on
SHORTLIST = 2048  # candidates whose exact distance is measured (1 of 200 test images needs the full search)


def _index(flat: torch.Tensor) -> tuple:
    """Mean, top principal directions (D, C) of a fixed subset, and every image's projection (N, C)."""
    subset = flat[:: max(1, len(flat) // 5000)]
    mean = subset.mean(0)
    _, _, vh = torch.linalg.svd(subset - mean, full_matrices=False)
    basis = vh[:INDEX_COMPONENTS].T.contiguous()  # (D, C), orthonormal columns
    projected = (flat - mean) @ basis
    return mean, basis, projected, (projected * projected).sum(1)


def _shortlisted(q: torch.Tensor, flat: torch.Tensor, index: tuple) -> tuple[int, float] | None:
    """The exact nearest training image, found among a shortlist, or None when the shortlist cannot prove
    it. A projection onto orthonormal directions never lengthens a difference, so every image outside the
    shortlist is at least as far as the shortlist's cut-off in projection; if the best candidate is nearer
    than that, it is the nearest of all."""
    mean, basis, projected, projected_norms = index
    p = (q - mean) @ basis
    lower = (projected_norms - 2 * projected @ p + p @ p).clamp(min=0)  # squared distances in projection
    cut, order = lower.topk(SHORTLIST + 1, largest=False)
    candidates = order[:SHORTLIST]
    d2 = ((flat[candidates] - q) ** 2).sum(1)
    best = int(d2.argmin())
    if float(d2[best]) > float(cut[-1]):
        return None
    return int(candidates[best]), float(d2[best])


_spaces: dict[str, Space] = {}
_spaces_lock = threading.RLock()


def space(name: str) -> Space:
    """The latent space of a shipped zoo model (loaded once per process; the checkpoint's hash checked)."""
    if name not in KINDS:
        raise Unsupported(f"{name!r} has no latent space the explorer knows")
    with _spaces_lock:
        if name not in _spaces:
            from generation.zoo import registry

            model = registry.load(name)
            images = data.image_set(registry.get_model(name).dataset)
            kind = KINDS[name]
            _spaces[name] = make_space(name, model, images=images, kind=kind)
        return _spaces[name]


def make_space(name: str, model: torch.nn.Module, *, images: data.ImageSet, kind: str) -> Space:
    """A latent space around any model of a known kind (the shipped one, or a test's untrained one)."""
    made = Space(name=name, kind=kind, model=model, images=images, latent_dim=images.dims)
    if kind in ("vae", "gan"):
        embedding = made._label_embedding()
        made.latent_dim = model.config.latent + (embedding.embedding_dim if embedding is not None else 0)
    return made
