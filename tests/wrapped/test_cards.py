"""Every card on small, hand-checked listening: time zones, DST, ties, privacy, refusals."""

from __future__ import annotations

from datetime import date

import numpy as np
import pytest
from sqlalchemy import select

from models.catalog import Item, ItemKind
from models.records import EventRecord
from models.users import User
from service.store import Store
from tests.wrapped.conftest import LENIENT, Add, play, set_user, tag, wrap
from wrapped.errors import InvalidWindow, NotEligible, NothingToWrap, UnknownUser, WrappedOptedOut
from wrapped.report import Report, build_all, build_report
from wrapped.rules import Rules
from wrapped.window import Window

MIN = 60_000
FEW = Rules(0, 0, min_comparison_users=10)


def hours(report: Report) -> dict[int, int]:
    return {h.hour: h.ms_played for h in report.clock.hours if h.ms_played}


@pytest.mark.parametrize(
    ("tz", "included"),
    [
        ("UTC", [200_000]),
        ("Europe/Amsterdam", [100_000, 200_000]),
        ("America/New_York", [200_000, 300_000]),
        ("Pacific/Kiritimati", [100_000]),
    ],
)
def test_new_years_eve_belongs_to_the_local_year(
    store: Store, add: Add, tz: str, included: list[int]
) -> None:
    add(
        play("2023-12-31T23:30:00Z", ms=100_000, title="a"),
        play("2024-12-31T22:30:00Z", ms=200_000, title="b"),
        play("2025-01-01T03:00:00Z", ms=300_000, title="c"),
    )
    set_user(store, "ana", timezone=tz)
    report = wrap(store)  # the listener's own timezone
    assert report.window.timezone == tz
    assert report.totals.plays == len(included)
    assert report.totals.ms_played == sum(included)


def test_new_years_eve_local_hours_and_months(store: Store, add: Add) -> None:
    add(play("2023-12-31T23:30:00Z", ms=100_000), play("2024-12-31T22:30:00Z", ms=200_000))
    report = wrap(store, tz="Europe/Amsterdam")
    assert hours(report) == {0: 100_000, 23: 200_000}
    months = {m.month: m.ms_played for m in report.clock.months if m.ms_played}
    assert months == {"2024-01": 100_000, "2024-12": 200_000}
    assert [m.month for m in report.clock.months] == [f"2024-{m:02d}" for m in range(1, 13)]


def test_dst_days_in_the_clock(store: Store, add: Add) -> None:
    add(
        play("2024-03-31T00:30:00Z", ms=60_000),  # 01:30 CET
        play("2024-03-31T01:30:00Z", ms=120_000),  # 03:30 CEST: 02:xx never happened
        play("2024-10-27T00:30:00Z", ms=180_000),  # 02:30 CEST
        play("2024-10-27T01:30:00Z", ms=240_000),  # 02:30 CET, the second time round
    )
    report = wrap(store, tz="Europe/Amsterdam")
    assert hours(report) == {1: 60_000, 3: 120_000, 2: 420_000}
    assert report.clock.peak_day is not None
    assert (report.clock.peak_day.date, report.clock.peak_day.ms_played) == (
        date(2024, 10, 27), 420_000,
    )  # fmt: skip
    assert {d.weekday: d.ms_played for d in report.clock.weekdays if d.ms_played} == {
        "sunday": 600_000
    }


def test_a_play_counts_where_it_started(store: Store, add: Add) -> None:
    add(
        play("2023-12-31T23:50:00Z", ms=20 * MIN, title="old"),  # ends in 2024: still 2023
        play("2024-06-01T23:50:00Z", ms=30 * MIN, title="late"),  # crosses midnight
        play("2024-12-31T23:59:59Z", ms=10 * MIN, title="last"),  # ends in 2025
    )
    report = wrap(store, tz="UTC")
    assert report.totals.ms_played == 40 * MIN
    assert hours(report) == {23: 40 * MIN}
    assert report.clock.active_days == 2
    assert report.clock.peak_day and report.clock.peak_day.date == date(2024, 6, 1)


