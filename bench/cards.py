"""Share cards: what setting text in runs across a font chain costs a card.

Builds two reports on a temporary SQLite store, one of Latin, Cyrillic and Arabic names and
one of Chinese, Japanese and Korean names with an emoji, and renders each card format
``--repeat`` times. The reference, in the same run, is the card's floor: its gradient
background encoded as PNG at the same compression, which every card pays whatever its text.
Printed per format: the median CPU milliseconds of the floor and of each card (CPU time of
this process, as other work shares the machine), and their ratios. The first card of a
process also loads the fonts and reads their character maps: printed apart.

``--code DIR`` renders with the ``wrapped`` package of another checkout (e.g. ``main``, for
a before/after in one locked run; that package must import with this environment).

    flock /tmp/encore-bench.lock .venv/bin/python bench/cards.py
    flock /tmp/encore-bench.lock .venv/bin/python bench/cards.py --code /work/main
"""

from __future__ import annotations

import argparse
import functools
import io
import os
import statistics
import sys
import tempfile
import time
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from pathlib import Path

os.environ.setdefault("OPENBLAS_NUM_THREADS", "1")

YEAR = 2024
LATIN = (("Sigur Rós", "Hoppípolla"), ("Кино", "Звезда по имени Солнце"), ("فيروز", "Kifak Inta"),
         ("The " + "Extraordinarily " * 8 + "Long Band Name", "Ōkina Uta"),
         ("Agnes Obel", "Riverside"))  # fmt: skip
CJK = (("唐伯虎Annie", "落"), ("王韵韵", "うっせぇわ 😤"), ("Zero阿零", "情人 - Lover"),
       ("東京事変と椎名林檎と宇多田ヒカルと米津玄師の真夜中のオーケストラ", "저기요"),
       ("아이유", "Gangnam Style (강남스타일)"))  # fmt: skip


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--repeat", type=int, default=15)
    parser.add_argument("--code", type=Path, default=Path(__file__).resolve().parent.parent)
    args = parser.parse_args()
    sys.path.insert(0, str(args.code.resolve()))

    import wrapped
    from models.engine import make_engine
    from models.ingest import ingest_events
    from models.migrate import upgrade
    from models.records import EventRecord, ItemRef
    from service.settings import Settings
    from service.store import Store
    from wrapped.render.card import SIZES, CardFormat, background, render_card
    from wrapped.report import Report, build_report
    from wrapped.window import Window

    print(f"wrapped from {Path(wrapped.__file__).parent}, repeat {args.repeat}")

    def year(user: str, names: tuple[tuple[str, str], ...]) -> list[EventRecord]:
        start = datetime(YEAR, 3, 1, 8, tzinfo=UTC)
        return [
            EventRecord(user=user, ts=start + timedelta(days=n, hours=k), ms_played=200_000,
                        item=ItemRef(artist=artist, title=title))
            for k, (artist, title) in enumerate(names)
            for n in range(12 - 2 * k)
        ]  # fmt: skip

    with tempfile.TemporaryDirectory() as folder:
        url = f"sqlite:///{folder}/encore.db"
        engine = make_engine(url)
        upgrade(engine)
        engine.dispose()
        store = Store.open(Settings(database_url=url, _env_file=None))
        reports: dict[str, Report] = {}
        try:
            for user, names in (("latin", LATIN), ("cjk", CJK)):
                ingest_events(store.engine, store.resolver, year(user, names))
                with store.sessions() as session:
                    reports[user] = build_report(  # 40 streams of 5 artists: eligible
                        session, user_id=user, window_for=lambda _own: Window.for_year(YEAR, "UTC")
                    )
        finally:
            store.close()

    def median_ms(work: Callable[[], object]) -> float:
        times = []
        for _ in range(args.repeat):
            began = time.process_time()
            work()
            times.append((time.process_time() - began) * 1000)
        return statistics.median(times)

    def floor(fmt: CardFormat) -> None:
        background(SIZES[fmt]).save(io.BytesIO(), "PNG", compress_level=6)

    began = time.process_time()
    render_card(reports["cjk"], CardFormat.story)
    first = (time.process_time() - began) * 1000
    print(f"first card of the process (fonts loaded): {first:.0f} ms CPU")
    print("format  floor ms  latin ms  cjk ms  latin/floor  cjk/floor")
    for fmt in CardFormat:
        base = median_ms(functools.partial(floor, fmt))
        latin = median_ms(functools.partial(render_card, reports["latin"], fmt))
        cjk = median_ms(functools.partial(render_card, reports["cjk"], fmt))
        print(f"{fmt.value:6}  {base:8.1f}  {latin:8.1f}  {cjk:6.1f}  {latin / base:11.2f}"
              f"  {cjk / base:9.2f}")  # fmt: skip
    print(f"load average {os.getloadavg()[0]:.2f}")


if __name__ == "__main__":
    main()
