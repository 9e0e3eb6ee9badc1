"""Convolutional VAEs: a β-VAE on 8x8 digits (17-way categorical decoder) and a class-conditional VAE on
28x28 Fashion-MNIST (discretised logistic decoder over 256 levels).

Follows kingma2014auto (the evidence lower bound, eq. 3 and 10, and the reparameterization trick, section
2.4) with the β weight on the KL term of higgins2017beta. Every bound is computed with β = 1, whatever β the
model was trained with, and is a bound on the discrete log-likelihood of the levels as stored, with no
dequantisation: the decoder puts a probability (not a density) on each level, so -log2 P(x) <= -ELBO / ln 2.

Digits (``dataset="digits"``, the ``vae`` model): the decoder is a 17-way softmax per pixel. ``fit`` scores
the validation digits every ``eval_every`` steps (one draw of z, fixed seed) and keeps the weights of the best
score, not the last ones. The shipped ``vae`` trains 1,500 steps, scored every 50; the length was chosen on
validation (8-draw bound of the kept weights: 2.131 bits/dim after 1,500 steps, 2.160 after 1,000, 2.163
after 3,000, the cosine schedule stretched to each length). After training, a small Gaussian mixture
(``mixture`` components, diagonal covariances, fitted by EM with scikit-learn) is fitted to the posterior
means of the 1,000 training digits and stored in the checkpoint as buffers: a learned prior over codes for
sampling (``prior="mixture"``, the default of ``sample`` for such a model), closer to where the encoder
actually puts digits than N(0, I), whose holes decode into non-digits. The shipped ``vae`` has 20 components,
chosen on validation: of 5, 10, 20 and 40, 20 gave the best mean log-density of the validation digits'
posterior means (and a validation FD close to the best). The bound is the ELBO under N(0, I), the prior the
model was trained with: the mixture only changes where samples come from, so the bits/dim and the sample
metrics describe one decoder under two priors.

Fashion-MNIST (``dataset="fashion"``, the ``vae-fashion`` model): what the 28x28 variant changes.
  * Two stride-2 convolutions take 28 -> 14 -> 7 in the encoder, two transposed ones 7 -> 14 -> 28 in the
    decoder.
  * Class-conditional: a learned embedding of the label is concatenated to the encoder's features (q(z|x, y))
    and to z before the decoder (p(x|z, y)). The class prior p(y) is uniform (the data set is balanced), so
    an "any class" draw (``labels=None``) draws y uniformly first: a sample of the joint model.
  * The decoder's likelihood is a discretised logistic per pixel (salimans2017pixelcnn, section 2.1): a
    logistic with mean mu and scale s, integrated over the bin of width 2/255 around each level in [-1, 1],
    the outer bins reaching to ±∞. Its negative ELBO is a bound on -log2 P(x | y) of the 256-level images.
  * ``nll_bits_per_dim`` bounds the label-free -log2 P(x) = -log2 sum_y p(y) P(x|y): since
    P(x|y) >= exp(ELBO(x, y)) for every y, -log2 sum_y p(y) exp(ELBO(x, y)) is an upper bound; it needs the
    ELBO under each of the 10 labels. Training keeps the best checkpoint on the cheaper bound that uses the
    true label, -log2 p(y) - ELBO(x, y) / ln 2, which is never tighter.

Sampling: z ~ N(0, T² I) (T the temperature) or the digits' mixture (component drawn, then its Gaussian with
standard deviations scaled by T), then each pixel drawn from its decoder distribution (``decode="sample"``,
the model's true samples, used by the evaluation) or set to its expected level (``decode="mean"``; for the
logistic, its mean mu) for the smoother pictures of the demo.
"""

from __future__ import annotations

import math
import time
from collections.abc import Callable
from dataclasses import dataclass

import torch
import torch.nn.functional as F
from torch import nn

