"""Evaluation: the same code for every model and baseline, on the digits test split (or the names test split).

Metrics of an image row (all on the 447 test digits):
  bits_per_dim   -log2 P(x) / 64 of the 17-level test digits: exact (autoregressive), a bound (VAE, diffusion,
                 dequantised continuous densities). Discrete models score the levels directly; continuous
                 ones are scored on x + u with u ~ U[0, 1)^64 in level units (uniform dequantisation, bins of
                 width 1), which by Jensen bounds the discrete NLL (theis2016note). null where there is no
                 likelihood (GAN, EBM, KDE).
  fd             Fréchet distance (heusel2017gans) between classifier features of 1,000 samples and of the
                 test set; the classifier is the project's own (classifier.py). The validation set's distance
                 to the test set is the real-data floor (row "real-digits"); FD shrinks as the sample
                 grows, so fd_350 (the first 350 samples) is the number to hold against that floor.
  coverage       entropy of the histogram of predicted classes of the samples / log 10: 1.0 when every digit
                 is equally common, 0 when all samples are one class (mode collapse).
  classifier_is  exp E_x KL(p(y|x) || p(y)) in the same classifier (salimans2016improved); at most 10.
  memorisation   mean L2 distance from a sample to its nearest training digit / the same for test digits:
                 about 1 for a model that generalises, well below 1 for one that copies its training set.
  samples_per_s  samples per second at batch 64, best of three, one CPU thread.
  request_16_s   wall time of a default demo request (16 samples, PNG included), one CPU thread.
Text rows (names): nats_per_char on the test names, novelty (share of 1,000 samples not in the training
split) and mean_length of those samples against the data's.
"""

from __future__ import annotations

import datetime
import json
import math
import time
import warnings
from pathlib import Path

import numpy as np
import torch
from scipy import linalg

from generation.zoo import baselines, classifier, data, registry
from generation.zoo.demos import generator_for

RESULTS = Path(__file__).resolve().parent / "results"
EVAL_SAMPLES = 1000
EVAL_SEED = 12345  # seed of the evaluation samples, the same for every row
SPEED_BATCH = 64
FLOOR_N = 350  # size of the validation split, the real-data floor of fd
REFERENCE = "real-digits"  # the validation split scored as if it were a model: the floor of every metric


# --- metric functions (pure; tested on known cases) -------------------------------------------------------


def frechet_distance(a: np.ndarray | torch.Tensor, b: np.ndarray | torch.Tensor) -> float:
    """||mu_a - mu_b||² + Tr(S_a + S_b - 2 (S_a S_b)^½) between Gaussians fit to two feature sets (N, F)."""
    a, b = np.asarray(a, dtype=np.float64), np.asarray(b, dtype=np.float64)
    mu_a, mu_b = a.mean(0), b.mean(0)
    cov_a, cov_b = np.cov(a, rowvar=False), np.cov(b, rowvar=False)
    with warnings.catch_warnings():  # dead ReLU features make both covariances singular; sqrtm copes
        warnings.simplefilter("ignore", linalg.LinAlgWarning)
        covmean = linalg.sqrtm(cov_a @ cov_b)
    if not np.isfinite(covmean).all():  # near-singular product: nudge both covariances (as in pytorch-fid)
        eye = np.eye(len(cov_a)) * 1e-6
        covmean = linalg.sqrtm((cov_a + eye) @ (cov_b + eye))
    covmean = covmean.real
    value = float(((mu_a - mu_b) ** 2).sum() + np.trace(cov_a) + np.trace(cov_b) - 2 * np.trace(covmean))
    return max(value, 0.0)


def coverage(predicted: np.ndarray | torch.Tensor, classes: int = 10) -> float:
    """Normalised entropy of the histogram of predicted classes: 1.0 uniform, 0.0 a single class."""
    counts = np.bincount(np.asarray(predicted, dtype=np.int64), minlength=classes).astype(np.float64)
    p = counts / counts.sum()
    p = p[p > 0]
    return float(-(p * np.log(p)).sum() / math.log(classes))


