"""LaTeX in BibTeX values <-> Unicode text in the database.

Stored text is plain Unicode ("Aäron", "Flow++ & friends", "2672–2680"): TeX's dash ligatures "--" and "---"
become the en and em dashes they print as, so no reader outside BibTeX sees LaTeX. What has no Unicode form
stays as LaTeX:
math other than a lone Greek letter ("$x^2$") and macros we do not know ("\\foo{x}"), so that
``latex_to_text(text_to_latex(s)) == s`` for every stored value. Capitalisation braces ("{GAN}") are
dropped on import and added back on export by :func:`protect_capitals`.

Written by hand rather than with pylatexenc: the import must run within a small factor of a bare parse.
Almost every value takes a fast path (no backslash, brace or special character), but in bench/bibtex.py's
input 5,100 of 37,000 values reach the tokenizer below, which decodes a typical author list in about 12 µs;
pylatexenc's LatexWalker alone takes about 270 µs on it, which would make the import about three times
slower.
"""

import functools
import re
import unicodedata

# Accent commands and the combining mark each one adds.
ACCENTS = {
    "'": "\u0301", "`": "\u0300", "^": "\u0302", '"': "\u0308", "~": "\u0303", "=": "\u0304",
    ".": "\u0307", "u": "\u0306", "v": "\u030c", "H": "\u030b", "c": "\u0327", "k": "\u0328",
    "r": "\u030a", "d": "\u0323", "b": "\u0331",
}  # fmt: skip
_MARK_TO_ACCENT = {mark: cmd for cmd, mark in ACCENTS.items()}

# Macros without an argument that stand for one character (or a short text).
SYMBOLS = {
    "l": "ł", "L": "Ł", "o": "ø", "O": "Ø", "ss": "ß", "SS": "ẞ", "ae": "æ", "AE": "Æ", "oe": "œ",
    "OE": "Œ", "aa": "å", "AA": "Å", "i": "ı", "j": "ȷ", "dh": "ð", "DH": "Ð", "th": "þ", "TH": "Þ",
    "dj": "đ", "DJ": "Đ", "ng": "ŋ", "NG": "Ŋ", "S": "§", "P": "¶", "copyright": "©", "pounds": "£",
    "euro": "€", "textbackslash": "\\", "textasciitilde": "~", "textasciicircum": "^",
    "textunderscore": "_", "textbraceleft": "{", "textbraceright": "}", "textdollar": "$",
    "textendash": "–", "textemdash": "—", "textquoteleft": "‘", "textquoteright": "’",
    "textquotedblleft": "“", "textquotedblright": "”", "ldots": "…", "dots": "…", "textellipsis": "…",
    "textregistered": "®", "texttrademark": "™", "textdegree": "°", "textbullet": "•", "dag": "†",
    "ddag": "‡", "textperiodcentered": "·", "guillemotleft": "«", "guillemotright": "»",
    "textexclamdown": "¡", "textquestiondown": "¿", "LaTeX": "LaTeX", "TeX": "TeX",
    "textless": "<", "textgreater": ">", "textbar": "|",
}  # fmt: skip
_CHAR_TO_SYMBOL = {
    char: name
    for name, char in SYMBOLS.items()
    if name not in ("LaTeX", "TeX", "dots", "textellipsis", "textless", "textgreater", "textbar")
}
# Control symbols: a backslash and one non-letter.
ESCAPES = {"&": "&", "%": "%", "$": "$", "#": "#", "_": "_", "{": "{", "}": "}", " ": " ", ",": " "}
_DROPPED_SYMBOLS = {"-", "/", "@", "\\"}  # hyphenation hints, italic corrections, forced breaks
# Text-formatting macros: the argument stays, the formatting goes.
FORMATTING = {
    "emph", "textit", "textbf", "textsc", "texttt", "textrm", "textsf", "textup", "textsl", "textmd",
    "textnormal", "mbox", "hbox", "text", "mathrm", "mathit", "mathbf", "uppercase", "lowercase",
    "NoCaseChange", "MakeUppercase", "MakeLowercase", "ensuremath",
}  # fmt: skip
DECLARATIONS = {
    "em", "it", "bf", "sc", "rm", "tt", "sf", "sl", "upshape", "itshape", "bfseries", "scshape",
    "normalfont", "small", "footnotesize", "scriptsize", "tiny", "large", "Large", "normalsize",
    "relax", "protect", "noopsort",
}  # fmt: skip
VERBATIM_ARG = {"url", "path", "nolinkurl"}
GREEK = [
    "alpha", "beta", "gamma", "delta", "epsilon", "zeta", "eta", "theta", "iota", "kappa", "lambda", "mu",
    "nu", "xi", "omicron", "pi", "rho", "varsigma", "sigma", "tau", "upsilon", "phi", "chi", "psi", "omega",
]  # fmt: skip
_GREEK_CHARS = {name: chr(0x3B1 + i) for i, name in enumerate(GREEK)}
_GREEK_CHARS.update(
    {
        name.capitalize(): chr(0x391 + i)
        for i, name in enumerate(GREEK)
        if name not in ("varsigma",) and name.capitalize() not in ("Alpha", "Beta", "Epsilon")
    }
)
_GREEK_CHARS.update({"varepsilon": "ε", "vartheta": "ϑ", "varphi": "φ", "varpi": "ϖ", "varrho": "ϱ"})
_CHAR_TO_GREEK = {}
for _name, _char in _GREEK_CHARS.items():
    _CHAR_TO_GREEK.setdefault(_char, _name)