from generation.zoo import data
from generation.zoo.demos import Artefact, Demo, generator_for, labels_for
from generation.zoo.images import grid_png
from generation.zoo.params import Param, n_param, seed_param
from generation.zoo.registry import ZooModel, load

CITATION = "kingma2014auto"


@dataclass
class Config:
    latent: int = 16  # size of z
    width: int = 32  # channels of the first conv layer; the second has 2 * width
    beta: float = 1.0  # weight of the KL term (higgins2017beta); 1 gives the plain ELBO
    steps: int = 3000  # Adam steps
    batch: int = 64  # images per step
    lr: float = 2e-3  # Adam learning rate, cosine-decayed to 0
    levels: int = data.LEVELS  # digits: softmax size per pixel (Fashion-MNIST's 256 come from its image set)
    dataset: str = "digits"  # "digits" (8x8, unconditional) or "fashion" (28x28, class-conditional)
    eval_every: int = 0  # steps between validation scores (best kept); 0: no selection, the last weights
    mixture: int = 0  # digits: components of the Gaussian mixture prior fitted after training (0: none)
    embed: int = 16  # fashion: size of the label embedding
    hidden: int = 256  # fashion: width of the encoder's fully connected layer


# --- the 8x8 digits model ---------------------------------------------------------------------------------


class VAE(nn.Module):
    def __init__(self, cfg: Config):
        super().__init__()
        self.config = cfg
        w = cfg.width
        self.encoder = nn.Sequential(
            nn.Conv2d(1, w, 3, padding=1),  # (B, w, 8, 8)
            nn.ReLU(),
            nn.Conv2d(w, 2 * w, 4, stride=2, padding=1),  # (B, 2w, 4, 4)
            nn.ReLU(),
            nn.Flatten(),
            nn.Linear(2 * w * 16, 2 * cfg.latent),  # mean and log-variance of q(z|x)
        )
        self.project = nn.Linear(cfg.latent, 2 * w * 16)
        self.decoder = nn.Sequential(
            nn.ReLU(),
            nn.ConvTranspose2d(2 * w, w, 4, stride=2, padding=1),  # (B, w, 8, 8)
            nn.ReLU(),
            nn.Conv2d(w, w, 3, padding=1),
            nn.ReLU(),
            nn.Conv2d(w, cfg.levels, 3, padding=1),  # (B, 17, 8, 8): logits over grey levels
        )
        if cfg.mixture:
            # The sampling prior, fitted after training (fit_mixture_prior), saved with the weights.
            k = cfg.mixture
            self.register_buffer("prior_weights", torch.full((k,), 1.0 / k))
            self.register_buffer("prior_means", torch.zeros(k, cfg.latent))
            self.register_buffer("prior_stds", torch.ones(k, cfg.latent))

    def encode(
        self, x: torch.Tensor, labels: torch.Tensor | None = None
    ) -> tuple[torch.Tensor, torch.Tensor]:
        """x (B, 1, 8, 8) levels -> mean, log-variance of q(z|x), each (B, latent)."""
        mu, logvar = self.encoder(data.to_unit(x)).chunk(2, dim=1)
        return mu, logvar.clamp(-12, 8)

    def decode_logits(self, z: torch.Tensor) -> torch.Tensor:
        h = self.project(z).view(z.shape[0], -1, 4, 4)  # (B, 2w, 4, 4)
        return self.decoder(h)  # (B, 17, 8, 8)

    def forward(self, x: torch.Tensor, generator: torch.Generator | None = None, labels=None):
        """Returns logits (B, 17, 8, 8) and the per-image terms of the negative ELBO in nats: (rec, kl)."""
        mu, logvar = self.encode(x)
        z = _reparameterise(mu, logvar, generator)
        logits = self.decode_logits(z)
        rec = F.cross_entropy(logits, x[:, 0], reduction="none").flatten(1).sum(1)  # -log p(x|z), (B,)
        return logits, (rec, _kl(mu, logvar))