def test_zero_length_plays_add_no_time_streams_or_names(store: Store, add: Add) -> None:
    add(
        play("2024-02-01T10:00:00Z", ms=0, artist="Ghost", title="boo"),
        play("2024-02-02T10:00:00Z", ms=0, artist="Artist A"),
        play("2024-02-03T10:00:00Z", ms=45_000, artist="Artist A"),
        play("2024-02-04T10:00:00Z", ms=29_999, artist="Artist A"),
    )
    report = wrap(store, tz="UTC")
    t = report.totals
    assert (t.plays, t.ms_played, t.streams) == (4, 74_999, 1)
    assert (t.music.tracks, t.music.artists) == (1, 1)
    assert [a.name for a in report.top.artists] == ["Artist A"]
    assert report.clock.active_days == 2
    assert report.clock.longest_streak and report.clock.longest_streak.days == 2
    assert report.discoveries and report.discoveries.new_artists == 1


def test_one_play_is_not_eligible_and_says_why(store: Store, add: Add) -> None:
    add(play("2024-05-01T10:00:00Z", ms=200_000))
    with pytest.raises(NotEligible) as caught:
        wrap(store, tz="UTC", rules=Rules())
    numbers = caught.value.numbers
    assert (numbers.streams, numbers.artists, numbers.minutes) == (1, 1, 3)
    assert (numbers.required_streams, numbers.required_artists) == (30, 5)
    assert "1 of 30 streams" in str(caught.value)


def test_eligible_at_exactly_the_thresholds(store: Store, add: Add) -> None:
    add(*(play(f"2024-05-{1 + n // 24:02d}T{n % 24:02d}:00:00Z", artist=f"Artist {n % 5}",
               title=f"t{n}") for n in range(30)))  # fmt: skip
    report = wrap(store, tz="UTC", rules=Rules())
    assert (report.eligibility.streams, report.eligibility.artists) == (30, 5)
    with pytest.raises(NotEligible):
        wrap(store, tz="UTC", rules=Rules(min_streams=31))
    with pytest.raises(NotEligible):
        wrap(store, tz="UTC", rules=Rules(min_artists=6))


def test_ties_break_by_streams_then_name_then_id(store: Store, add: Add) -> None:
    add(
        *(play(f"2024-03-0{d}T10:00:00Z", artist=name, title=name.lower())
          for d, name in enumerate(["Gamma", "alpha", "Beta"], start=1)),
        play("2024-03-05T10:00:00Z", artist="Zeta", title="z1", ms=100_000),
        play("2024-03-05T11:00:00Z", artist="Zeta", title="z2", ms=100_000),
        play("2024-03-06T10:00:00Z", artist="Eta", title="e", ms=200_000, album="Other"),
        play("2024-03-07T10:00:00Z", artist="Theta", title="short", ms=10_000),
    )  # fmt: skip
    report = wrap(store, tz="UTC")
    # Zeta: 200 s over two streams beats the one-stream 200 s artists; then names fold case.
    assert [a.name for a in report.top.artists] == ["Zeta", "alpha", "Beta", "Eta", "Gamma"]
    assert [t.title for t in report.top.tracks] == ["alpha", "beta", "e", "gamma", "z1"]
    # Top songs: by streams, then time, then title; the 10-second play is no stream.
    assert [t.title for t in report.top_songs.tracks] == ["alpha", "beta", "e", "gamma", "z1", "z2"]
    assert report.top.top_artist and report.top.top_artist.top_track.title == "z1"


def test_private_plays_count_nowhere(store: Store, add: Add) -> None:
    add(
        play("2023-06-01T10:00:00Z", artist="Secret", title="s0", private=True),
        play("2024-06-01T10:00:00Z", artist="Secret", title="s1", private=True),
        play("2024-06-02T10:00:00Z", artist="Secret", title="s2"),
        play("2024-06-03T10:00:00Z", artist="Hidden", title="h", private=True, ms=900_000),
        play("2024-06-03T10:00:00Z", user="ben", private=True),
    )
    report = wrap(store, tz="UTC")
    assert report.totals.plays == 1 and report.totals.ms_played == 200_000
    assert [a.name for a in report.top.artists] == ["Secret"]
    assert report.discoveries and report.discoveries.new_artists == 1  # heard in 2023 privately
    assert report.comparisons.year_over_year is None  # 2023 held only a private play
    with pytest.raises(NothingToWrap):
        wrap(store, "ben", tz="UTC")