def inception_score(probs: np.ndarray | torch.Tensor) -> float:
    """exp(E_x KL(p(y|x) || p(y))) over class probabilities (N, C); between 1 and C."""
    p = np.asarray(probs, dtype=np.float64).clip(1e-12, 1)
    marginal = p.mean(0, keepdims=True)
    return float(np.exp((p * (np.log(p) - np.log(marginal))).sum(1).mean()))


def nearest_distance(x: torch.Tensor, reference: torch.Tensor) -> torch.Tensor:
    """For each row of x (N, D), the L2 distance to its nearest row of reference (M, D): (N,)."""
    return torch.cdist(x.double(), reference.double()).min(1).values


def memorisation(samples: torch.Tensor, train: torch.Tensor, test: torch.Tensor) -> float:
    """Mean nearest-training-digit distance of samples over that of test digits (level space, 64-d)."""
    flat = lambda t: t.flatten(1).float()  # noqa: E731
    ours = nearest_distance(flat(samples), flat(train)).mean()
    real = nearest_distance(flat(test), flat(train)).mean()
    return float(ours / real)


# --- rows -------------------------------------------------------------------------------------------------


def all_names() -> list[str]:
    models = [entry.name for entry in registry.list_models() if entry.kind in ("image", "text")]
    return models + list(baselines.BASELINES) + [REFERENCE]


def _empty_row(name: str, family: str) -> dict:
    return {
        "name": name,
        "family": family,
        "bits_per_dim": None,
        "bits_per_dim_kind": None,
        "fd": None,
        "coverage": None,
        "classifier_is": None,
        "memorisation": None,
        "samples_per_s": None,
        "request_16_s": None,
        "nats_per_char": None,
        "novelty": None,
        "mean_length": None,
    }


def _sample_metrics(row: dict, samples: torch.Tensor) -> None:
    test = data.digits("test").images
    feats, probs = classifier.embed(samples)
    test_feats, _ = classifier.embed(test)
    row["fd"] = round(frechet_distance(feats.numpy(), test_feats.numpy()), 3)
    # FD is biased upwards at small sample sizes; the real-data floor has only the 350 validation digits,
    # so the first 350 samples give the like-for-like comparison with it.
    row["fd_350"] = round(frechet_distance(feats[:FLOOR_N].numpy(), test_feats.numpy()), 3)
    row["coverage"] = round(coverage(probs.argmax(1).numpy()), 4)
    row["classifier_is"] = round(inception_score(probs.numpy()), 3)
    row["memorisation"] = round(memorisation(samples, data.digits("train").images, test), 4)


def _best_time(fn, repeats: int = 3) -> float:
    best = math.inf
    for _ in range(repeats):
        started = time.perf_counter()
        fn()
        best = min(best, time.perf_counter() - started)
    return best


def _evaluate_reference() -> dict:
    row = _empty_row(REFERENCE, "data")
    _sample_metrics(row, data.digits("val").images)
    row["note"] = "the 350 validation digits scored against the test split: the real-data floor"
    return row


def _evaluate_baseline(name: str) -> dict:
    baseline = baselines.get_baseline(name)
    row = _empty_row(name, "baseline")
    if baseline.kind == "text":  # the bigram of the name models: the same text code as the models
        _text_metrics(row, nats_per_char=baseline.nats_per_char, sample=baseline.sample_names)
        row["note"] = baseline.description
        return row
    bpd = baseline.nll_bits_per_dim(data.digits("test").images)
    if bpd is not None:
        row["bits_per_dim"] = round(bpd.mean().item(), 4)
        row["bits_per_dim_kind"] = "exact" if name == "independent-pixels" else "bound"
    _sample_metrics(row, baseline.sample(EVAL_SAMPLES, EVAL_SEED))
    row["samples_per_s"] = round(SPEED_BATCH / _best_time(lambda: baseline.sample(SPEED_BATCH, 0)), 1)
    row["note"] = baseline.description
    return row