def _reparameterise(
    mu: torch.Tensor, logvar: torch.Tensor, generator: torch.Generator | None
) -> torch.Tensor:
    # Reparameterization trick (kingma2014auto, section 2.4): z = mu + sigma * eps, eps ~ N(0, I), so the
    # gradient flows through mu and sigma. eps is drawn on the CPU: the same on every device.
    eps = torch.randn(mu.shape, generator=generator).to(mu.device)
    return mu + torch.exp(0.5 * logvar) * eps


def _kl(mu: torch.Tensor, logvar: torch.Tensor) -> torch.Tensor:
    # KL(q(z|x) || N(0, I)) in closed form (kingma2014auto, appendix B), per image: (B,).
    return 0.5 * (mu.pow(2) + logvar.exp() - 1 - logvar).sum(1)


# --- the 28x28 Fashion-MNIST model --------------------------------------------------------------------------


def discretised_logistic_nll(x: torch.Tensor, mean: torch.Tensor, log_scale: torch.Tensor, levels: int):
    """-log P(x) in nats of levels x (B, 1, H, W) under a logistic (mean, log_scale) in [-1, 1] integrated
    over each level's bin (salimans2017pixelcnn, section 2.1); the lowest and highest bins reach to ±∞.
    Returns (B, 1, H, W)."""
    unit = data.to_unit(x, levels)
    half = 1.0 / (levels - 1)  # half a bin: the levels are 2 / (levels - 1) apart in [-1, 1]
    inv_s = torch.exp(-log_scale)
    upper = inv_s * (unit - mean + half)
    lower = inv_s * (unit - mean - half)
    log_cdf_upper = -F.softplus(-upper)  # log sigmoid(upper): the lowest bin, (-inf, -1 + half]
    log_sf_lower = -F.softplus(lower)  # log (1 - sigmoid(lower)): the highest bin, [1 - half, inf)
    delta = torch.sigmoid(upper) - torch.sigmoid(lower)
    # Interior bins: log of the CDF difference; where it underflows, the density at the centre times the
    # bin's width (the difference's first-order value).
    centre = inv_s * (unit - mean)
    log_pdf = centre - log_scale - 2 * F.softplus(centre)
    log_mid = torch.where(delta > 1e-5, torch.log(delta.clamp_min(1e-12)), log_pdf + math.log(2 * half))
    log_p = torch.where(x == 0, log_cdf_upper, torch.where(x == levels - 1, log_sf_lower, log_mid))
    return -log_p