def test_refusals(store: Store, add: Add) -> None:
    add(play("2023-06-01T10:00:00Z"), play("2024-06-01T10:00:00Z", user="ben"))
    with pytest.raises(NothingToWrap, match="no listening in 2024"):
        wrap(store, tz="UTC")
    with pytest.raises(UnknownUser):
        wrap(store, "nobody")
    set_user(store, "ben", opt_out_wrapped=True)
    with pytest.raises(WrappedOptedOut):
        wrap(store, "ben")
    with store.sessions() as session:
        everyone = build_all(session, window_for=lambda tz: Window.for_year(2024, tz))
    assert isinstance(everyone["ben"], WrappedOptedOut)
    assert isinstance(everyone["ana"], NothingToWrap)


def test_discoveries_and_year_over_year(store: Store, add: Add) -> None:
    add(
        *(play(f"2023-03-{d:02d}T10:00:00Z", artist="Old", title=f"o{d}") for d in range(1, 5)),
        play("2024-03-01T10:00:00Z", artist="Old", title="o1", ms=600_000),
        play("2024-04-01T10:00:00Z", artist="New One", title="n1", ms=300_000),
        play("2024-04-02T10:00:00Z", artist="New Two", title="n2", ms=100_000),
        play("2024-04-03T10:00:00Z", artist="New Two", title="n2", ms=10_000),
    )
    report = wrap(store, tz="UTC")
    d = report.discoveries
    assert d is not None
    assert (d.new_artists, d.artists, d.ms_played) == (2, 3, 410_000)
    assert d.new_artist_share == round(410_000 / 1_010_000, 4)
    assert [(x.name, x.first_played) for x in d.top] == [
        ("New One", date(2024, 4, 1)), ("New Two", date(2024, 4, 2)),
    ]  # fmt: skip
    yoy = report.comparisons.year_over_year
    assert yoy is not None
    assert (yoy.previous, yoy.ms_played, yoy.streams, yoy.artists) == ("2023", 800_000, 4, 1)
    assert yoy.minutes_change == round(100 * (1_010_000 - 800_000) / 800_000, 1)
    assert yoy.streams_change == round(100 * (3 - 4) / 4, 1)
    march = wrap(store, window=Window.between(date(2024, 3, 1), date(2024, 4, 1), "UTC"))
    assert (
        march.comparisons.year_over_year and march.comparisons.year_over_year.ms_played == 800_000
    )
    assert march.discoveries and march.discoveries.new_artists == 0


def test_behaviour(store: Store, add: Add) -> None:
    add(
        play("2024-01-01T10:00:00Z", title="a", skipped=True, shuffle=True, ms=100_000),
        play("2024-01-01T11:00:00Z", title="b", skipped=False, shuffle=False, ms=300_000),
        play("2024-01-01T12:00:00Z", title="c", skipped=False, rec_id="r1", ms=200_000),
        play("2024-01-01T13:00:00Z", title="d", rec_id="r2", ms=400_000),
    )
    b = wrap(store, tz="UTC").behaviour
    assert (b.skip_rate, b.skips) == (round(1 / 3, 4), 1)
    assert b.shuffle_share == 0.25  # of the time of plays that reported shuffle
    assert (b.recommended_share, b.recommended_ms) == (0.6, 600_000)


def test_podcasts_and_videos_apart_from_music(store: Store, add: Add) -> None:
    add(
        play("2024-01-01T10:00:00Z", artist="Band", title="Song"),
        play("2024-01-02T10:00:00Z", artist="The Show", title="Ep 1", kind=ItemKind.episode,
             album=None, ms=1_800_000),
        play("2024-01-03T10:00:00Z", artist="The Show", title="Ep 2", kind=ItemKind.episode,
             album=None, ms=20_000),
        play("2024-01-04T10:00:00Z", artist="Band", title="Clip", kind=ItemKind.video, ms=240_000),
    )  # fmt: skip
    t = wrap(store, tz="UTC")
    totals = t.totals
    assert (totals.ms_played, totals.streams, totals.plays) == (2_260_000, 3, 4)
    assert (totals.music.ms_played, totals.music.tracks, totals.music.artists) == (200_000, 1, 1)
    assert (totals.podcasts.ms_played, totals.podcasts.streams) == (1_820_000, 1)
    assert (totals.podcasts.episodes, totals.podcasts.shows) == (2, 1)
    assert (totals.videos.ms_played, totals.videos.videos) == (240_000, 1)
    assert [a.name for a in t.top.artists] == ["Band"] and t.top.artists[0].ms_played == 200_000
    assert sum(h.ms_played for h in t.clock.hours) == 2_260_000


