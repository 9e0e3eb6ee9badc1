"""Citation keys: first author's family name + year + first significant title word, e.g. ``oord2016wavenet``.

The catalog's content files and the zoo's docstrings cite papers by these keys, so the rule is fixed: the
first author's family name without its von particle, ASCII-folded and lowercased with everything but
letters and digits dropped ("Sohl-Dickstein" -> "sohldickstein"), then the year, then the first title word
that is not a stopword.
On collision the key gets a suffix: b, c, ... z, then 27, 28, ...
"""

import re
import unicodedata
from collections.abc import Container

STOPWORDS = frozenset(
    {
        "a", "an", "the", "on", "of", "for", "and", "to", "in", "with", "using", "via", "from", "towards",
        "toward", "is", "are",
    }
)  # fmt: skip

# Letters that Unicode does not decompose into an ASCII base plus accents.
_FOLD = {
    "ß": "ss", "ẞ": "SS", "æ": "ae", "Æ": "AE", "œ": "oe", "Œ": "OE", "ø": "o", "Ø": "O",
    "ł": "l", "Ł": "L", "đ": "d", "Đ": "D", "ð": "d", "Ð": "D", "þ": "th", "Þ": "TH",
    "ı": "i", "ȷ": "j", "ŋ": "ng", "Ŋ": "NG", "–": "-", "—": "-", "‘": "'", "’": "'",
    "“": '"', "”": '"',
}  # fmt: skip
# Greek letters fold to their names so that "β-VAE" gives the word "beta" (higgins2017beta).
_GREEK = [
    "alpha", "beta", "gamma", "delta", "epsilon", "zeta", "eta", "theta", "iota", "kappa", "lambda", "mu",
    "nu", "xi", "omicron", "pi", "rho", "sigma", "tau", "upsilon", "phi", "chi", "psi", "omega",
]  # fmt: skip
for _i, _name in enumerate(_GREEK):
    _lower = chr(0x3B1 + _i + (1 if _i >= 17 else 0))  # skips U+03C2, final sigma
    _FOLD[_lower] = _name
    _FOLD[_lower.upper()] = _name.capitalize()
_FOLD["ς"] = "sigma"
_FOLD_TABLE = str.maketrans(_FOLD)

# A key we accept from imported BibTeX: ASCII, no spaces, commas, braces or quotes.
KEY_RE = re.compile(r"[A-Za-z0-9][A-Za-z0-9_:.+/\-]*")
KEY_MAX_LENGTH = 120
_WORD_RE = re.compile(r"[A-Za-z0-9]+")
_MATH_MACRO_RE = re.compile(r"\\([A-Za-z]+)")


def ascii_fold(text: str) -> str:
    """'Aäron Łukasz β' -> 'Aaron Lukasz beta' (accents dropped, special letters transliterated)."""
    if text.isascii():
        return text
    text = unicodedata.normalize("NFKD", text.translate(_FOLD_TABLE)).translate(_FOLD_TABLE)
    return text.encode("ascii", "ignore").decode("ascii")


def _family_word(family: str) -> str:
    # A family stored with its particle ("van den Oord", from a braced "{van den Oord}") still gives "oord".
    words = family.split()
    while len(words) > 1 and words[0][:1].islower():
        words.pop(0)
    return "".join(_WORD_RE.findall(ascii_fold(" ".join(words)))).lower()


def title_word(title: str) -> str:
    """The first significant word of a title, folded and lowercased ('' if there is none)."""
    # Math such as "$\beta$-VAE" reads as its macro name.
    title = _MATH_MACRO_RE.sub(r" \1 ", title)
    for word in _WORD_RE.findall(ascii_fold(title)):
        lowered = word.lower()
        if lowered not in STOPWORDS:
            return lowered
    return ""


def citation_key_base(*, family: str, year: int | None, title: str) -> str:
    """The key before any collision suffix: 'oord' + '2016' + 'wavenet'."""
    name = _family_word(family) or "anon"
    base = f"{name}{year or ''}{title_word(title)}"
    return base[: KEY_MAX_LENGTH - 3]


def is_valid_key(key: str) -> bool:
    """Whether an imported key can be stored and written back as it is."""
    return len(key) <= KEY_MAX_LENGTH and KEY_RE.fullmatch(key) is not None


def unique_key(base: str, taken: Container[str]) -> str:
    """``base`` if free, else ``base`` + b, c, ... z, then 27, 28, ..."""
    if base not in taken:
        return base
    for letter in "bcdefghijklmnopqrstuvwxyz":
        if base + letter not in taken:
            return base + letter
    number = 27
    while f"{base}{number}" in taken:
        number += 1
    return f"{base}{number}"
