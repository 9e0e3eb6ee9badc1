"""LaTeX decoding on import, encoding on export, capitalisation protection."""

import pytest

from papers.latex import latex_to_text, protect_capitals, text_to_latex


@pytest.mark.parametrize(
    ("latex", "text"),
    [
        (r"Kr\"ahenb\"uhl", "Krähenbühl"),
        (r"A{\"a}ron", "Aäron"),
        (r"Acz{\'e}l, J{\'{a}}nos", "Aczél, János"),
        (r"Stanis{\l}aw Jastrz{\k{e}}bski", "Stanisław Jastrzębski"),
        (r"{\L}ukasz", "Łukasz"),
        (r"Sch\"{o}lkopf \ss{} {\o} \v{c} \c c \'\i", "Schölkopf ß ø č ç í"),
        (r"{Video Compression through Image Interpolation}", "Video Compression through Image Interpolation"),
        (
            "{Convolutional LSTM Network: A Machine Learning Approach for Precipitation\n   Nowcasting}",
            "Convolutional LSTM Network: A Machine Learning Approach for Precipitation Nowcasting",
        ),
        (r"Dit{-}Yan", "Dit-Yan"),
        (r"\emph{Deep} {\em learning} \textbf{now}", "Deep learning now"),
        (r"\url{https://x.org/a_b}", "https://x.org/a_b"),
        (r"Flow++ \& friends: 50\% \#1 a\_b", "Flow++ & friends: 50% #1 a_b"),
        (r"$\beta$-VAE", "β-VAE"),
        (r"$x^2$ stays", "$x^2$ stays"),
        (r"\unknownmacro{arg} stays", r"\unknownmacro{arg} stays"),
        ("D.~Knuth", "D. Knuth"),
    ],
)
def test_decoding(latex, text):
    assert latex_to_text(latex) == text


@pytest.mark.parametrize(
    "text",
    [
        "Aäron van den Oord",
        "Łukasz Kaiser",
        "Flow++ & 50% #1 a_b ~ ^",
        "β-VAE and Σ",
        "$x^2$ math",
        "\\foo{bar} kept",
        "unbalanced { brace",
        "a } b",
        "Ørsted ß “quoted” – — …",
        "日本語のタイトル",
        "back\\slash",
        "C:\\path",
    ],
)
def test_encoding_round_trips(text):
    encoded = text_to_latex(text)
    assert encoded.isascii() or (not text.isascii() and any(ord(c) > 0x2FFF for c in text))
    assert latex_to_text(encoded) == text


def test_a_block_start_inside_a_value_stays_text():
    import bibtexparser

    value = text_to_latex("line @misc{x, title={y}} and @article (z)")
    library = bibtexparser.parse_string("@misc{k, title={" + value + "}}")
    assert not library.failed_blocks and len(library.entries) == 1
    # Balanced braces in stored text count as capital protection, so they go; the text stays.
    assert latex_to_text(library.entries[0]["title"]) == "line @miscx, title=y and @article (z)"
    assert latex_to_text(text_to_latex("a @misc{x")) == "a @misc{x"


def test_accents_are_latex_encoded():
    assert text_to_latex("Aäron") == r"A{\"a}ron"
    assert text_to_latex("Łukasz") == r"{\L}ukasz"
    assert text_to_latex("č") == r"{\v{c}}"


@pytest.mark.parametrize(
    ("title", "protected"),
    [
        ("Density estimation using Real NVP", "Density estimation using {Real NVP}"),
        ("WaveNet: A Generative Model for Raw Audio", "{WaveNet}: A Generative Model for Raw Audio"),
        ("Generative Adversarial Nets", "Generative Adversarial Nets"),
        (
            "Unsupervised Representation Learning with DCGANs",
            "Unsupervised Representation Learning with {DCGANs}",
        ),
        ("U-Net: Convolutional Networks", "{U-Net}: Convolutional Networks"),
        ("PixelCNN++: Improving the PixelCNN", "{PixelCNN++}: Improving the {PixelCNN}"),
        ("Already {GAN} protected", "Already {GAN} protected"),
        ("ALL CAPS TITLE", "{ALL CAPS TITLE}"),
    ],
)
def test_capitals_protected_once(title, protected):
    assert protect_capitals(title) == protected
    assert protect_capitals(protected) == protected  # never double-protected
    assert latex_to_text(text_to_latex(protected)) == title.replace("{", "").replace("}", "")