_SPECIAL = re.compile(r"[\\{}$~^&%#_\s]")
# Printable ASCII but for the characters LaTeX treats specially: what needs no encoding.
_PLAIN_ASCII = "".join(chr(c) for c in range(0x20, 0x7F) if chr(c) not in "\\{}$~^&%#_")
_NEEDS_ENCODING = re.compile(f"[^{re.escape(_PLAIN_ASCII)}]")
_WS = re.compile(r"\s+")
_WS_RUN = re.compile(r"\s\s|[^\S ]")  # whitespace that collapsing would change
_MACRO = re.compile(r"\\([A-Za-z]+)\s*|\\(.)", re.DOTALL)
_LONE_GREEK = re.compile(r"\$\\([A-Za-z]+)\$")


_BRACE_OR_ESCAPE = re.compile(r"\\.|[{}]", re.DOTALL)


def _matching_brace(text: str, start: int) -> int:
    """Index of the '}' closing the '{' at ``start``, or -1 (escaped braces do not count)."""
    depth = 0
    for match in _BRACE_OR_ESCAPE.finditer(text, start):
        token = match.group()
        if token == "{":
            depth += 1
        elif token == "}":
            depth -= 1
            if depth == 0:
                return match.start()
    return -1


def _math_end(text: str, start: int) -> int:
    """Index of the '$' closing the math that opens at ``start``, or -1."""
    i = start + 1
    while i < len(text):
        if text[i] == "\\":
            i += 2
            continue
        if text[i] == "$":
            return i if i > start + 1 else -1
        i += 1
    return -1


def _accent(cmd: str, base: str) -> str:
    if base in ("ı", "\\i"):
        base = "i"
    elif base in ("ȷ", "\\j"):
        base = "j"
    if not base:
        return ACCENTS[cmd]
    return unicodedata.normalize("NFC", base[0] + ACCENTS[cmd]) + base[1:]


def latex_to_text(value: str) -> str:
    """Decode a BibTeX value: accents, symbols and dashes to Unicode, braces dropped, whitespace collapsed."""
    dashes = "--" in value
    if not dashes and _SPECIAL.search(value) is None:
        return value
    if not dashes and "\\" not in value and "$" not in value and "~" not in value:
        # Only braces and whitespace: the common case of "{GAN}" or a title wrapped across lines.
        if "{" in value or "}" in value:
            value = _strip_braces(value)
    else:
        value = _decode(value)
    if _WS_RUN.search(value) is not None:
        value = _WS.sub(" ", value)
    return value.strip()


def _strip_braces(value: str) -> str:
    # Keep braces that do not pair up: they are text, and the encoder writes them back as \textbrace...
    if value.count("{") == value.count("}") and _balanced(value):
        return value.replace("{", "").replace("}", "")
    return _decode(value)


_BRACE = re.compile(r"[{}]")


def _balanced(value: str) -> bool:
    depth = 0
    for match in _BRACE.finditer(value):
        depth += 1 if match.group() == "{" else -1
        if depth < 0:
            return False
    return depth == 0


