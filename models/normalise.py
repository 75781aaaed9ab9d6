"""Normalised text keys, so "Beyoncé", "BEYONCE" and "Beyonce " match and search alike.

The key folds case and accents, unifies typographic punctuation that exports mix
freely (U+2010 hyphens, U+2019 apostrophes) and collapses whitespace. It is
deliberately conservative: it never drops words such as "feat." or "remix",
because those distinguish real recordings.
"""

from __future__ import annotations

import unicodedata
from functools import lru_cache

_PUNCTUATION = str.maketrans(
    {
        "\u2010": "-", "\u2011": "-", "\u2012": "-", "\u2013": "-", "\u2014": "-",
        "\u2212": "-", "\u2018": "'", "\u2019": "'", "\u201b": "'", "\u00b4": "'",
        "`": "'", "\u201c": '"', "\u201d": '"', "\u201e": '"',
    }
)  # fmt: skip


@lru_cache(maxsize=200_000)
def normalise(text: str) -> str:
    """Return the matching key of a name or title."""
    decomposed = unicodedata.normalize("NFKD", text)
    stripped = "".join(ch for ch in decomposed if not unicodedata.combining(ch))
    return " ".join(stripped.casefold().translate(_PUNCTUATION).split())


def like_pattern(query: str) -> str:
    """A ``LIKE`` pattern matching ``query`` anywhere in a key, with wildcards escaped."""
    escaped = normalise(query).replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
    return f"%{escaped}%"
