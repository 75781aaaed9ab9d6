"""Reports built ahead of time: ``encore wrapped build`` stores them, the API serves them.

A stored report is served only while it is *fresh*: its fingerprint, taken when it was
built, equals the fingerprint now. The fingerprint covers what a report is computed from
that can change under it: every event of the listener that started before the window's
end (count, highest id, total ms — the window's plays, the year before it for the
year-over-year change, and the earlier history that decides what was a discovery), the
eligibility and comparison rules, whether the listener opted out of comparisons, and
:data:`REPORT_VERSION`. Other listeners' plays are not in it: percentiles are as of the
build. A build is resumable because it commits every :data:`BATCH` reports and, run again,
builds only the listeners whose stored report is missing or stale.
"""

from __future__ import annotations

import logging
from collections import Counter
from collections.abc import Callable, Collection, Iterable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Literal

from sqlalchemy.orm import Session

from models.wrapped import WrappedUser, find_wrapped_users
from models.wrapped_populations import put_population
from models.wrapped_reports import (
    History,
    StoredReport,
    event_fingerprints,
    get_stored,
    history_before,
    put_stored,
    stored_fingerprints,
)
from wrapped.cards.missed import MissedRecommender
from wrapped.errors import UnknownUser, WrappedError, WrappedOptedOut
from wrapped.population import Cached
from wrapped.report import Pass, Report, build_report, prepare
from wrapped.rules import Rules
from wrapped.window import Window, to_datetime
from wrapped.workers import Progress, forkable, run_forked

log = logging.getLogger(__name__)

REPORT_VERSION = 1
"""Raise it when a report's content changes, so every stored one becomes stale."""
BATCH = 500
PROGRESS_EVERY = 100


def fingerprint(history: History, rules: Rules, user: WrappedUser) -> str:
    """What a stored report must match to be served; see the module docstring."""
    r = rules
    return (
        f"v{REPORT_VERSION}|{r.min_streams}.{r.min_artists}.{r.min_comparison_users}"
        f"|c{int(user.opt_out_comparisons)}|{history.key()}"
    )


def fresh_report(
    session: Session, *, user: WrappedUser, window: Window, rules: Rules
) -> StoredReport | None:
    """The stored report of ``user`` for ``window``, if there is one and it is fresh."""
    stored = get_stored(session, user_id=user.id, period=window.label, timezone=window.tz)
    if stored is None:
        return None
    now = fingerprint(history_before(session, user_id=user.id, end=window.end), rules, user)
    return stored if stored.fingerprint == now else None


@dataclass(frozen=True)
class Loaded:
    """A report as the API answers with it: the stored JSON when fresh (``computed`` is
    ``stored``, with when it was built), else computed now (``live``)."""

    computed: Literal["stored", "live"]
    json: bytes
    built_at: datetime | None
    _report: Report | None = None

    def report(self) -> Report:
        return self._report or Report.model_validate_json(self.json)


def load_report(
    session: Session,
    *,
    user_id: str,
    window_for: Callable[[str], Window],
    rules: Rules,
    recommender: MissedRecommender | None = None,
    population: Cached | None = None,
) -> Loaded:
    """The listener's report for ``window_for(timezone)``: stored if fresh, else built now.
    A listener who opted out is refused even when a report of theirs is stored."""
    found = find_wrapped_users(session, user_id)
    if not found:
        raise UnknownUser(user_id)
    user = found[0]
    if user.opt_out_wrapped:
        raise WrappedOptedOut(user_id)
    window = window_for(user.timezone)
    stored = fresh_report(session, user=user, window=window, rules=rules)
    if stored is not None:
        return Loaded("stored", stored.document, stored.built_at)
    report = build_report(
        session, user_id=user_id, window_for=lambda _own: window, rules=rules,
        recommender=recommender,
        population=None if population is None else population.for_session(session),
    )  # fmt: skip
    return Loaded("live", report.model_dump_json().encode(), None, report)


@dataclass
class BuildSummary:
    """What a build did: reports built and stored, reports that were already fresh, and
    listeners who get none, by reason (``NotEligible``, ``NothingToWrap``, ...)."""

    built: int = 0
    fresh: int = 0
    refused: dict[str, int] = field(default_factory=dict)

    def add(self, built: int, refused: dict[str, int]) -> None:
        self.built += built
        for reason, n in refused.items():
            self.refused[reason] = self.refused.get(reason, 0) + n


