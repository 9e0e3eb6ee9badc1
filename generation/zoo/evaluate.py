"""Evaluation: the same code for every model, baseline and real-data reference of an image set (or of names).

Every image row is measured on its own data set's test split, in the feature space of that data set's
own classifier (``classifier.py``: no dead features, full-rank covariance on real data), with one protocol
per data set (``PROTOCOLS``):

  n_samples      N samples are drawn from the model (seed EVAL_SEED); the real-data reference row is N real
                 images that are neither test nor train (the validation split) scored exactly the same way,
                 with the same N, so that its FD is the value of "perfect samples" at this N (FD is biased
                 upwards at small N: comparing rows with different N is comparing sample sizes).
                 digits: N = 350, because the validation split, the reference, has 350 digits; against the
                 447 test digits. fashion: N = 2,000 against the 10,000 test images, reference 2,000 of the
                 5,000 validation images (a fixed seeded subset). 2,000 is about 15 samples per feature
                 dimension (128), enough for a stable covariance, and it keeps the whole fashion table
                 cheap: the slowest samplers (PixelCNN: 784 sequential passes; DDIM; Langevin chains) draw
                 2,000 samples in minutes on one CPU thread, so ``evaluate all`` fits a 20-minute window.
  fd             Fréchet distance (heusel2017gans) between the classifier features of the N samples and those
                 of the whole test split. fd_std is its bootstrap standard deviation (FD_BOOTSTRAP resamples
                 of the N samples with replacement, the test set fixed); it estimates how much FD moves
                 between sampling seeds (a fresh seed is a fresh i.i.d. draw of N samples). fd_low and
                 fd_high: the 95% interval fd ± 1.96 fd_std (normal interval around the point estimate; the
                 resampled values themselves sit slightly above fd, since duplicated samples inflate FD's
                 upward bias, so their percentiles would be shifted). Two rows whose intervals overlap are
                 "within noise" of each other (the report says which).
  precision,     improved precision and recall of kynkaanniemi2019improved with k = 3: each set's manifold is
  recall         the union of balls around its points reaching their 3rd nearest neighbour (in the same
                 features); precision is the share of samples inside the real manifold (quality), recall the
                 share of real images inside the samples' manifold (diversity). The real set is a fixed seeded
                 subset of N test images, the same size as the sample set, as in the paper (radii shrink as
                 sets grow, so unequal sizes would tilt the two numbers).
  coverage       entropy of the histogram of predicted classes of the samples / log 10: 1.0 when every class
                 is equally common, 0 when all samples are one class (mode collapse).
  classifier_is  exp E_x KL(p(y|x) || p(y)) in the same classifier (salimans2016improved); at most 10.
  memorisation   mean L2 distance (pixel space) from a sample to its nearest training image / the same for
                 the N test images of precision/recall: about 1 for a model that generalises, well below 1
                 for one that copies its training set.
  bits_per_dim   -log2 P(x) / D of the discrete test images (digits: 17 levels, D = 64, all 447 test digits;
                 fashion: 256 levels, D = 784, the first BPD_N of a fixed seeded order of the test split,
                 because bounds such as a diffusion model's sum over every timestep cost 10^3 network passes
                 per image). exact (autoregressive, categorical) or a bound (ELBO, dequantised densities), as
                 ``ZooModel.likelihood`` says; continuous densities are scored on x + u, u ~ U[0, 1)^D in
                 level units (uniform dequantisation), which by Jensen bounds the discrete NLL
                 (theis2016note). null where there is no likelihood (GAN, EBM, KDE).
  samples_per_s  samples per second at batch 64, best of three (one timing when it exceeds 10 s), one thread.
  request_16_s   wall time of a default demo request (16 samples, PNG included), one CPU thread.
Text rows (names): nats_per_char on the test names, novelty (share of 1,000 samples not in the training
split) and mean_length of those samples against the data's.
"""