_DECODE_MARK = re.compile(r"[\\{$~]")


def _decode(text: str) -> str:
    out: list[str] = []
    i = 0
    n = len(text)
    while i < n:
        mark = _DECODE_MARK.search(text, i)
        if mark is None:
            out.append(_dashes(text[i:]))
            break
        if mark.start() > i:
            out.append(_dashes(text[i : mark.start()]))  # plain text up to the next backslash, brace, $ or ~
        i = mark.start()
        char = text[i]
        if char == "\\":
            i = _decode_macro(text, i, out)
        elif char == "{":
            end = _matching_brace(text, i)
            if end < 0:
                out.append("{")
                i += 1
            else:
                out.append(_decode(text[i + 1 : end]))
                i = end + 1
        elif char == "$":
            end = _math_end(text, i)
            if end < 0:
                out.append("$")
                i += 1
            else:
                math = text[i : end + 1]
                lone = _LONE_GREEK.fullmatch(math)
                if lone and lone.group(1) in _GREEK_CHARS:
                    out.append(_GREEK_CHARS[lone.group(1)])
                else:
                    out.append(math)
                i = end + 1
        else:  # "~", a tie
            out.append(" ")
            i += 1
    return "".join(out)


def _dashes(text: str) -> str:
    """TeX's ligatures: '---' is an em dash, '--' an en dash ('-{}-' stays two hyphens)."""
    return text.replace("---", "—").replace("--", "–") if "--" in text else text


def _argument(text: str, i: int) -> tuple[str, int, bool]:
    """The argument starting at ``i`` (after spaces): a braced group or one character. (raw, next, braced)."""
    n = len(text)
    while i < n and text[i] == " ":
        i += 1
    if i >= n:
        return "", i, False
    if text[i] == "{":
        end = _matching_brace(text, i)
        if end < 0:
            return "", i, False
        return text[i + 1 : end], end + 1, True
    if text[i] == "\\":
        match = _MACRO.match(text, i)
        if match and match.group(1):
            return "\\" + match.group(1), match.end(), False
    return text[i], i + 1, False


def _decode_macro(text: str, i: int, out: list[str]) -> int:
    match = _MACRO.match(text, i)
    if match is None:  # a backslash at the very end
        out.append("\\")
        return i + 1
    name = match.group(1)
    if name is None:
        symbol = match.group(2)
        if symbol in ACCENTS:
            arg, nxt, _ = _argument(text, match.end())
            out.append(_accent(symbol, _decode(arg) if arg.startswith("\\") else _strip_inner(arg)))
            return nxt
        if symbol in ESCAPES:
            out.append(ESCAPES[symbol])
        elif symbol not in _DROPPED_SYMBOLS:
            out.append("\\" + symbol)
        return match.end()
    end = match.end()
    if name in ACCENTS and len(name) == 1:
        arg, nxt, _ = _argument(text, end)
        out.append(_accent(name, _decode(arg) if arg.startswith("\\") else _strip_inner(arg)))
        return nxt
    if name in SYMBOLS:
        # "\ss{}" and "{\o}" are both common.
        if text.startswith("{}", end):
            end += 2
        out.append(SYMBOLS[name])
        return end
    if name in FORMATTING:
        arg, nxt, braced = _argument(text, end)
        out.append(_decode(arg) if braced else arg)
        return nxt
    if name in VERBATIM_ARG:
        arg, nxt, braced = _argument(text, end)
        out.append(arg)
        return nxt
    if name == "href":
        _url, nxt, _ = _argument(text, end)
        arg, nxt, braced = _argument(text, nxt)
        out.append(_decode(arg) if braced else arg)
        return nxt
    if name in DECLARATIONS:
        return end
    if name in _GREEK_CHARS:
        out.append(_GREEK_CHARS[name])
        if text.startswith("{}", end):
            end += 2
        return end
    # Unknown macro: keep it, with its braced arguments, as LaTeX.
    raw = match.group(0).rstrip()
    nxt = i + len(raw)
    while nxt < len(text) and text[nxt] == "{":
        close = _matching_brace(text, nxt)
        if close < 0:
            break
        nxt = close + 1
    out.append(text[i:nxt])
    return nxt


