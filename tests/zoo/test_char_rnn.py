"""Character GRU over names: training, the shipped checkpoint, prefix and temperature, the bigram bar."""

import pytest
import torch

from generation.zoo import char_rnn, chars, data, registry, text_metrics
from generation.zoo.demos import generator_for, run_demo
from generation.zoo.params import ParamError


def test_a_few_training_steps_lower_the_loss():
    torch.manual_seed(0)
    model = char_rnn.build(char_rnn.Config(hidden=32))
    x, y = chars.batch(data.names("train")[:256], 16)
    opt = torch.optim.Adam(model.parameters(), lr=1e-2)
    first = model(x, y)[1].item()
    for _ in range(20):
        _, loss = model(x, y)
        opt.zero_grad()
        loss.backward()
        opt.step()
    assert model(x, y)[1].item() < first - 0.3


def test_lstm_cell_works_too():
    model = char_rnn.build(char_rnn.Config(cell="lstm", hidden=16))
    names = char_rnn.generate(model, 3, generator=torch.Generator().manual_seed(0), prefix="jo")
    assert all(name.startswith("jo") for name in names)


def test_shipped_checkpoint_matches_its_manifest_and_samples_deterministically():
    entry = registry.get_model("char-rnn")
    assert registry.sha256_of(entry.checkpoint_path) == registry.read_manifest("char-rnn")["sha256"]
    assert entry.checkpoint_path.stat().st_size <= 5 * 1024 * 1024
    model = registry.load("char-rnn")
    a = char_rnn.sample(model, 8, generator=generator_for(1), prefix="Ma", temperature=0.8)
    b = char_rnn.sample(model, 8, generator=generator_for(1), prefix="Ma", temperature=0.8)
    assert a == b
    assert all(name.startswith("ma") and name.isalpha() for name in a)


def test_shipped_model_beats_the_bigram_on_held_out_names():
    model = registry.load("char-rnn")
    test = data.names("test")[:2000]
    bigram, _ = text_metrics.fit_bigram(data.names("train"), data.names("val"), block_size=16)
    assert char_rnn.nats_per_char(model, test) < text_metrics.nats_per_char(bigram, test, block_size=16)


def test_demo_rejects_a_prefix_with_digits():
    with pytest.raises(ParamError) as error:
        run_demo("char-rnn-names", {"prefix": "a1"})
    assert "prefix" in error.value.errors
    result = run_demo("char-rnn-names", {"prefix": "k", "n": 4, "seed": 3})
    assert result.artefacts[0].content_type == "text/plain"
    assert all(line.startswith("K") for line in result.artefacts[0].data.decode().splitlines())
