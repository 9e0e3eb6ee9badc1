"""What the overview document (shared/seeds/000_7fdda79388f3f11a.txt) says, written out as expectations.

The catalog must contain all of it. Where the overview places something in the wrong family, the
expectation records both the overview's family and the family the atlas links (with an erratum).
"""

FAMILIES = {
    "gans": "Generative Adversarial Networks",
    "vaes": "Variational Autoencoders",
    "autoregressive-models": "Autoregressive Models",
    "normalizing-flows": "Normalizing Flows",
    "diffusion-models": "Diffusion Models",
    "energy-based-models": "Energy-Based Models",
    "generative-transformers": "Generative Transformers",
}

# Applications column: family -> [(domain slug, words of the overview's examples that must appear)].
FAMILY_DOMAINS = {
    "gans": [
        ("images", "faces, objects, art"),
        ("video", "deepfakes"),
        ("audio", "music, speech"),
        ("3d", ""),
    ],
    "vaes": [("images", "denoising, synthesis"), ("audio", "speech representation"), ("medical-imaging", "")],
    "autoregressive-models": [
        ("text", "language models"),
        ("images", "pixel-based"),
        ("audio", "waveform models"),
        ("video", "frame prediction"),
    ],
    "normalizing-flows": [
        ("density-estimation", ""),
        ("images", ""),
        ("audio", ""),
        ("molecular-generation", ""),
    ],
    "diffusion-models": [
        ("images", "Stable Diffusion, Imagen, DALL·E 3"),
        ("audio", "DiffWave"),
        ("video", "Pika"),
        ("3d", ""),
        ("multimodal", ""),
    ],
    "energy-based-models": [("images", ""), ("physics-simulation", ""), ("structured-data", "")],
    "generative-transformers": [
        ("text", "ChatGPT, PaLM, LLaMA"),
        ("images", "Parti"),
        ("audio", "AudioLM, MusicLM"),
        ("multimodal", "PaLM-E, Flamingo"),
    ],
}

DOMAINS = {
    "images", "video", "audio", "text", "3d", "medical-imaging", "density-estimation", "molecular-generation",
    "physics-simulation", "structured-data", "multimodal", "representation-learning",
}  # fmt: skip

# Example Models column: name -> (the overview's family, the families the atlas links).
EXAMPLE_MODELS = {
    "DCGAN": ("gans", {"gans"}),
    "StyleGAN": ("gans", {"gans"}),
    "CycleGAN": ("gans", {"gans"}),
    "BigGAN": ("gans", {"gans"}),
    "β-VAE": ("vaes", {"vaes"}),
    "VQ-VAE": ("vaes", {"vaes"}),
    "GPT": ("autoregressive-models", {"autoregressive-models", "generative-transformers"}),
    "PixelCNN": ("autoregressive-models", {"autoregressive-models"}),
    "PixelRNN": ("autoregressive-models", {"autoregressive-models"}),
    "WaveNet": ("autoregressive-models", {"autoregressive-models"}),
    "RealNVP": ("normalizing-flows", {"normalizing-flows"}),
    "Glow": ("normalizing-flows", {"normalizing-flows"}),
    "NICE": ("normalizing-flows", {"normalizing-flows"}),
    "DDPM": ("diffusion-models", {"diffusion-models"}),
    "DDIM": ("diffusion-models", {"diffusion-models"}),
    "Latent Diffusion": ("diffusion-models", {"diffusion-models"}),
    "Deep Energy Models": ("energy-based-models", {"energy-based-models"}),
    "GPT family": ("generative-transformers", {"generative-transformers", "autoregressive-models"}),
    "BERT": ("generative-transformers", {"generative-transformers"}),
    "ViT-GPT": ("generative-transformers", {"generative-transformers"}),
    "DALL·E 2": ("generative-transformers", {"diffusion-models"}),
    "DALL·E 3": ("generative-transformers", {"diffusion-models"}),
}

