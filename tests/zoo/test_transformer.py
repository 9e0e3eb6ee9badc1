"""GPT over names: causal attention, training, the shipped checkpoint, top-k and prefix, the bigram bar."""

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
