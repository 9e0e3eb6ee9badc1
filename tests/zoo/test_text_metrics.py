"""Text metrics and the bigram baseline, on cases whose answers are known by hand."""

import math

import pytest
import torch

from generation.zoo import chars, text_metrics


def test_batch_frames_names_with_the_boundary_mark_and_pads_targets():
    x, y = chars.batch(["ab", "c"], block_size=4)
    assert x.tolist() == [[0, 1, 2, 0], [0, 3, 0, 0]]
    assert y.tolist() == [[1, 2, 0, -1], [3, 0, -1, -1]]
    assert chars.decode([1, 2, 0]) == "ab"


def test_bigram_nats_per_char_equal_the_hand_computed_value():
    # Training names "ab" and "ab": after '.', 'a' always; after 'a', 'b'; after 'b', end.
    model = text_metrics.Bigram().fit(["ab", "ab"], alpha=1.0, block_size=4)
    # Each row has 2 counts on one symbol plus alpha=1 on all 27: p = 3 / 29 for the seen transition.
    expected = -math.log(3 / 29)
    assert text_metrics.nats_per_char(model, ["ab"], block_size=4) == pytest.approx(expected, rel=1e-6)


def test_uniform_model_scores_log_vocabulary():
    model = text_metrics.Bigram()  # untrained: uniform rows
    assert text_metrics.nats_per_char(model, ["emma", "zoe"], block_size=6) == pytest.approx(math.log(27))


def test_novelty_and_mean_length():
    assert text_metrics.novelty(["Emma", "zed", "liam"], ["emma", "liam"]) == pytest.approx(1 / 3)
    assert text_metrics.mean_length(["ab", "abcd"]) == 3


def test_bigram_samples_are_deterministic_for_a_seed():
    model = text_metrics.Bigram().fit(["anna", "hannah", "ann"], alpha=1e-9, block_size=8)
    a = text_metrics.bigram_generate(model, 5, generator=torch.Generator().manual_seed(3))
    b = text_metrics.bigram_generate(model, 5, generator=torch.Generator().manual_seed(3))
    assert a == b and all(set(name) <= set("anh") for name in a)


def test_prefix_check_names_the_offending_character():
    assert chars.check_prefix(" Em ") == "em"
    with pytest.raises(ValueError, match="'3' at position 1"):
        chars.check_prefix("a3")