def _strip_inner(arg: str) -> str:
    return arg.replace("{", "").replace("}", "")


# --- encoding -------------------------------------------------------------------------------------------


@functools.lru_cache(maxsize=4096)
def _encode_char(char: str) -> str:
    if char in "&%#_":
        return "\\" + char
    if char == "$":
        return "\\$"
    if char == "~":
        return "\\textasciitilde{}"
    if char == "^":
        return "\\textasciicircum{}"
    if char == "\\":
        return "\\textbackslash{}"
    if char == "{":
        return "\\textbraceleft{}"
    if char == "}":
        return "\\textbraceright{}"
    if char.isascii():
        return char
    if char in _CHAR_TO_SYMBOL:
        return "{\\" + _CHAR_TO_SYMBOL[char] + "}"
    if char in _CHAR_TO_GREEK:
        return "$\\" + _CHAR_TO_GREEK[char] + "$"
    decomposed = unicodedata.normalize("NFD", char)
    if len(decomposed) >= 2 and decomposed[0].isascii() and all(m in _MARK_TO_ACCENT for m in decomposed[1:]):
        inner = decomposed[0]
        for mark in decomposed[1:]:
            cmd = _MARK_TO_ACCENT[mark]
            # {\"a} for the symbol accents, {\v{c}} for the letter ones (BibTeX's own style).
            inner = f"\\{cmd}{inner}" if not cmd.isalpha() and len(inner) == 1 else f"\\{cmd}{{{inner}}}"
        return "{" + inner + "}"
    if char.isspace():
        return " "
    return char  # no LaTeX form; UTF-8 is valid in a .bib read by biber or bibtexparser


_STRUCTURAL = re.compile(r"[$\\{}]")
_ENCODED_CHAR = re.compile(f"[^{re.escape(_PLAIN_ASCII)}\n$\\\\{{}}]")


def _encode_match(match: re.Match[str]) -> str:
    return _encode_char(match.group())


_DASH_RUN = re.compile("[-\u2013\u2014]{2,}|[\u2013\u2014]")
_DASH_LATEX = {"-": "-", "\u2013": "--", "\u2014": "---"}


def _encode_dashes(match: re.Match[str]) -> str:
    # "{}" between the dashes of a run keeps each one what it was: "--" typed as text is "-{}-".
    return "{}".join(_DASH_LATEX[char] for char in match.group())


def _encode_plain(chunk: str) -> str:
    """Encode text that holds no math, macro or brace."""
    if "-" in chunk or "\u2013" in chunk or "\u2014" in chunk:
        chunk = _DASH_RUN.sub(_encode_dashes, chunk)
    return _ENCODED_CHAR.sub(_encode_match, chunk)


# "@misc{" inside a value would start a new block for bibtexparser's splitter; "{@}" keeps it text.
_BLOCK_START = re.compile(r"@(?=\s*[A-Za-z]+\s*[{(])")


def text_to_latex(text: str) -> str:
    """Encode stored text for a BibTeX value; math and kept macros pass through, braces stay balanced."""
    encoded = _text_to_latex(text)
    if "@" in encoded:
        encoded = _BLOCK_START.sub("{@}", encoded)
    return encoded


def _text_to_latex(text: str) -> str:
    if _NEEDS_ENCODING.search(text) is None and "--" not in text:
        return text
    if _STRUCTURAL.search(text) is None:
        return _encode_plain(text)
    out: list[str] = []
    i = 0
    n = len(text)
    while i < n:
        mark = _STRUCTURAL.search(text, i)
        if mark is None:
            out.append(_encode_plain(text[i:]))
            break
        if mark.start() > i:
            out.append(_encode_plain(text[i : mark.start()]))
        i = mark.start()
        char = text[i]
        if char == "$":
            end = _math_end(text, i)
            if end > 0 and _balanced(text[i : end + 1]):
                out.append(text[i : end + 1])
                i = end + 1
                continue
        elif char == "\\":
            match = _MACRO.match(text, i)
            if match and match.group(1) and not _known(match.group(1)):
                # A macro the decoder kept; its braced arguments go with it.
                nxt = i + 1 + len(match.group(1))
                while nxt < n and text[nxt] == "{":
                    close = _matching_brace(text, nxt)
                    if close < 0 or not _balanced(text[nxt : close + 1]):
                        break
                    nxt = close + 1
                out.append(text[i:nxt])
                if nxt < n and nxt == i + 1 + len(match.group(1)) and text[nxt].isalpha():
                    out.append("{}")  # keeps "\foo" from swallowing the next letters
                i = nxt
                continue
        elif char == "{":
            end = _matching_brace(text, i)
            if end > 0 and _balanced(text[i : end + 1]):
                # Braces the user typed to protect capitals: keep them, encode inside.
                out.append("{" + _text_to_latex(text[i + 1 : end]) + "}")
                i = end + 1
                continue
        out.append(_encode_char(char))
        i += 1
    return "".join(out)


