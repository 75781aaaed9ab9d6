"""Years of listening for the card, story and share-link tests: a hostile one (names that
are markup, very long, or in other scripts), one in Chinese, Japanese and Korean, and the
real Spotify export, each on a private SQLite database when a test needs one of its own."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from data.importers import spotify
from data.importers.run import import_all
from data.importers.sources import expand
from models.engine import make_engine
from models.ingest import ingest_events
from models.migrate import upgrade
from models.records import EventRecord
from service.settings import Settings
from service.store import Store
from tests.data.test_importers import DATASETS
from tests.wrapped.conftest import play, wrap
from wrapped.report import Report

SCRIPT = "<script>alert(1)</script>"
IMG = "<img src=x onerror=\"document.title='pwned'\">"
LONG = "The " + "Extraordinarily " * 8 + "Long Band Name"
ARTISTS = (SCRIPT, 'Sigur Rós & "Friends"', "Кино", "فيروز", "宇多田ヒカル", LONG)
TITLES = (IMG, "Hoppípolla", "Звезда по имени Солнце", "Kifak Inta", "First Love", "Ōkina Uta")

LONG_CJK = "東京事変と椎名林檎と宇多田ヒカルと米津玄師の真夜中のオーケストラ"
CJK_ARTISTS = ("唐伯虎Annie", "王韵韵", LONG_CJK, "Zero阿零", "아이유")
CJK_TITLES = ("落", "うっせぇわ 😤", "情人 - Lover", "저기요", "Gangnam Style (강남스타일)")
"""Names from the real export (``唐伯虎Annie``, ``王韵韵``, ``Zero阿零``, ``落``, ``情人 - Lover``,
``저기요``, ``Gangnam Style (강남스타일)``), where they never rank in a year's top 5, with kana,
Hangul and an emoji beside them and a name too long for any card."""

REAL = DATASETS / "spotify-extended-efrrowini"
REAL_USER, REAL_YEAR, REAL_TZ = "efrrowini", 2024, "Asia/Kolkata"


def ranked_year(
    user: str, year: int, artists: tuple[str, ...], titles: tuple[str, ...]
) -> list[EventRecord]:
    """Streams in ``year``: track ``k`` by artist ``k`` is played ``12 - 2k`` times, so the
    names rank in the order given."""
    return [
        play(f"{year}-03-{1 + n:02d}T{8 + k:02d}:00:00Z", user=user, artist=artists[k],
             title=titles[k], album=None)
        for k in range(len(artists))
        for n in range(12 - 2 * k)
    ]  # fmt: skip


def hostile_year(user: str = "mallory", year: int = 2024) -> list[EventRecord]:
    """42 streams in ``year``, the hostile names first."""
    return ranked_year(user, year, ARTISTS, TITLES)


def cjk_year(user: str = "xiaoyu", year: int = 2024) -> list[EventRecord]:
    """40 streams in ``year`` of :data:`CJK_ARTISTS` and :data:`CJK_TITLES`, in that order."""
    return ranked_year(user, year, CJK_ARTISTS, CJK_TITLES)


def ingest(store: Store, records: list[EventRecord]) -> None:
    result = ingest_events(store.engine, store.resolver, records)
    assert not result.rejected and result.accepted == len(records)


def import_real_year(store: Store) -> None:
    import_all(store.engine, store.resolver, expand([REAL], spotify.accepts), spotify.parse,
               user=REAL_USER)  # fmt: skip


@contextmanager
def private_store(folder: Path) -> Iterator[Store]:
    """A migrated SQLite store of its own in ``folder``."""
    url = f"sqlite:///{folder / 'encore.db'}"
    engine = make_engine(url)
    upgrade(engine)
    engine.dispose()
    store = Store.open(Settings(database_url=url, _env_file=None))
    try:
        yield store
    finally:
        store.close()


def hostile_report(folder: Path) -> Report:
    """The hostile year's report, built on a store of its own in ``folder``."""
    with private_store(folder) as store:
        ingest(store, hostile_year())
        return wrap(store, "mallory")


def cjk_report(folder: Path) -> Report:
    """The CJK year's report, built on a store of its own in ``folder``."""
    with private_store(folder) as store:
        ingest(store, cjk_year())
        return wrap(store, "xiaoyu")
