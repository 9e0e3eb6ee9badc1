"""GPT over names and over digit pixels: causal attention, training, the shipped checkpoints, top-k and
prefix, and the bars (the bigram for names, independent pixels for digits)."""

import torch

from generation.zoo import chars, data, registry, text_metrics, transformer
from generation.zoo.demos import generator_for, run_demo


def test_attention_is_causal():
    torch.manual_seed(0)
    model = transformer.build(transformer.Config(n_layer=2, n_head=2, n_embd=16)).eval()
    a = torch.randint(0, 27, (1, 10))
    b = a.clone()
    b[0, 6:] = (b[0, 6:] + 1) % 27  # change the future from position 6 on
    la, _ = model(a)
    lb, _ = model(b)
    assert torch.allclose(la[0, :6], lb[0, :6], atol=1e-6), "a position saw a later token"
    assert not torch.allclose(la[0, 6:], lb[0, 6:])


def test_a_few_training_steps_lower_the_loss():
    torch.manual_seed(0)
    model = transformer.build(transformer.Config(n_layer=1, n_head=2, n_embd=32))
    x, y = chars.batch(data.names("train")[:256], 16)
    opt = torch.optim.Adam(model.parameters(), lr=1e-2)
    first = model(x, y)[1].item()
    for _ in range(20):
        _, loss = model(x, y)
        opt.zero_grad()
        loss.backward()
        opt.step()
    assert model(x, y)[1].item() < first - 0.3


def test_shipped_checkpoint_matches_its_manifest_and_samples_deterministically():
    entry = registry.get_model("gpt-names")
    assert registry.sha256_of(entry.checkpoint_path) == registry.read_manifest("gpt-names")["sha256"]
    assert entry.checkpoint_path.stat().st_size <= 5 * 1024 * 1024
    model = registry.load("gpt-names")
    a = transformer.sample(model, 8, generator=generator_for(4), top_k=5, prefix="an")
    assert a == transformer.sample(model, 8, generator=generator_for(4), top_k=5, prefix="an")
    assert all(name.startswith("an") for name in a)
    # top_k=1 is greedy: every seed gives the same name
    greedy = {transformer.sample(model, 1, generator=generator_for(s), top_k=1)[0] for s in range(4)}
    assert len(greedy) == 1


def test_shipped_model_beats_the_bigram_on_held_out_names():
    model = registry.load("gpt-names")
    test = data.names("test")[:2000]
    bigram, _ = text_metrics.fit_bigram(data.names("train"), data.names("val"), block_size=16)
    assert transformer.nats_per_char(model, test) < text_metrics.nats_per_char(bigram, test, block_size=16)


def test_demo_reports_progress_per_character():
    calls = []
    result = run_demo(
        "gpt-names", {"n": 3, "seed": 0, "top_k": 10}, progress=lambda s, t: calls.append((s, t))
    )
    assert len(result.metadata["names"]) == 3
    assert calls and calls[-1][0] == calls[-1][1]


# --- the digits stream (gpt-digits) ---------------------------------------------------------------------


def _digits_config(**overrides) -> transformer.Config:
    small = {"n_layer": 2, "n_head": 2, "n_embd": 16, **overrides}
    return transformer.Config(data="digits", vocab_size=18, block_size=64, **small)


def test_a_pixel_s_logits_never_depend_on_that_pixel_or_a_later_one():
    torch.manual_seed(0)
    model = transformer.build(_digits_config()).eval()
    x = data.digits("test").images[:1]
    for k in (0, 17, 40, 63):
        changed = x.clone()
        changed.view(-1)[k:] = (changed.view(-1)[k:] + 5) % 17  # a different pixel k and everything after
        la, _ = model(transformer.pixel_tokens(x)[0])
        lb, _ = model(transformer.pixel_tokens(changed)[0])
        # Position p predicts pixel p from the start token and pixels 0..p-1.
        assert torch.allclose(la[0, : k + 1], lb[0, : k + 1], atol=1e-6), f"pixel {k} saw itself or later"
        if k < 63:
            assert not torch.allclose(la[0, k + 1 :], lb[0, k + 1 :])