def _evaluate_image_model(entry: registry.ZooModel) -> dict:
    from generation.zoo.demos import list_demos, run_demo

    model = registry.load(entry.name)
    code = entry.code
    row = _empty_row(entry.name, entry.family)
    if hasattr(code, "nll_bits_per_dim"):
        row["bits_per_dim"] = round(code.nll_bits_per_dim(model, data.digits("test").images).mean().item(), 4)
        row["bits_per_dim_kind"] = entry.likelihood
    generator = generator_for(EVAL_SEED)
    samples = torch.cat([code.sample(model, 250, generator=generator) for _ in range(EVAL_SAMPLES // 250)])
    assert samples.shape == (EVAL_SAMPLES, 1, 8, 8), f"{entry.name}: sample shape {tuple(samples.shape)}"
    _sample_metrics(row, samples)
    speed = _best_time(lambda: code.sample(model, SPEED_BATCH, generator=generator_for(0)))
    row["samples_per_s"] = round(SPEED_BATCH / speed, 1)
    if hasattr(code, "extra_metrics"):  # e.g. a flow's bound under uniform dequantisation, beside its own
        row.update(code.extra_metrics(model))
    demo = next((d for d in list_demos() if d.model == entry.name and d.param("n").default == 16), None)
    if demo is not None:
        row["request_16_s"] = round(_best_time(lambda: run_demo(demo.slug, {}), repeats=1), 3)
        row["request_demo"] = demo.slug
    return row


def _evaluate_text_model(entry: registry.ZooModel) -> dict:
    model = registry.load(entry.name)
    code = entry.code
    row = _empty_row(entry.name, entry.family)
    return _text_metrics(
        row,
        nats_per_char=lambda names: code.nats_per_char(model, names),
        sample=lambda n, generator: code.sample(model, n, generator=generator),
    )


def _text_metrics(row: dict, *, nats_per_char, sample) -> dict:
    """Text columns of a row from nats_per_char(names) -> float and sample(n, generator) -> list[str]."""
    row["nats_per_char"] = round(float(nats_per_char(data.names("test"))), 4)
    samples = sample(EVAL_SAMPLES, generator_for(EVAL_SEED))
    train = set(data.names("train"))
    row["novelty"] = round(sum(name not in train for name in samples) / len(samples), 4)
    row["mean_length"] = round(sum(map(len, samples)) / len(samples), 3)
    row["data_mean_length"] = round(sum(map(len, data.names("test"))) / len(data.names("test")), 3)
    row["samples_per_s"] = round(SPEED_BATCH / _best_time(lambda: sample(SPEED_BATCH, generator_for(0))), 1)
    return row


def evaluate(name: str, *, write: bool = True) -> dict:
    """One row of the table, computed from the committed checkpoint (or the baseline, fit afresh).

    With ``write`` the row is stored in results/<name>.json, and for a model also in its manifest under
    ``metrics.evaluation`` (the checkpoint itself, and so its hash, is untouched).
    """
    torch.set_num_threads(1)
    started = time.perf_counter()
    if name == REFERENCE:
        row = _evaluate_reference()
    elif name in baselines.BASELINES:
        row = _evaluate_baseline(name)
    else:
        entry = registry.get_model(name)
        row = _evaluate_image_model(entry) if entry.kind == "image" else _evaluate_text_model(entry)
        row["sha256"] = registry.read_manifest(name)["sha256"]
    row["eval_seed"] = EVAL_SEED
    row["eval_wall_s"] = round(time.perf_counter() - started, 1)
    # Provenance for the site's leaderboards, which load these files as measured results.
    row["command"] = f"python -m generation.zoo evaluate {name}"
    row["evaluated_on"] = datetime.date.today().isoformat()
    if write:
        RESULTS.mkdir(exist_ok=True)
        (RESULTS / f"{name}.json").write_text(json.dumps(row, indent=2, sort_keys=True) + "\n")
        if name in {entry.name for entry in registry.list_models()}:
            manifest = registry.read_manifest(name)
            manifest.setdefault("metrics", {})["evaluation"] = {
                k: v for k, v in row.items() if v is not None and k not in ("name", "family")
            }
            registry.write_manifest(name, manifest)
    return row


def stored_row(name: str) -> dict | None:
    path = RESULTS / f"{name}.json"
    return json.loads(path.read_text()) if path.exists() else None
