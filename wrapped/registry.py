"""Every card of a report, in the order a report shows them.

A card is a pure function of a :class:`~wrapped.context.Context`; its name is the report's
field that holds its result (see :class:`wrapped.report.Report`).
"""

from __future__ import annotations

from collections.abc import Callable

from wrapped.cards.behaviour import behaviour
from wrapped.cards.clock import clock
from wrapped.cards.comparisons import comparisons
from wrapped.cards.discoveries import discoveries
from wrapped.cards.missed import you_might_have_missed
from wrapped.cards.months import months
from wrapped.cards.phases import phases
from wrapped.cards.top import top
from wrapped.cards.top_songs import top_songs
from wrapped.cards.totals import totals
from wrapped.context import Context
from wrapped.personality import personality

Card = Callable[[Context], object]

CARDS: tuple[tuple[str, Card], ...] = (
    ("totals", totals),
    ("top", top),
    ("top_songs", top_songs),
    ("clock", clock),
    ("discoveries", discoveries),
    ("behaviour", behaviour),
    ("comparisons", comparisons),
    ("personality", personality),
    ("months", months),
    ("phases", phases),
    ("you_might_have_missed", you_might_have_missed),
)