from __future__ import annotations

import datetime
import json
import math
import time
from dataclasses import asdict, dataclass
from functools import cache
from pathlib import Path

import numpy as np
import torch

from generation.zoo import baselines, classifier, data, registry
from generation.zoo.demos import generator_for

RESULTS = Path(__file__).resolve().parent / "results"
PANELS = (
    RESULTS / "samples"
)  # results/samples/<name>.png: 16 samples (seed 0) of each image row, for the figure
PANEL_SAMPLES = 16
EVAL_SEED = 12345  # seed of the evaluation samples, the same for every row
TEXT_SAMPLES = 1000  # samples of a name model
SPEED_BATCH = 64
FD_BOOTSTRAP = 200  # resamples behind fd_std
BOOTSTRAP_SEED = 0
SUBSET_SEED = 0  # fixes the real subsets (reference, precision/recall, bits/dim), once and for all
PR_K = 3  # neighbours of the precision/recall manifolds (kynkaanniemi2019improved)


@dataclass(frozen=True)
class Protocol:
    dataset: str
    n: int  # samples per row; real images in the reference
    reference: str  # name of the real-data reference row
    bpd_n: int | None  # test images scored for bits/dim (None: the whole test split)
    chunk: int  # samples drawn per call of a model's sampler


PROTOCOLS = {
    "digits": Protocol("digits", n=350, reference="real-digits", bpd_n=None, chunk=350),
    "fashion": Protocol("fashion", n=2000, reference="real-fashion", bpd_n=1000, chunk=200),
}
REFERENCE = PROTOCOLS["digits"].reference  # older name
REFERENCES = {protocol.reference: protocol.dataset for protocol in PROTOCOLS.values()}


# --- metric functions (pure; tested on known cases) -------------------------------------------------------


def _sqrt_psd(matrix: np.ndarray) -> np.ndarray:
    values, vectors = np.linalg.eigh(matrix)
    return (vectors * np.sqrt(values.clip(0))) @ vectors.T


def _trace_sqrt_product(sqrt_a: np.ndarray, cov_b: np.ndarray) -> float:
    """Tr (A B)^½ for PSD A = sqrt_a², B: the eigenvalues of A B are those of the PSD A^½ B A^½."""
    return float(np.sqrt(np.linalg.eigvalsh(sqrt_a @ cov_b @ sqrt_a).clip(0)).sum())


def frechet_distance(a: np.ndarray | torch.Tensor, b: np.ndarray | torch.Tensor) -> float:
    """||mu_a - mu_b||² + Tr(S_a + S_b - 2 (S_a S_b)^½) between Gaussians fit to two feature sets (N, F)."""
    a, b = np.asarray(a, dtype=np.float64), np.asarray(b, dtype=np.float64)
    cov_a, cov_b = np.cov(a, rowvar=False), np.cov(b, rowvar=False)
    value = ((a.mean(0) - b.mean(0)) ** 2).sum() + np.trace(cov_a) + np.trace(cov_b)
    return max(float(value - 2 * _trace_sqrt_product(_sqrt_psd(cov_b), cov_a)), 0.0)


def frechet_bootstrap(
    samples: np.ndarray, reference: np.ndarray, *, resamples: int = FD_BOOTSTRAP, seed: int = BOOTSTRAP_SEED
) -> dict:
    """FD of samples (N, F) to a fixed reference (M, F), with a bootstrap over the samples.

    Returns fd (the plug-in value), fd_std (standard deviation over ``resamples`` resamples of the N samples
    with replacement) and the 95% interval fd ± 1.96 fd_std.
    """
    samples, reference = np.asarray(samples, dtype=np.float64), np.asarray(reference, dtype=np.float64)
    mu_r, cov_r = reference.mean(0), np.cov(reference, rowvar=False)
    sqrt_r, trace_r = _sqrt_psd(cov_r), np.trace(cov_r)

    def fd(x: np.ndarray) -> float:
        cov = np.cov(x, rowvar=False)
        value = (
            ((x.mean(0) - mu_r) ** 2).sum() + np.trace(cov) + trace_r - 2 * _trace_sqrt_product(sqrt_r, cov)
        )
        return max(float(value), 0.0)

    point = fd(samples)
    rng = np.random.default_rng(seed)
    n = len(samples)
    values = np.array([fd(samples[rng.integers(0, n, n)]) for _ in range(resamples)])
    std = float(values.std(ddof=1))
    return {
        "fd": point,
        "fd_std": std,
        "fd_low": max(point - 1.96 * std, 0.0),
        "fd_high": point + 1.96 * std,
        "fd_bootstrap_mean": float(values.mean()),
    }


