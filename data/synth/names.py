"""Invented names for artists, albums, tracks, shows and episodes, and Spotify-style ids.

Names are drawn without replacement from word-combination spaces, so artists are
distinct after normalisation (the catalog merges names that normalise alike) and a
title never repeats within one artist.
"""

from __future__ import annotations

import numpy as np
import numpy.typing as npt

ADJECTIVES = (
    "Amber", "Ashen", "Azure", "Bitter", "Blind", "Bright", "Broken", "Burning", "Calm", "Cinder",
    "Cobalt", "Cold", "Crimson", "Crystal", "Dark", "Distant", "Dusty", "Electric", "Empty",
    "Faded", "Fallen", "Fragile", "Frozen", "Gentle", "Gilded", "Golden", "Hidden", "Hollow",
    "Honest", "Idle", "Iron", "Ivory", "Jade", "Last", "Little", "Lonely", "Lost", "Lucid",
    "Lunar", "Magnetic", "Mellow", "Midnight", "Mild", "Neon", "Northern", "Painted", "Pale",
    "Paper", "Quiet", "Restless", "Rusty", "Scarlet", "Secret", "Silent", "Silver", "Slow", "Soft",
    "Solar", "Static", "Stray", "Sudden", "Velvet", "Violet", "Wild"
)  # fmt: skip
NOUNS = (
    "Anchor", "Antler", "Arrow", "Bird", "Bloom", "Bridge", "Canyon", "Cathedral", "Cloud",
    "Coast", "Comet", "Crown", "Current", "Dawn", "Desert", "Dream", "Echo", "Ember", "Engine",
    "Feather", "Field", "Fire", "Flower", "Forest", "Fountain", "Garden", "Ghost", "Glacier",
    "Harbor", "Heart", "Horizon", "Island", "Lantern", "Letter", "Light", "Machine", "Meadow",
    "Mirror", "Moon", "Mountain", "Ocean", "Orchard", "Palace", "Parade", "Planet", "Prism",
    "Rain", "River", "Rocket", "Shadow", "Signal", "Skyline", "Spark", "Star", "Storm", "Stone",
    "Summer", "Sun", "Thunder", "Tide", "Tower", "Valley", "Wave", "Window", "Wolf"
)  # fmt: skip
FIRST = (
    "Ada", "Alba", "Anouk", "Arlo", "Bram", "Cleo", "Dara", "Elio", "Esme", "Ezra", "Fenna",
    "Finn", "Greta", "Hugo", "Ines", "Iris", "Ivo", "Jonas", "Juno", "Kai", "Lena", "Lior", "Luca",
    "Mae", "Mara", "Milo", "Nadia", "Nico", "Noor", "Odin", "Otto", "Pia", "Remy", "Rosa", "Ruben",
    "Saar", "Sami", "Selma", "Sven", "Tara", "Teo", "Thea", "Uma", "Vera", "Wren", "Yara", "Zoe"
)  # fmt: skip
LAST = (
    "Alder", "Baker", "Bell", "Brandt", "Carver", "Castell", "Dane", "Dekker", "Ellis", "Falk",
    "Fischer", "Frost", "Garner", "Hale", "Hart", "Holm", "Jansen", "Kell", "Lark", "Lind",
    "Marsh", "Meyer", "Moreau", "Nash", "Novak", "Okafor", "Park", "Quinn", "Reed", "Rivera",
    "Rossi", "Santos", "Sato", "Shaw", "Stone", "Tan", "Vale", "Varga", "Voss", "Ward", "West",
    "Winter", "Young"
)  # fmt: skip
_ALPHABET = b"0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz"


def _artist_space() -> list[str]:
    a, n = ADJECTIVES, NOUNS
    pairs = [f"{x} {y}" for x in a for y in n]
    people = [f"{x} {y}" for x in FIRST for y in LAST]
    bands = [f"The {x} {y}s" for x in a for y in n]
    duos = [f"{x} & the {y}s" for x in FIRST for y in n]
    return pairs + people + bands + duos


def _title_space() -> list[str]:
    a, n = ADJECTIVES, NOUNS
    return (
        [f"{x} {y}" for x in a for y in n]
        + [f"{x} of the {y}" for x in n for y in n if x != y]
        + [f"{x} {y}s" for x in a for y in n]
    )


def _draw(rng: np.random.Generator, space: list[str], n: int) -> list[str]:
    """``n`` distinct names; past the size of ``space`` they get a numeric suffix."""
    size = len(space)
    codes = rng.choice(max(n, size), size=n, replace=False)
    return [space[c % size] + (f" {c // size + 1}" if c >= size else "") for c in codes.tolist()]


def artist_names(rng: np.random.Generator, n: int) -> list[str]:
    return _draw(rng, _artist_space(), n)


def show_names(rng: np.random.Generator, n: int) -> list[str]:
    space = [f"The {x} {y} Podcast" for x in ADJECTIVES for y in NOUNS]
    return _draw(rng, space, n)


def titles_per_group(rng: np.random.Generator, group: npt.NDArray[np.int64]) -> list[str]:
    """A title for each element, never repeated within its ``group`` (artist or album)."""
    space = _title_space()
    codes = rng.integers(0, len(space), size=len(group))
    while True:
        key = group * len(space) + codes
        _, first = np.unique(key, return_index=True)
        dup = np.ones(len(key), dtype=bool)
        dup[first] = False
        if not dup.any():
            break
        codes[dup] = rng.integers(0, len(space), size=int(dup.sum()))
    return [space[c] for c in codes.tolist()]


def spotify_ids(rng: np.random.Generator, n: int) -> list[str]:
    """``n`` random 22-character base62 ids, the form of Spotify track and episode ids."""
    digits = rng.integers(0, len(_ALPHABET), size=(n, 22), dtype=np.uint8)
    chars = np.frombuffer(_ALPHABET, dtype="S1")[digits]
    return [raw.decode() for raw in chars.view("S22").ravel().tolist()]
