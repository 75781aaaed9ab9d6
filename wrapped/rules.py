"""The rules of who gets a report, apart from the cards so settings can name them without
loading numpy (every CLI command reads the settings)."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True, slots=True)
class Rules:
    """Who gets a report, and when comparisons mean something.

    Eligibility defaults to Spotify's: at least 30 streams and 5 distinct music artists in
    the window. Percentiles are shown only among at least ``min_comparison_users``
    listeners (of the window, or of the top artist).
    """

    min_streams: int = 30
    min_artists: int = 5
    min_comparison_users: int = 20