def intervals_overlap(a: dict, b: dict) -> bool:
    """Whether two rows' FD intervals [fd_low, fd_high] overlap: the two cannot be told apart at this N."""
    return a["fd_low"] <= b["fd_high"] and b["fd_low"] <= a["fd_high"]


def _pairwise(a: torch.Tensor, b: torch.Tensor, chunk: int = 1000) -> torch.Tensor:
    return torch.cat([torch.cdist(part, b) for part in a.split(chunk)])


def knn_radii(features: torch.Tensor, k: int = PR_K) -> torch.Tensor:
    """Distance from each point (N, F) to its k-th nearest neighbour in the same set, itself excluded."""
    distances = _pairwise(features, features)
    return distances.kthvalue(k + 1, dim=1).values  # the smallest is the point itself, at distance 0


def in_manifold(query: torch.Tensor, support: torch.Tensor, radii: torch.Tensor) -> torch.Tensor:
    """For each query point, whether it lies within the k-NN ball of some support point: (Q,) bool."""
    return torch.cat([(torch.cdist(part, support) <= radii[None, :]).any(1) for part in query.split(1000)])


def precision_recall(real: np.ndarray | torch.Tensor, fake: np.ndarray | torch.Tensor, k: int = PR_K) -> dict:
    """Improved precision and recall (kynkaanniemi2019improved) of fake features against real ones (N, F)."""
    real, fake = torch.as_tensor(real, dtype=torch.float64), torch.as_tensor(fake, dtype=torch.float64)
    precision = in_manifold(fake, real, knn_radii(real, k)).double().mean().item()
    recall = in_manifold(real, fake, knn_radii(fake, k)).double().mean().item()
    return {"precision": precision, "recall": recall}


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


def nearest_distance(x: torch.Tensor, reference: torch.Tensor, chunk: int = 250) -> torch.Tensor:
    """For each row of x (N, D), the L2 distance to its nearest row of reference (M, D): (N,)."""
    return torch.cat([torch.cdist(part, reference).min(1).values for part in x.split(chunk)])


def memorisation(samples: torch.Tensor, train: torch.Tensor, test: torch.Tensor) -> float:
    """Mean nearest-training-image distance of samples over that of test images (level space)."""
    flat = lambda t: t.flatten(1).float()  # noqa: E731
    ours = nearest_distance(flat(samples), flat(train)).double().mean()
    real = nearest_distance(flat(test), flat(train)).double().mean()
    return float(ours / real)


# --- the real data of a protocol (cached per process) -----------------------------------------------------


def _subset(count: int, size: int, salt: int) -> torch.Tensor:
    """A fixed seeded choice of ``size`` of ``count`` indices (all of them, in order, when size >= count)."""
    if size >= count:
        return torch.arange(count)
    order = np.random.default_rng([SUBSET_SEED, salt]).permutation(count)[:size]
    return torch.from_numpy(np.sort(order))