def build_stored(
    session: Session,
    *,
    window_for: Callable[[str], Window],
    rules: Rules,
    recommender: MissedRecommender | None = None,
    only: Collection[str] | None = None,
    batch: int = BATCH,
    workers: int = 1,
    on_plan: Callable[[int, int], None] | None = None,
    on_done: Callable[[int], None] | None = None,
) -> BuildSummary:
    """Build and store the reports of every listener (or of ``only``, external ids) whose
    stored one is missing or stale, in one pass; commits every ``batch`` reports.

    Everything the reports are made of is read once, here; with ``workers`` > 1 the
    listeners are then built and stored by that many processes forked from this one (see
    :mod:`wrapped.workers`), each committing its own reports. ``on_plan(to_build, fresh)``
    is called once the work is known, ``on_done(n)`` after each ``n`` listeners are handled
    (for a progress bar).
    """
    summary = BuildSummary()
    wanted = None if only is None else set(only)
    users = [u for u in find_wrapped_users(session) if wanted is None or u.external_id in wanted]
    windows: dict[int, Window] = {}
    for user in users:
        try:
            if not user.opt_out_wrapped:
                windows[user.id] = window_for(user.timezone)
        except WrappedError:
            continue  # the pass below reports it
    histories = event_fingerprints(session, ends={uid: w.end for uid, w in windows.items()})
    prints = {u.id: fingerprint(histories[u.id], rules, u) for u in users if u.id in windows}
    keys = [(uid, w.label, w.tz) for uid, w in windows.items()]
    stored = stored_fingerprints(session, keys=keys)
    fresh = {uid for uid, label, tz in keys if stored.get((uid, label, tz)) == prints[uid]}
    todo = [u.external_id for u in users if u.id not in fresh]
    summary.fresh = len(fresh)
    if on_plan:
        on_plan(len(todo), len(fresh))
    if not todo:
        return summary
    work = prepare(session, window_for=window_for, rules=rules, recommender=recommender, only=todo)
    built_at = datetime.now(UTC)
    store_base(session, work, built_at)
    summary.add(0, Counter(type(one.result).__name__ for one in work.refused))
    if on_done and work.refused:
        on_done(len(work.refused))

    def done(progress: Progress) -> None:
        summary.add(progress[1], progress[2])
        if on_done and progress[0]:
            on_done(progress[0])

    share = Share(work, prints, built_at, batch)
    everyone = range(len(work.listeners))
    if forkable(session, workers, len(everyone)):
        run_forked(session, share.store, everyone, workers=workers, on_progress=done)
    else:
        share.store(session, everyone, done)
    log.info("stored %d reports; %d were fresh", summary.built, summary.fresh)
    return summary


def store_base(session: Session, work: Pass, built_at: datetime) -> None:
    """Store everyone's listening over the part of the year every listener's window covers
    (:attr:`wrapped.population.InMemory.common`), from which servers derive the
    populations of reports computed on demand, the same year in any zone."""
    base = work.pool.common
    if base is None:
        return
    put_population(
        session, start=to_datetime(base.start_us), end=to_datetime(base.end_us),
        last_event=base.last_event, arrays=base.arrays(), built_at=built_at,
    )  # fmt: skip
    session.commit()


@dataclass(frozen=True)
class Share:
    """Builds and stores the reports of some of a :class:`~wrapped.report.Pass`'s
    listeners, committing every ``batch`` reports."""

    work: Pass
    prints: dict[int, str]
    built_at: datetime
    batch: int

    def store(
        self, session: Session, which: Iterable[int], progress: Callable[[Progress], None]
    ) -> None:
        """Build and store the reports of ``listeners[n]`` for each ``n`` in ``which``,
        telling ``progress`` what was done after each commit and every
        :data:`PROGRESS_EVERY` listeners."""
        pending: list[StoredReport] = []
        handled, refused = 0, Counter[str]()
        written = 0

        def report() -> None:
            nonlocal handled, written
            progress((handled, written, dict(refused)))
            handled, written = 0, 0
            refused.clear()

        for n in which:
            one = self.work.build(n)
            handled += 1
            if isinstance(one.result, Report) and one.window is not None:
                pending.append(
                    StoredReport(
                        user_id=one.user.id, period=one.window.label, timezone=one.window.tz,
                        fingerprint=self.prints[one.user.id],
                        document=one.result.model_dump_json().encode(), built_at=self.built_at,
                    )
                )  # fmt: skip
            elif isinstance(one.result, WrappedError):
                refused[type(one.result).__name__] += 1
            if len(pending) >= self.batch:
                written += put_stored(session, pending)
                session.commit()
                pending.clear()
            if handled >= PROGRESS_EVERY or not pending:
                report()
        written += put_stored(session, pending)
        session.commit()
        if handled or written:
            report()