def test_a_few_training_steps_lower_the_digits_loss():
    torch.manual_seed(0)
    model = transformer.build(_digits_config())
    inputs, targets = transformer.pixel_tokens(data.digits("train").images[:64])
    opt = torch.optim.Adam(model.parameters(), lr=1e-2)
    first = model(inputs, targets)[1].item()
    for _ in range(20):
        _, loss = model(inputs, targets)
        opt.zero_grad()
        loss.backward()
        opt.step()
    assert model(inputs, targets)[1].item() < first - 0.3


def test_shipped_digits_model_beats_independent_pixels_and_samples_deterministically():
    from generation.zoo import baselines

    entry = registry.get_model("gpt-digits")
    assert registry.sha256_of(entry.checkpoint_path) == registry.read_manifest("gpt-digits")["sha256"]
    assert entry.checkpoint_path.stat().st_size <= 5 * 1024 * 1024
    model = registry.load("gpt-digits")
    test = data.digits("test").images
    ours = transformer.nll_bits_per_dim(model, test).mean().item()
    independent = baselines.get_baseline("independent-pixels").nll_bits_per_dim(test).mean().item()
    assert ours < independent - 0.2, f"gpt-digits {ours:.3f} bits/dim, independent pixels {independent:.3f}"
    calls = []
    a = transformer.sample(model, 3, generator=generator_for(2), progress=lambda s, t: calls.append((s, t)))
    assert torch.equal(a, transformer.sample(model, 3, generator=generator_for(2)))
    assert a.shape == (3, 1, 8, 8) and a.dtype == torch.long and a.min() >= 0 and a.max() <= 16
    assert calls == [(k, 64) for k in range(1, 65)], "progress must be reported once per pixel"


def test_the_digits_demo_returns_a_png_grid():
    result = run_demo("gpt-digits", {"n": 4, "seed": 1, "top_k": 5, "temperature": 0.8})
    assert [a.content_type for a in result.artefacts] == ["image/png"]
    assert result.metadata["shape"] == [4, 1, 8, 8]


# --- the VQ-VAE code stream (gpt-vq-fashion) --------------------------------------------------------------


def _vq_config(**overrides) -> transformer.Config:
    small = {"n_layer": 2, "n_head": 2, "n_embd": 16, **overrides}
    return transformer.Config(data="vq", dataset="fashion", vocab_size=16 + 11, block_size=49, **small)


def test_code_tokens_put_the_class_or_any_token_first():
    cfg = _vq_config()
    codes = torch.randint(0, 16, (3, 7, 7))
    inputs, targets = transformer.code_tokens(cfg, codes, torch.tensor([2, -1, 9]))
    assert inputs.shape == targets.shape == (3, 49)
    assert inputs[:, 0].tolist() == [16 + 2, 26, 16 + 9]  # class 2, any, class 9
    assert torch.equal(inputs[:, 1:], codes.flatten(1)[:, :-1]) and torch.equal(targets, codes.flatten(1))
    assert (transformer.code_tokens(cfg, codes)[0][:, 0] == 26).all()
    assert transformer.build(cfg).head.out_features == 16  # the softmax covers the codes only


def test_a_code_s_logits_never_depend_on_that_code_or_a_later_one():
    torch.manual_seed(0)
    cfg = _vq_config()
    model = transformer.build(cfg).eval()
    codes = torch.randint(0, 16, (1, 7, 7))
    for k in (0, 20, 48):
        changed = codes.clone()
        changed.view(-1)[k:] = (changed.view(-1)[k:] + 3) % 16
        la, _ = model(transformer.code_tokens(cfg, codes)[0])
        lb, _ = model(transformer.code_tokens(cfg, changed)[0])
        assert torch.allclose(la[0, : k + 1], lb[0, : k + 1], atol=1e-6), f"code {k} saw itself or later"
        if k < 48:
            assert not torch.allclose(la[0, k + 1 :], lb[0, k + 1 :])