@cache
def _real(dataset: str) -> dict:
    """Features and subsets of the real images a protocol compares against, computed once per process."""
    protocol = PROTOCOLS[dataset]
    image_set = data.image_set(dataset)
    test = image_set.split("test").images
    test_features, _ = classifier.embed(test, dataset=dataset)
    pr_index = _subset(len(test), protocol.n, salt=1)
    train = image_set.split("train").images
    pr_test = test[pr_index]
    test_nearest = nearest_distance(pr_test.flatten(1).float(), train.flatten(1).float()).double().mean()
    return {
        "test_features": test_features.numpy(),
        "pr_features": test_features[pr_index].numpy(),
        "test_nearest_train": float(test_nearest),
        "bpd_index": _subset(len(test), protocol.bpd_n or len(test), salt=2),
        "reference_index": _subset(len(image_set.split("val").images), protocol.n, salt=3),
    }


def bits_per_dim_images(dataset: str) -> torch.Tensor:
    """The test images bits/dim is measured on (all digits; a fixed subset of Fashion-MNIST)."""
    return data.image_set(dataset).split("test").images[_real(dataset)["bpd_index"]]


def reference_images(dataset: str) -> torch.Tensor:
    """The N validation images of the real-data reference row."""
    return data.image_set(dataset).split("val").images[_real(dataset)["reference_index"]]


# --- rows -------------------------------------------------------------------------------------------------


def image_datasets() -> tuple[str, ...]:
    return tuple(PROTOCOLS)


def all_names(dataset: str | None = None) -> list[str]:
    """Every row: models, then baselines, then the reference, of one data set (``names`` for text) or all."""
    names = []
    for image_set in (dataset,) if dataset else (*PROTOCOLS, "names"):
        if image_set == "names":
            names += [entry.name for entry in registry.list_models() if entry.kind == "text"]
            names += [name for name in baselines.BASELINES if baselines.dataset_of(name) == "names"]
            continue
        names += [e.name for e in registry.list_models() if e.kind == "image" and e.dataset == image_set]
        names += [name for name in baselines.BASELINES if baselines.dataset_of(name) == image_set]
        names.append(PROTOCOLS[image_set].reference)
    return names


def is_ready(name: str) -> bool:
    """Whether a row can be evaluated now: baselines and references always, models once trained."""
    if name in REFERENCES or name in baselines.BASELINES:
        return True
    return registry.get_model(name).manifest_path.exists()


def code_sha256() -> str:
    """SHA-256 of the evaluation's and the baselines' source: a baseline or reference row depends on both."""
    import hashlib

    digest = hashlib.sha256()
    for module in (__file__, baselines.__file__):
        digest.update(Path(module).read_bytes())
    return digest.hexdigest()


def is_current(name: str) -> bool:
    """Whether a stored row was measured from the present checkpoint (a model) or the present evaluation and
    baseline code (a baseline or reference), with the present protocol and classifier: evaluating it again
    would reproduce the same numbers, up to the timings."""
    if not is_ready(name):
        return False
    row, dataset = stored_row(name), dataset_of(name)
    if row is None:
        return False
    if name in REFERENCES or name in baselines.BASELINES:
        if row.get("code_sha256") != code_sha256():
            return False
    elif row.get("sha256") != registry.read_manifest(name)["sha256"]:
        return False
    if dataset not in PROTOCOLS:
        return row.get("n_samples") == TEXT_SAMPLES
    return row.get("protocol") == _protocol_fields(dataset)["protocol"]


def dataset_of(name: str) -> str:
    """The data set a row belongs to: digits, fashion or names."""
    if name in REFERENCES:
        return REFERENCES[name]
    if name in baselines.BASELINES:
        return baselines.dataset_of(name)
    entry = registry.get_model(name)
    return entry.dataset if entry.kind == "image" else "names"