def test_top_artist_highlight_in_local_days(store: Store, add: Add) -> None:
    add(
        play("2024-02-01T23:30:00Z", artist="Star", title="Early"),  # 2 February in Amsterdam
        *(play(f"2024-05-0{d}T10:00:00Z", artist="Star", title="Hit") for d in range(1, 4)),
        play("2024-05-05T10:00:00Z", artist="Other", title="x", ms=500_000),
    )
    top = wrap(store, tz="Europe/Amsterdam").top.top_artist
    assert top is not None
    assert (top.artist.name, top.artist.ms_played, top.artist.streams) == ("Star", 800_000, 4)
    assert top.first_played == date(2024, 2, 2)
    assert (top.top_track.title, top.top_track.ms_played) == ("Hit", 600_000)


def listeners(n: int) -> list[EventRecord]:
    """Listener i plays "Star" i times and "Filler" once."""
    stars = [
        play(f"2024-07-01T{k % 24:02d}:{k // 24:02d}:00Z", user=f"u{i:02d}", artist="Star",
             title=f"s{k}") for i in range(1, n + 1) for k in range(i)
    ]  # fmt: skip
    return stars + [
        play("2024-07-02T10:00:00Z", user=f"u{i:02d}", artist="Filler") for i in range(1, n + 1)
    ]


def test_comparisons_need_enough_listeners(store: Store, add: Add) -> None:
    add(*listeners(24))
    set_user(store, "u24", timezone="Asia/Tokyo")  # a different window: top of its own
    set_user(store, "u23", opt_out_comparisons=True)
    report = wrap(store, "u22", tz="UTC")
    c = report.comparisons
    assert c.listeners and (c.listeners.listeners, c.listeners.rank) == (23, 2)  # u23 left out
    assert c.listeners.top_percent == 8.7  # 2 of 23, rounded up to a tenth
    assert c.top_artist and (c.top_artist.artist, c.top_artist.rank) == ("Star", 2)
    assert wrap(store, "u23", tz="UTC").comparisons.listeners is None  # opted out
    few = wrap(store, "u22", tz="UTC", rules=Rules(0, 0, min_comparison_users=24))
    assert few.comparisons.listeners is None and few.comparisons.top_artist is None


def test_one_pass_matches_one_by_one(store: Store, add: Add) -> None:
    add(*listeners(21), play("2023-12-31T23:30:00Z", user="u05", artist="Night"))
    for user, tz in [("u03", "Europe/Amsterdam"), ("u07", "Pacific/Kiritimati")]:
        set_user(store, user, timezone=tz)
    set_user(store, "u09", opt_out_comparisons=True)
    set_user(store, "u11", opt_out_wrapped=True)
    set_user(store, "u13", timezone="Nowhere/Land")
    with store.sessions() as session:
        everyone = build_all(session, window_for=lambda tz: Window.for_year(2024, tz), rules=FEW)
    assert isinstance(everyone.pop("u11"), WrappedOptedOut)
    assert isinstance(everyone.pop("u13"), InvalidWindow)  # the others still get theirs
    assert len(everyone) == 19
    for user, report in everyone.items():
        assert report == wrap(store, user, rules=FEW), user
    amsterdam, c = everyone["u03"], everyone["u21"]
    assert isinstance(amsterdam, Report) and amsterdam.window.timezone == "Europe/Amsterdam"
    assert isinstance(c, Report) and c.comparisons.listeners and c.comparisons.top_artist
    assert c.comparisons.listeners.listeners == 19  # u09 and u11 are left out
    assert c.comparisons.top_artist.rank == 1


def test_genres_and_a_personality(store: Store, add: Add) -> None:
    names = ["Rocker", "Popper", "Jazzer", *(f"Extra {n}" for n in range(9))]
    add(*(play(f"2024-0{1 + n % 9}-01T07:{n:02d}:00Z", artist=a) for n, a in enumerate(names)))
    tag(store, {"Rocker": [("rock", 1.0), ("indie", 0.5)], "Popper": [("pop", 1.0)],
                "Jazzer": [("jazz", 1.0), ("indie", 0.2)]})  # fmt: skip
    report = wrap(store, tz="UTC")
    assert [(g.name, g.ms_played) for g in report.top.genres] == [
        ("indie", 400_000), ("jazz", 200_000), ("pop", 200_000), ("rock", 200_000),
    ]  # fmt: skip
    p = report.personality
    assert p is not None
    assert [a.name for a in p.archetypes] == ["explorer", "early_bird", "focused"]
    assert p.summary == "You're a focused explorer and an early bird."
    assert p.archetypes[0].value == 1.0  # every artist is new
    assert p.archetypes[2].value == round(2 ** -(3 * 0.2 * np.log2(0.2) + 0.4 * np.log2(0.4)), 2)