def test_the_key_value_cache_gives_the_logits_of_the_full_pass():
    torch.manual_seed(0)
    cfg = _vq_config()
    model = transformer.build(cfg).eval()
    inputs, _ = transformer.code_tokens(cfg, torch.randint(0, 16, (2, 7, 7)), torch.tensor([0, -1]))
    full, _ = model(inputs)
    caches = [{} for _ in model.blocks]
    first, _ = model(inputs[:, :5], caches=caches)  # a prefix, then one position at a time
    steps = [model(inputs[:, i : i + 1], caches=caches)[0] for i in range(5, 49)]
    assert torch.allclose(torch.cat([first, *steps], dim=1), full, atol=1e-5)


def test_a_few_training_steps_lower_the_loss_on_fashion_codes():
    from generation.zoo import vqvae

    torch.manual_seed(0)
    fashion = data.fashion("train")
    quantiser = vqvae.build(vqvae.Config(codes=16, code_dim=8, hidden=8))
    codes = quantiser.codes_of(fashion.images[:128])
    cfg = _vq_config()
    model = transformer.build(cfg)
    inputs, targets = transformer.code_tokens(cfg, codes, fashion.labels[:128])
    opt = torch.optim.Adam(model.parameters(), lr=1e-2)
    first = model(inputs, targets)[1].item()
    for _ in range(20):
        _, loss = model(inputs, targets)
        opt.zero_grad()
        loss.backward()
        opt.step()
    assert model(inputs, targets)[1].item() < first - 0.3


def _shipped_vq():
    import pytest

    entry = registry.get_model("gpt-vq-fashion")
    if not entry.checkpoint_path.exists():
        pytest.skip("gpt-vq-fashion is not trained yet")
    return entry


def test_shipped_vq_model_reads_the_shipped_vqvae_and_beats_its_factorised_prior():
    from generation.zoo import vqvae

    entry = _shipped_vq()
    assert entry.checkpoint_path.stat().st_size < 10 * 1024 * 1024
    manifest = registry.read_manifest("gpt-vq-fashion")
    # Trained on the codes of the VQ-VAE that ships beside it, not of an older one.
    assert (
        manifest["metrics"]["training"]["vqvae_sha256"] == registry.read_manifest("vqvae-fashion")["sha256"]
    )
    model = registry.load("gpt-vq-fashion")
    test = data.fashion("test").images[:300]
    ours = transformer.nll_bits_per_dim(model, test)
    factorised = vqvae.nll_bits_per_dim(registry.load("vqvae-fashion"), test)
    assert torch.isfinite(ours).all()
    assert ours.mean() < factorised.mean(), f"{ours.mean():.3f} vs factorised {factorised.mean():.3f}"
    # Knowing the class makes the codes likelier on average.
    codes = registry.load("vqvae-fashion").codes_of(test)
    labels = data.fashion("test").labels[:300]
    assert transformer.code_bits(model, codes, labels).mean() < transformer.code_bits(model, codes).mean()


def test_shipped_vq_model_samples_deterministically_per_class_with_progress_per_code():
    _shipped_vq()
    model = registry.load("gpt-vq-fashion")
    calls = []
    a = transformer.sample(model, 4, generator=generator_for(2), progress=lambda s, t: calls.append((s, t)))
    assert torch.equal(a, transformer.sample(model, 4, generator=generator_for(2)))
    assert a.shape == (4, 1, 28, 28) and a.dtype == torch.long and a.min() >= 0 and a.max() <= 255
    assert calls == [(k, 49) for k in range(1, 50)], "progress must be reported once per code"
    trousers = transformer.sample(model, 4, generator=generator_for(2), labels=torch.full((4,), 1))
    sandals = transformer.sample(model, 4, generator=generator_for(2), labels=torch.full((4,), 5))
    assert not torch.equal(trousers, sandals)
    # Trousers are tall and narrow: their ink sits in the middle columns, a sandal's spreads wide.
    assert trousers[..., :, 10:18].float().mean() > trousers[..., :, :5].float().mean()


def test_the_vq_demo_returns_a_png_grid_for_a_class():
    _shipped_vq()
    result = run_demo("gpt-vq-fashion", {"n": 4, "seed": 1, "label": "Bag", "top_k": 20, "temperature": 0.9})
    assert [a.content_type for a in result.artefacts] == ["image/png"]
    assert result.metadata["shape"] == [4, 1, 28, 28]
