"""The shared citation-key rule."""

import pytest

from papers.citekeys import ascii_fold, citation_key_base, is_valid_key, title_word, unique_key


@pytest.mark.parametrize(
    ("family", "year", "title", "key"),
    [
        ("Goodfellow", 2014, "Generative Adversarial Nets", "goodfellow2014generative"),
        ("Kingma", 2014, "Auto-Encoding Variational Bayes", "kingma2014auto"),
        ("Higgins", 2017, "β-VAE: Learning Basic Visual Concepts", "higgins2017beta"),
        ("Higgins", 2017, "$\\beta$-VAE: Learning Basic Visual Concepts", "higgins2017beta"),
        ("Oord", 2016, "WaveNet: A Generative Model for Raw Audio", "oord2016wavenet"),
        ("van den Oord", 2016, "Pixel Recurrent Neural Networks", "oord2016pixel"),
        (
            "Sohl-Dickstein",
            2015,
            "Deep Unsupervised Learning using Nonequilibrium Thermodynamics",
            "sohldickstein2015deep",
        ),
        ("Theis", 2016, "A Note on the Evaluation of Generative Models", "theis2016note"),
        ("Ho", 2019, "Flow++: Improving Flow-Based Generative Models", "ho2019flow"),
        ("Kaiser", 2017, "On Łódź Data", "kaiser2017lodz"),
        ("Müller", None, "Towards the Über Model", "mulleruber"),
    ],
)
def test_key_follows_the_rule(family, year, title, key):
    assert citation_key_base(family=family, year=year, title=title) == key


def test_fold_and_stopwords():
    assert ascii_fold("Aäron Łukasz Straße") == "Aaron Lukasz Strasse"
    assert title_word("The Of A An On Towards Using Models") == "models"
    assert title_word("") == ""
    assert citation_key_base(family="", year=None, title="") == "anon"


def test_collisions_get_letter_then_number_suffixes():
    taken = {"ho2020denoising"}
    assert unique_key("ho2020denoising", taken) == "ho2020denoisingb"
    taken |= {"ho2020denoisingb"}
    assert unique_key("ho2020denoising", taken) == "ho2020denoisingc"
    taken |= {f"x{c}" for c in "bcdefghijklmnopqrstuvwxyz"} | {"x"}
    assert unique_key("x", taken) == "x27"


@pytest.mark.parametrize("key", ["goodfellow2014generative", "Habibian_2019_ICCV", "a:b/c.d-e+f"])
def test_valid_keys(key):
    assert is_valid_key(key)


@pytest.mark.parametrize("key", ["", "has space", "comma,key", "brace{", "ümlaut", "x" * 121, "-lead"])
def test_invalid_keys(key):
    assert not is_valid_key(key)