def _known(name: str) -> bool:
    return (
        name in SYMBOLS
        or name in FORMATTING
        or name in DECLARATIONS
        or name in VERBATIM_ARG
        or name in _GREEK_CHARS
        or name == "href"
        or (len(name) == 1 and name in ACCENTS)
    )


# --- capitalisation -------------------------------------------------------------------------------------

_EDGE_PUNCT = ":;,.!?()[]\"'"


def needs_protection(word: str) -> bool:
    """Whether a style's case change would spoil the word: acronyms, camel case, 'U-Net'."""
    if word[1:] == word[1:].lower() and "-" not in word:
        return False  # the common case, decided at C speed
    parts = [part for part in word.split("-") if part]
    for part in parts:
        letters = [c for c in part if c.isalpha()]
        if not letters:
            continue
        if any(c.isupper() for c in part[1:]):  # GAN, WaveNet, PixelCNN, 3D
            return True
        if len(parts) > 1 and len(letters) == 1 and letters[0].isupper():  # U-Net, X-ray
            return True
    return False


# Proper nouns and the names built on them, whose capitals a style's sentence case must keep: BibTeX styles
# such as plainnat lowercase every other letter of a title ("deep boltzmann machines"). The longest first.
PROPER_PHRASES = (
    "Boltzmann Machines", "Boltzmann Machine", "Nash Equilibrium", "Variational Bayes", "Real NVP",
    "Monte Carlo", "Boltzmann", "Bayes", "Bayesian", "Nash", "Wasserstein", "Gaussian", "Markov", "Langevin",
    "Hamiltonian", "Fourier", "Stein", "Helmholtz", "Laplace", "English", "Transformer-XL",
)  # fmt: skip
_PHRASE = re.compile(r"(?<![\w{])(" + "|".join(re.escape(p) for p in PROPER_PHRASES) + r")(?![\w}])")


def proper_phrases(text: str) -> list[tuple[int, int]]:
    """Spans of ``text`` that name a proper noun of :data:`PROPER_PHRASES` (outside braces)."""
    return [match.span() for match in _PHRASE.finditer(text)]


def protect_capitals(text: str) -> str:
    """Brace proper nouns, acronyms and camel-case words of a plain title: 'Real NVP' -> '{Real NVP}'.

    Words that already carry braces, math or macros are left alone, so nothing is protected twice.
    """
    rest = text[1:]
    if rest == rest.lower():
        return text
    if text == text.upper() and "{" not in text and "}" not in text:
        return "{" + text + "}"  # an all-capitals title: one group, not one per word
    if "{" not in text and _PHRASE.search(text):
        # Each phrase becomes one group; the words left outside go through the rule below.
        pieces, last = [], 0
        for start, end in proper_phrases(text):
            pieces += [_protect_words(text[last:start]), "{" + text[start:end] + "}"]
            last = end
        return "".join([*pieces, _protect_words(text[last:])])
    return _protect_words(text)


def _protect_words(text: str) -> str:
    rest = text[1:]
    if not text or rest == rest.lower():
        return text
    words = text.split(" ")
    depth = 0  # inside a group the user braced, words are protected already
    for index, word in enumerate(words):
        inside = depth > 0
        depth += word.count("{") - word.count("}")
        if inside or not word or "{" in word or "}" in word or "$" in word or "\\" in word:
            continue
        core = word.strip(_EDGE_PUNCT)
        if not core or not needs_protection(core):
            continue
        start = word.index(core)
        words[index] = f"{word[:start]}{{{core}}}{word[start + len(core) :]}"
    return " ".join(words)