class ConditionalVAE(nn.Module):
    """A class-conditional convolutional VAE on 28x28 images: q(z|x, y), p(x|z, y), p(z) = N(0, I)."""

    def __init__(self, cfg: Config):
        super().__init__()
        self.config = cfg
        image_set = data.image_set(cfg.dataset)
        self.levels, self.side = image_set.levels, image_set.side
        self.classes = len(image_set.classes)
        w, s = cfg.width, self.side // 4  # 7 for 28x28
        self.label_embedding = nn.Embedding(self.classes, cfg.embed)
        self.features = nn.Sequential(
            nn.Conv2d(1, w, 4, stride=2, padding=1),  # (B, w, 14, 14)
            nn.ReLU(),
            nn.Conv2d(w, 2 * w, 4, stride=2, padding=1),  # (B, 2w, 7, 7)
            nn.ReLU(),
            nn.Flatten(),
        )
        self.posterior = nn.Sequential(
            nn.Linear(2 * w * s * s + cfg.embed, cfg.hidden),
            nn.ReLU(),
            nn.Linear(cfg.hidden, 2 * cfg.latent),  # mean and log-variance of q(z|x, y)
        )
        self.project = nn.Linear(cfg.latent + cfg.embed, 2 * w * s * s)
        self.decoder = nn.Sequential(
            nn.ReLU(),
            nn.ConvTranspose2d(2 * w, w, 4, stride=2, padding=1),  # (B, w, 14, 14)
            nn.ReLU(),
            nn.ConvTranspose2d(w, w, 4, stride=2, padding=1),  # (B, w, 28, 28)
            nn.ReLU(),
            nn.Conv2d(w, 2, 3, padding=1),  # (B, 2, 28, 28): mean and log-scale of each pixel's logistic
        )

    def encode(self, x: torch.Tensor, labels: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
        """x (B, 1, 28, 28) levels, labels (B,) -> mean, log-variance of q(z|x, y), each (B, latent)."""
        h = self.features(data.to_unit(x, self.levels))
        h = torch.cat([h, self.label_embedding(labels)], dim=1)
        mu, logvar = self.posterior(h).chunk(2, dim=1)
        return mu, logvar.clamp(-12, 8)

    def decode_params(self, z: torch.Tensor, labels: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
        """z (B, latent), labels (B,) -> the logistic's mean and log-scale, each (B, 1, 28, 28)."""
        h = self.project(torch.cat([z, self.label_embedding(labels)], dim=1))
        out = self.decoder(h.view(z.shape[0], -1, self.side // 4, self.side // 4))
        mean, log_scale = out.chunk(2, dim=1)
        return mean, log_scale.clamp(min=-7.0)

    def forward(self, x: torch.Tensor, generator: torch.Generator | None = None, labels=None):
        """Returns the decoder's (mean, log_scale) and the per-image terms of the negative ELBO in nats."""
        assert labels is not None, "the conditional VAE needs the labels"
        mu, logvar = self.encode(x, labels)
        z = _reparameterise(mu, logvar, generator)
        mean, log_scale = self.decode_params(z, labels)
        rec = discretised_logistic_nll(x, mean, log_scale, self.levels).flatten(1).sum(1)  # (B,)
        return (mean, log_scale), (rec, _kl(mu, logvar))


def build(cfg: Config) -> nn.Module:
    return VAE(cfg) if cfg.dataset == "digits" else ConditionalVAE(cfg)


def _conditional(model: nn.Module) -> bool:
    return isinstance(model, ConditionalVAE)


def loss_fn(rec: torch.Tensor, kl: torch.Tensor, beta: float) -> torch.Tensor:
    # β-VAE objective (higgins2017beta eq. 4): E_q[-log p(x|z)] + β KL(q(z|x) || p(z)), per image, averaged.
    return (rec + beta * kl).mean()


# --- training -----------------------------------------------------------------------------------------------


@torch.inference_mode()
def selection_bits_per_dim(model: nn.Module, split, *, batch: int = 500) -> float:
    """The score ``fit`` selects on: one draw of z per image (fixed seed), β = 1, bits per dimension; for a
    conditional model with the true label and its -log2 p(y) (a bound on the label-free -log2 P(x))."""
    generator = torch.Generator().manual_seed(0)
    dims = split.images[0].numel()
    total = 0.0
    for start in range(0, len(split.images), batch):
        x, y = split.images[start : start + batch], split.labels[start : start + batch]
        _, (rec, kl) = model(x, generator, labels=y if _conditional(model) else None)
        total += (rec + kl).sum().item()
    nats = total / len(split.images)
    if _conditional(model):
        nats += math.log(model.classes)  # -log p(y), uniform
    return nats / dims / math.log(2)


def fit(
    model: nn.Module, cfg: Config, *, generator: torch.Generator, log: Callable[[int, dict], None]
) -> dict:
    """Adam with a cosine schedule on the β-VAE objective. With ``eval_every`` the validation split is scored
    every so many steps (``selection_bits_per_dim``) and the best-scoring weights are the ones kept. A digits
    model with ``mixture`` gets its mixture prior fitted on the training posterior means at the end."""
    image_set = data.image_set(cfg.dataset)
    train, val = image_set.split("train"), image_set.split("val")
    conditional = _conditional(model)
    optimiser = torch.optim.Adam(model.parameters(), lr=cfg.lr)
    schedule = torch.optim.lr_scheduler.CosineAnnealingLR(optimiser, cfg.steps)
    history = {"loss": [], "val_bpd": []}
    best = (math.inf, 0, None)  # (score, step, weights)
    started = time.perf_counter()
    model.train()
    for step in range(1, cfg.steps + 1):
        index = torch.randint(0, len(train.images), (cfg.batch,), generator=generator)
        x = train.images[index]
        _, (rec, kl) = model(x, generator, labels=train.labels[index] if conditional else None)
        loss = loss_fn(rec, kl, cfg.beta)
        optimiser.zero_grad(set_to_none=True)
        loss.backward()
        optimiser.step()
        schedule.step()
        history["loss"].append(loss.item() / image_set.dims / math.log(2))  # bits per dim of the batch
        if cfg.eval_every and (step % cfg.eval_every == 0 or step == cfg.steps):
            model.eval()
            score = selection_bits_per_dim(model, val)
            model.train()
            history["val_bpd"].append(score)
            if score < best[0]:
                best = (score, step, {k: v.detach().clone() for k, v in model.state_dict().items()})
            log(step, {"loss_bpd": history["loss"][-1], "val_bpd": score, "s": time.perf_counter() - started})
        elif step % 500 == 0 or step == cfg.steps:
            log(step, {"loss_bpd": history["loss"][-1], "s": time.perf_counter() - started})
    model.eval()
    metrics = {}
    if best[2] is not None:
        model.load_state_dict(best[2])
        metrics.update(best_step=best[1], selection="best validation score, weights of that step kept")
    if conditional:
        metrics["val_true_label_bound_bits_per_dim"] = round(selection_bits_per_dim(model, val), 4)
    else:
        metrics["val_elbo_bits_per_dim"] = round(nll_bits_per_dim(model, val.images).mean().item(), 4)
        if best[2] is not None:
            metrics["val_one_sample_bits_per_dim"] = round(best[0], 4)
    if not conditional and cfg.mixture:
        metrics.update(fit_mixture_prior(model, train.images, val.images, seed=0))
    return {**metrics, "history": history}


@torch.inference_mode()
def fit_mixture_prior(model: VAE, train: torch.Tensor, val: torch.Tensor, *, seed: int) -> dict:
    """Fit the sampling prior: a diagonal Gaussian mixture over the posterior means of the training images,
    written into the model's buffers. Returns the mixture's mean log-density of train and val means."""
    from sklearn.mixture import GaussianMixture

    train_mu = model.encode(train)[0].double().numpy()
    val_mu = model.encode(val)[0].double().numpy()
    gmm = GaussianMixture(model.config.mixture, covariance_type="diag", random_state=seed, reg_covar=1e-4)
    gmm.fit(train_mu)
    model.prior_weights.copy_(torch.from_numpy(gmm.weights_).float())
    model.prior_means.copy_(torch.from_numpy(gmm.means_).float())
    model.prior_stds.copy_(torch.from_numpy(gmm.covariances_).float().sqrt())
    return {
        "mixture_train_loglik": round(float(gmm.score(train_mu)), 3),
        "mixture_val_loglik": round(float(gmm.score(val_mu)), 3),
    }


# --- likelihood ---------------------------------------------------------------------------------------------


@torch.inference_mode()
def nll_bits_per_dim(
    model: nn.Module, x: torch.Tensor, *, samples: int = 8, labels: torch.Tensor | None = None
) -> torch.Tensor:
    """Negative ELBO (β = 1) of each image in bits per dimension, averaged over ``samples`` draws of z: (B,).

    For the conditional model, a bound on the label-free -log2 P(x): with ``labels=None`` the ELBO under
    every class is combined, -log2 sum_y p(y) exp(ELBO(x, y)); with labels, -log2 p(y) - ELBO(x, y) / ln 2
    for the given ones (looser). A fixed generator makes the estimate the same on every call.
    """
    generator = torch.Generator().manual_seed(0)
    dims = x[0].numel()
    if not _conditional(model):
        total = torch.zeros(len(x))
        for _ in range(samples):
            _, (rec, kl) = model(x, generator)
            total += (rec + kl).cpu()
        return total / samples / dims / math.log(2)
    device = next(model.parameters()).device
    prior = math.log(model.classes)  # -log p(y), uniform
    candidates = [labels] if labels is not None else [torch.full((len(x),), c) for c in range(model.classes)]
    negative_elbos = []  # one (B,) per candidate label, in nats
    for y in candidates:
        total = torch.zeros(len(x))
        for _ in range(samples):
            _, (rec, kl) = model(x.to(device), generator, labels=y.to(device))
            total += (rec + kl).cpu()
        negative_elbos.append(total / samples + prior)
    nats = -torch.logsumexp(-torch.stack(negative_elbos), dim=0)
    return nats / dims / math.log(2)


# --- sampling -----------------------------------------------------------------------------------------------


def draw_latents(
    model: nn.Module, n: int, *, generator: torch.Generator, temperature: float = 1.0, prior: str = "standard"
) -> torch.Tensor:
    """n codes (n, latent) on the CPU: N(0, T² I), or the fitted mixture with its deviations scaled by T."""
    latent = model.config.latent
    if prior == "standard":
        return torch.randn(n, latent, generator=generator) * temperature
    assert prior == "mixture", f"unknown prior {prior!r}"
    assert getattr(model.config, "mixture", 0), "this model has no mixture prior"
    weights, means, stds = (b.cpu() for b in (model.prior_weights, model.prior_means, model.prior_stds))
    component = torch.multinomial(weights, n, replacement=True, generator=generator)  # (n,)
    eps = torch.randn(n, latent, generator=generator)
    return means[component] + stds[component] * eps * temperature


@torch.inference_mode()
def decode(
    model: nn.Module,
    z: torch.Tensor,
    *,
    mode: str,
    generator: torch.Generator,
    device: str,
    labels: torch.Tensor | None = None,
) -> torch.Tensor:
    """z (n, latent) -> levels (n, 1, side, side): a draw from each pixel's distribution, or its mean."""
    if _conditional(model):
        mean, log_scale = model.decode_params(z.to(device), labels.to(device))
        mean, scale = mean.cpu(), log_scale.exp().cpu()
        if mode == "sample":  # inverse CDF of the logistic, noise drawn on the CPU
            u = torch.rand(mean.shape, generator=generator).clamp(1e-5, 1 - 1e-5)
            mean = mean + scale * (torch.log(u) - torch.log1p(-u))
        return data.from_unit(mean, model.levels)
    probs = model.decode_logits(z.to(device)).softmax(1).cpu()  # (n, 17, 8, 8)
    if mode == "mean":
        levels = torch.arange(probs.shape[1], dtype=probs.dtype)[None, :, None, None]
        return (probs * levels).sum(1, keepdim=True).round().long()
    flat = probs.permute(0, 2, 3, 1).reshape(-1, probs.shape[1])  # (n * 64, 17)
    picks = torch.multinomial(flat, 1, generator=generator)  # drawn on the CPU: same on every device
    return picks.view(z.shape[0], 1, 8, 8)


@torch.inference_mode()
def sample(
    model: nn.Module,
    n: int,
    *,
    generator: torch.Generator,
    device: str = "cpu",
    progress: Callable[[int, int], None] | None = None,
    temperature: float = 1.0,
    mode: str = "sample",
    labels: torch.Tensor | None = None,
    prior: str | None = None,
) -> torch.Tensor:
    """n images (n, 1, side, side) long levels from the prior through the decoder.

    Conditional model: ``labels`` (n,) class ids, or None to draw each uniformly (any class). ``prior``:
    "standard" (N(0, T² I)) or "mixture" (the fitted mixture of a digits model that has one); None, the
    default, is the mixture where the model has one, so the evaluation scores the samples the demo shows.
    """
    assert temperature >= 0, "temperature must be non-negative"
    assert mode in ("sample", "mean"), f"unknown decode mode {mode!r}"
    if progress is not None:
        progress(0, 1)
    if _conditional(model):
        if labels is None:
            labels = torch.randint(0, model.classes, (n,), generator=generator)
        assert labels.shape == (n,), f"labels must have shape ({n},)"
    if prior is None:
        prior = "mixture" if getattr(model.config, "mixture", 0) else "standard"
    z = draw_latents(model, n, generator=generator, temperature=temperature, prior=prior)
    images = decode(model, z, mode=mode, generator=generator, device=device, labels=labels)
    if progress is not None:
        progress(1, 1)
    return images


# --- the shipped models and their demos ---------------------------------------------------------------------

MODELS = (
    ZooModel(
        name="vae",
        family="vaes",
        module=__name__,
        title="Convolutional VAE with a 17-way categorical decoder",
        citation_key=CITATION,
        config={"eval_every": 50, "mixture": 20, "steps": 1500},
        seed=0,
        likelihood="bound",
    ),
    ZooModel(
        name="vae-fashion",
        family="vaes",
        module=__name__,
        title="Class-conditional convolutional VAE with a discretised logistic decoder, Fashion-MNIST 28x28",
        citation_key=CITATION,
        config={
            "dataset": "fashion",
            "levels": 256,
            "latent": 32,
            "width": 32,
            "steps": 3200,
            "batch": 64,
            "lr": 2e-3,
            "eval_every": 400,
        },
        seed=0,
        likelihood="bound",
    ),
)

DECODE = Param(
    "decode",
    "choice",
    "mean",
    choices=("mean", "sample"),
    help="mean: the expected grey level of each pixel; sample: draw every pixel from its categorical.",
)
PRIOR = Param(
    "prior",
    "choice",
    "mixture",
    choices=("mixture", "standard"),
    help="mixture: codes from the Gaussian mixture fitted to the encoded training digits; standard: N(0, I).",
)
ANY = "any"
FASHION_LABEL = Param(
    "label",
    "choice",
    ANY,
    choices=(ANY, *data.FASHION_CLASSES),
    help="The class to draw; any: a class drawn at random for each sample.",
)
FASHION_DECODE = Param(
    "decode",
    "choice",
    "mean",
    choices=("mean", "sample"),
    help="mean: each pixel's logistic mean (smooth); sample: each pixel drawn from its logistic (grainy).",
)


def _run_samples(params: dict, *, device: str, progress) -> tuple[list[Artefact], dict]:
    model = load("vae", device=device)
    images = sample(
        model,
        params["n"],
        generator=generator_for(params["seed"]),
        device=device,
        progress=progress,
        temperature=params["temperature"],
        mode=params["decode"],
        prior=params["prior"],
    )
    return [Artefact("samples.png", "image/png", grid_png(images))], {"shape": list(images.shape)}


def _run_fashion(params: dict, *, device: str, progress) -> tuple[list[Artefact], dict]:
    model = load("vae-fashion", device=device)
    images = sample(
        model,
        params["n"],
        generator=generator_for(params["seed"]),
        device=device,
        progress=progress,
        temperature=params["temperature"],
        mode=params["decode"],
        labels=labels_for(params["label"], params["n"]),
    )
    return [Artefact("samples.png", "image/png", grid_png(images))], {"shape": list(images.shape)}


def _run_interpolation(params: dict, *, device: str, progress) -> tuple[list[Artefact], dict]:
    model = load("vae", device=device)
    latent = model.config.latent
    a = torch.randn(latent, generator=generator_for(params["seed"]))
    b = torch.randn(latent, generator=generator_for(params["seed_to"]))
    t = torch.linspace(0, 1, params["n"])[:, None]
    z = (1 - t) * a[None] + t * b[None]  # (n, latent): a straight line in the latent space
    if progress is not None:
        progress(0, 1)
    images = decode(model, z, mode=params["decode"], generator=generator_for(params["seed"]), device=device)
    if progress is not None:
        progress(1, 1)
    png = grid_png(images, columns=min(params["n"], 8))
    return [Artefact("interpolation.png", "image/png", png)], {"shape": list(images.shape)}


def _run_reconstructions(params: dict, *, device: str, progress) -> tuple[list[Artefact], dict]:
    model = load("vae", device=device)
    test = data.digits("test").images
    first, n = params["first"], params["n"]
    originals = test[first : first + n]  # fewer than n near the end of the test split
    if progress is not None:
        progress(0, 1)
    with torch.inference_mode():
        mu, _ = model.encode(originals.to(device))  # the posterior mean: the most likely code
    recon = decode(
        model, mu.cpu(), mode=params["decode"], generator=generator_for(params["seed"]), device=device
    )
    if progress is not None:
        progress(1, 1)
    # Rows of up to 8 originals, each followed by a row of their reconstructions.
    rows = []
    for start in range(0, len(originals), 8):
        chunk_o, chunk_r = originals[start : start + 8], recon[start : start + 8]
        pad = 8 - len(chunk_o)
        blank = torch.zeros(pad, 1, 8, 8, dtype=torch.long)
        rows += [torch.cat([chunk_o, blank]), torch.cat([chunk_r, blank])]
    png = grid_png(torch.cat(rows), columns=8)
    return [Artefact("reconstructions.png", "image/png", png)], {
        "test_indices": [first, first + len(originals)],
        "layout": "pairs of rows: test digits, then their reconstructions",
    }


DEMOS = (
    Demo(
        slug="vae-fashion",
        family="vaes",
        title="VAE: Fashion-MNIST clothing by class",
        description="Draw z from the Gaussian prior (scaled by a temperature) and decode it, with a class "
        "label, into a 28x28 clothing item through the discretised logistic decoder.",
        model="vae-fashion",
        params=(
            seed_param(),
            n_param(),
            FASHION_LABEL,
            Param("temperature", "float", 1.0, 0.0, 2.0, help="Scale of the prior's standard deviation."),
            FASHION_DECODE,
        ),
        citation_key=CITATION,
        run=_run_fashion,
    ),
    Demo(
        slug="vae-digits",
        family="vaes",
        title="VAE: digits from the prior",
        description="Draw z from a prior (the Gaussian mixture fitted to the encoded training digits, or "
        "N(0, I)), scaled by a temperature, and decode it into a digit through the 17-way categorical "
        "decoder.",
        model="vae",
        params=(
            seed_param(),
            n_param(),
            Param("temperature", "float", 1.0, 0.0, 2.0, help="Scale of the prior's standard deviation."),
            DECODE,
            PRIOR,
        ),
        citation_key=CITATION,
        run=_run_samples,
    ),
    Demo(
        slug="vae-interpolation",
        family="vaes",
        title="VAE: a line through the latent space",
        description="Decode evenly spaced points on the straight line between the latent codes of two seeds.",
        model="vae",
        params=(
            seed_param(0),
            Param("seed_to", "int", 1, 0, 2**31 - 1, help="Seed of the end point of the line."),
            n_param(8, help="Number of points along the line, both ends included."),
            DECODE,
        ),
        citation_key=CITATION,
        run=_run_interpolation,
    ),
    Demo(
        slug="vae-reconstructions",
        family="vaes",
        title="VAE: reconstructions of test digits",
        description="Encode held-out test digits to their posterior mean and decode them again: what the "
        "16-number code keeps of a digit.",
        model="vae",
        params=(
            seed_param(0),
            n_param(16, help="Number of test digits to reconstruct."),
            Param("first", "int", 0, 0, 446, help="Index of the first test digit (the test split has 447)."),
            DECODE,
        ),
        citation_key=CITATION,
        run=_run_reconstructions,
    ),
)