def test_loyal_night_owl(store: Store, add: Add) -> None:
    add(
        play("2023-05-01T10:00:00Z", artist="Fave"),
        *(play(f"2024-05-{d:02d}T23:00:00Z", artist="Fave", title=f"f{d}") for d in range(1, 9)),
        play("2024-05-10T12:00:00Z", artist="Once", title="o"),
    )
    p = wrap(store, tz="UTC").personality
    assert p is not None
    assert [a.name for a in p.archetypes] == ["loyalist", "night_owl", "focused"]
    assert "8 of" not in p.summary and p.summary == "You're a focused loyalist and a night owl."
    assert p.archetypes[1].explanation == "89% of your listening happened between 22:00 and 04:00."


def test_months_and_phases(store: Store, add: Add) -> None:
    days = [f"2024-01-{d:02d}" for d in range(1, 32)] + [f"2024-02-{d:02d}" for d in range(1, 30)]
    days += [f"2024-03-{d:02d}" for d in range(1, 32)]
    plays = [play(f"{day}T10:00:00Z", artist="Always", title="a") for day in days]
    # Weeks of 12 and 19 February: "Burst" tops them with far more than its usual share.
    plays += [play(f"2024-02-{d:02d}T12:00:00Z", artist="Burst", title="b", ms=500_000)
              for d in range(12, 26)]  # fmt: skip
    add(*plays)
    report = wrap(store, tz="UTC")
    jan, feb = report.months[0], report.months[1]
    assert jan.top_artist and jan.top_artist.name == "Always" and jan.ms_played == 31 * 200_000
    assert feb.top_artist and feb.top_artist.name == "Burst"
    assert feb.top_track and feb.top_track.title == "b"
    assert report.months[2].top_artist and report.months[2].top_artist.name == "Always"
    assert report.months[3].top_artist is None and report.months[3].ms_played == 0
    assert [(p.kind, p.name, p.first_day, p.last_day, p.weeks) for p in report.phases] == [
        ("artist", "Burst", date(2024, 2, 12), date(2024, 2, 25), 2)
    ]


def test_all_time_and_any_range(store: Store, add: Add) -> None:
    add(play("2022-01-05T10:00:00Z", artist="Old"), play("2024-01-05T10:00:00Z", artist="New"))
    everything = wrap(store, window=Window.between(None, date(2025, 1, 1), "UTC"))
    assert everything.totals.plays == 2 and everything.discoveries is None
    assert everything.window.first_day is None and everything.window.start is None
    assert everything.clock.months[0].month == "2022-01" and len(everything.clock.months) == 36
    assert everything.personality and [a.axis for a in everything.personality.archetypes] == [
        "clock", "variety",
    ]  # fmt: skip
    january = wrap(store, window=Window.between(date(2024, 1, 1), date(2024, 2, 1), "UTC"))
    assert january.window.label == "2024-01-01 to 2024-01-31" and january.totals.plays == 1


def test_you_might_have_missed_is_a_hook(store: Store, add: Add) -> None:
    add(play("2024-01-05T10:00:00Z", title="heard"), play("2023-01-05T10:00:00Z", title="old"),
        play("2024-02-05T10:00:00Z", user="ben", title="unheard", artist="Artist B"))  # fmt: skip
    assert wrap(store, tz="UTC").you_might_have_missed == []
    with store.sessions() as session:
        ids = {i.title: i.id for i in session.scalars(select(Item))}
        ana = session.scalar(select(User.id).where(User.external_id == "ana"))

    class Fake:
        def missed(self, users: np.ndarray, k: int) -> list[np.ndarray]:
            assert users.tolist() == [ana] and k >= 5
            # heard in the window: dropped; unknown to the store: dropped
            return [np.array([ids["heard"], 10**9, ids["unheard"], ids["old"]])]

    with store.sessions() as session:
        report = build_report(
            session, user_id="ana", window_for=lambda _tz: Window.for_year(2024, "UTC"),
            rules=LENIENT, recommender=Fake(),
        )  # fmt: skip
    assert [(m.title, m.artist) for m in report.you_might_have_missed] == [
        ("unheard", "Artist B"), ("old", "Artist A"),
    ]  # fmt: skip