# Applications column, the named systems: name in the atlas -> (overview's family, families the atlas links).
SYSTEMS = {
    "Stable Diffusion": ("diffusion-models", {"diffusion-models"}),
    "Imagen": ("diffusion-models", {"diffusion-models"}),
    "DALL·E 3": ("diffusion-models", {"diffusion-models"}),
    "DiffWave": ("diffusion-models", {"diffusion-models"}),
    "AudioLM": ("diffusion-models", {"generative-transformers", "autoregressive-models"}),
    "Video Diffusion Models": ("diffusion-models", {"diffusion-models"}),  # the overview's "VideoDiffusion"
    "Pika": ("diffusion-models", {"diffusion-models"}),
    "ChatGPT": ("generative-transformers", {"generative-transformers", "autoregressive-models"}),
    "PaLM": ("generative-transformers", {"generative-transformers", "autoregressive-models"}),
    "LLaMA": ("generative-transformers", {"generative-transformers", "autoregressive-models"}),
    "Parti": ("generative-transformers", {"generative-transformers", "autoregressive-models"}),
    "MusicLM": ("generative-transformers", {"generative-transformers", "autoregressive-models"}),
    "PaLM-E": ("generative-transformers", {"generative-transformers", "autoregressive-models"}),
    "Flamingo": ("generative-transformers", {"generative-transformers", "autoregressive-models"}),
}

# Named by the overview but wrong or misleading as written: these must carry an erratum.
MODELS_WITH_ERRATA = {
    "AudioLM", "DALL·E 2", "DALL·E 3", "ViT-GPT", "BERT", "Video Diffusion Models", "Pika", "VQ-VAE",
    "PaLM-E", "Flamingo", "Deep Energy Models",
}  # fmt: skip

# Seminal-papers table: family -> citation keys (EBM rows as corrected; the table's titles do not exist).
SEMINAL = {
    "gans": {"goodfellow2014generative"},
    "vaes": {"kingma2014auto"},
    "autoregressive-models": {"sutskever2014sequence", "oord2016pixel", "oord2016wavenet"},
    "normalizing-flows": {"dinh2015nice", "dinh2017density"},
    "diffusion-models": {"sohldickstein2015deep"},
    "energy-based-models": {"hinton1983optimal", "lecun2006tutorial"},
    "generative-transformers": {"vaswani2017attention"},
}
REVIVAL = {"diffusion-models": {"ho2020denoising"}}

# Concepts the mechanism column names, and the family each belongs to.
MECHANISM_CONCEPTS = {
    "minimax-game": "gans",
    "reparameterization-trick": "vaes",
    "latent-space": "vaes",
    "autoregressive-factorization": "autoregressive-models",
    "change-of-variables": "normalizing-flows",
    "forward-process": "diffusion-models",
    "reverse-process": "diffusion-models",
    "energy-function": "energy-based-models",
    "langevin-dynamics": "energy-based-models",
    "self-attention": "generative-transformers",
    "causal-masking": "generative-transformers",
    "encoder-decoder": "generative-transformers",
}

# Where each family hangs: root-first taxonomy slugs.
TAXONOMY = {
    "autoregressive-models": ["generative-models", "explicit-density", "tractable-density", "autoregressive"],
    "generative-transformers": [
        "generative-models",
        "explicit-density",
        "tractable-density",
        "autoregressive",
    ],
    "normalizing-flows": [
        "generative-models",
        "explicit-density",
        "tractable-density",
        "change-of-variables",
    ],
    "vaes": ["generative-models", "explicit-density", "approximate-density", "variational"],
    "diffusion-models": ["generative-models", "explicit-density", "approximate-density", "variational"],
    "energy-based-models": [
        "generative-models",
        "explicit-density",
        "approximate-density",
        "unnormalised-density",
    ],
    "gans": ["generative-models", "implicit-density", "direct-sampling"],
}
