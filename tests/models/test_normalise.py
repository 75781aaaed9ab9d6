from __future__ import annotations

from hypothesis import given
from hypothesis import strategies as st

from models.normalise import like_pattern, normalise


def test_folds_case_accents_punctuation_and_space() -> None:
    assert normalise("  Beyoncé ") == normalise("BEYONCE") == "beyonce"
    assert normalise("Sigur Rós") == "sigur ros"
    assert normalise("Go\u2010Go\u2019s") == normalise("Go-Go's") == "go-go's"
    assert normalise("Straße") == "strasse"
    assert normalise("A   B\tC") == "a b c"


def test_keeps_words_that_distinguish_recordings() -> None:
    assert normalise("Halo (Remix)") != normalise("Halo")
    assert normalise("Song feat. X") != normalise("Song")


@given(st.text(max_size=50))
def test_is_idempotent(text: str) -> None:
    assert normalise(normalise(text)) == normalise(text)


def test_like_pattern_escapes_wildcards() -> None:
    assert like_pattern("100%_Pure") == "%100\\%\\_pure%"