def _empty_row(name: str, family: str, dataset: str) -> dict:
    return {
        "name": name,
        "family": family,
        "dataset": dataset,
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


def sample_metrics(samples: torch.Tensor, dataset: str) -> dict:
    """Every sample-based column of a row from N samples (N, 1, side, side) of a data set."""
    protocol, real = PROTOCOLS[dataset], _real(dataset)
    assert len(samples) == protocol.n, f"{dataset} rows use {protocol.n} samples, got {len(samples)}"
    features, probs = classifier.embed(samples, dataset=dataset)
    fd = frechet_bootstrap(features.numpy(), real["test_features"])
    pr = precision_recall(real["pr_features"], features.numpy())
    train = data.image_set(dataset).split("train").images
    ours = nearest_distance(samples.flatten(1).float(), train.flatten(1).float()).double().mean()
    return {
        "n_samples": len(samples),
        "fd": round(fd["fd"], 3),
        "fd_std": round(fd["fd_std"], 3),
        "fd_low": round(fd["fd_low"], 3),
        "fd_high": round(fd["fd_high"], 3),
        "fd_bootstrap_mean": round(fd["fd_bootstrap_mean"], 3),
        "precision": round(pr["precision"], 4),
        "recall": round(pr["recall"], 4),
        "coverage": round(coverage(probs.argmax(1).numpy()), 4),
        "classifier_is": round(inception_score(probs.numpy()), 3),
        "memorisation": round(float(ours) / real["test_nearest_train"], 4),
    }


def _protocol_fields(dataset: str) -> dict:
    protocol, image_set = PROTOCOLS[dataset], data.image_set(dataset)
    test_n = len(image_set.split("test").images)
    return {
        "resolution": image_set.side,
        "protocol": {
            **asdict(protocol),
            "test_images": test_n,
            "fd_bootstrap": FD_BOOTSTRAP,
            "interval": "fd ± 1.96 bootstrap std (95%)",
            "precision_recall_k": PR_K,
            "bpd_images": protocol.bpd_n or test_n,
            "classifier_sha256": json.loads(classifier.manifest_path(dataset).read_text())["sha256"],
        },
    }


def _best_time(fn, repeats: int = 3, patience_s: float = 10.0) -> float:
    best = math.inf
    for _ in range(repeats):
        started = time.perf_counter()
        fn()
        best = min(best, time.perf_counter() - started)
        if best > patience_s:  # a slow sampler: one timing is precise enough
            break
    return best


def _bits_per_dim(fn, images: torch.Tensor, batch: int = 100) -> float:
    return torch.cat([fn(images[i : i + batch]).double() for i in range(0, len(images), batch)]).mean().item()


def _evaluate_reference(name: str) -> dict:
    dataset = REFERENCES[name]
    row = _empty_row(name, "data", dataset)
    row.update(sample_metrics(reference_images(dataset), dataset))
    n = PROTOCOLS[dataset].n
    row["note"] = (
        f"{n} validation images scored against the test split exactly like a model's {n} samples: "
        "the real-data reference"
    )
    return row


def _evaluate_baseline(name: str) -> dict:
    baseline = baselines.get_baseline(name)
    dataset = baselines.dataset_of(name)
    row = _empty_row(name, "baseline", dataset)
    if baseline.kind == "text":  # the bigram of the name models: the same text code as the models
        _text_metrics(row, nats_per_char=baseline.nats_per_char, sample=baseline.sample_names)
        row["note"] = baseline.description
        return row
    if baseline.likelihood is not None:
        row["bits_per_dim"] = round(_bits_per_dim(baseline.nll_bits_per_dim, bits_per_dim_images(dataset)), 4)
        row["bits_per_dim_kind"] = baseline.likelihood
    row.update(sample_metrics(baseline.sample(PROTOCOLS[dataset].n, EVAL_SEED), dataset))
    row["samples_per_s"] = round(SPEED_BATCH / _best_time(lambda: baseline.sample(SPEED_BATCH, 0)), 1)
    row["_panel"] = baseline.sample(PANEL_SAMPLES, 0)
    row["note"] = baseline.description
    row.update(baseline.details())
    return row


def draw_samples(entry: registry.ZooModel, model, n: int, chunk: int) -> torch.Tensor:
    """n samples of a model from the evaluation seed, drawn ``chunk`` at a time."""
    generator = generator_for(EVAL_SEED)
    parts, left = [], n
    while left > 0:
        parts.append(entry.code.sample(model, min(chunk, left), generator=generator))
        left -= len(parts[-1])
    return torch.cat(parts)


def _evaluate_image_model(entry: registry.ZooModel) -> dict:
    from generation.zoo.demos import list_demos, run_demo

    dataset = entry.dataset
    protocol = PROTOCOLS[dataset]
    side = data.image_set(dataset).side
    model = registry.load(entry.name)
    code = entry.code
    row = _empty_row(entry.name, entry.family, dataset)
    if hasattr(code, "nll_bits_per_dim"):
        started = time.perf_counter()
        fn = lambda x: code.nll_bits_per_dim(model, x)  # noqa: E731
        row["bits_per_dim"] = round(_bits_per_dim(fn, bits_per_dim_images(dataset)), 4)
        row["bits_per_dim_kind"] = entry.likelihood
        row["bits_per_dim_s"] = round(time.perf_counter() - started, 1)
    started = time.perf_counter()
    samples = draw_samples(entry, model, protocol.n, protocol.chunk)
    row["sampling_s"] = round(time.perf_counter() - started, 1)
    assert samples.shape == (protocol.n, 1, side, side), f"{entry.name}: sample shape {tuple(samples.shape)}"
    row.update(sample_metrics(samples, dataset))
    speed = _best_time(lambda: code.sample(model, SPEED_BATCH, generator=generator_for(0)))
    row["samples_per_s"] = round(SPEED_BATCH / speed, 1)
    row["_panel"] = code.sample(model, PANEL_SAMPLES, generator=generator_for(0))
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
    row = _empty_row(entry.name, entry.family, "names")
    return _text_metrics(
        row,
        nats_per_char=lambda names: code.nats_per_char(model, names),
        sample=lambda n, generator: code.sample(model, n, generator=generator),
    )


def _text_metrics(row: dict, *, nats_per_char, sample) -> dict:
    """Text columns of a row from nats_per_char(names) -> float and sample(n, generator) -> list[str]."""
    row["nats_per_char"] = round(float(nats_per_char(data.names("test"))), 4)
    samples = sample(TEXT_SAMPLES, generator_for(EVAL_SEED))
    train = set(data.names("train"))
    row["n_samples"] = len(samples)
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
    if name in REFERENCES:
        row = _evaluate_reference(name)
        row["code_sha256"] = code_sha256()
    elif name in baselines.BASELINES:
        row = _evaluate_baseline(name)
        row["code_sha256"] = code_sha256()
    else:
        entry = registry.get_model(name)
        row = _evaluate_image_model(entry) if entry.kind == "image" else _evaluate_text_model(entry)
        row["sha256"] = registry.read_manifest(name)["sha256"]
    if row["dataset"] in PROTOCOLS:
        row.update(_protocol_fields(row["dataset"]))
    panel = row.pop("_panel", None)
    row["eval_seed"] = EVAL_SEED
    row["eval_wall_s"] = round(time.perf_counter() - started, 1)
    # Provenance for the site's leaderboards, which load these files as measured results.
    row["command"] = f"python -m generation.zoo evaluate {name}"
    row["evaluated_on"] = datetime.date.today().isoformat()
    if write:
        RESULTS.mkdir(exist_ok=True)
        (RESULTS / f"{name}.json").write_text(json.dumps(row, indent=2, sort_keys=True) + "\n")
        if panel is not None:
            from generation.zoo.images import grid_png

            PANELS.mkdir(exist_ok=True)
            (PANELS / f"{name}.png").write_bytes(grid_png(panel, columns=4, scale=1))
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
