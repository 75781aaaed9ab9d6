"""``encore wrapped show``: a listener's Wrapped as a readable terminal summary;
``encore wrapped build``: every listener's Wrapped of a year, stored for the API."""

from __future__ import annotations

import os
from datetime import date, datetime
from typing import Annotated

import typer
from rich.console import Console, Group
from rich.panel import Panel
from rich.progress import (
    BarColumn,
    MofNCompleteColumn,
    Progress,
    TextColumn,
    TimeElapsedColumn,
    TimeRemainingColumn,
)
from rich.table import Table
from rich.text import Text

from service.cli.app import app, fail, load_settings, open_store
from service.model_holder import ModelHolder
from service.wrapped_missed import missed_for
from wrapped.cards.clock import Clock
from wrapped.entries import Amount
from wrapped.errors import WrappedError
from wrapped.report import Report, build_report
from wrapped.stored import build_stored
from wrapped.window import Window

wrapped_app = typer.Typer(help="Wrapped: a listener's year in review.", no_args_is_help=True)
app.add_typer(wrapped_app, name="wrapped")

out = Console()
BARS = " ▁▂▃▄▅▆▇█"


def _pct(value: float | None) -> str:
    return "n/a" if value is None else f"{100 * value:.0f}%"


def _table(title: str, rows: list[tuple[str, str, Amount]]) -> Table:
    table = Table(title=title, title_justify="left", title_style="bold", box=None, pad_edge=False)
    table.add_column("#", justify="right", style="dim")
    table.add_column("", ratio=3)
    table.add_column("", style="dim", ratio=2)
    table.add_column("min", justify="right")
    table.add_column("streams", justify="right")
    for n, (name, by, amount) in enumerate(rows, start=1):
        table.add_row(str(n), name, by, f"{amount.minutes:,}", f"{amount.streams:,}")
    return table


def _spark(values: list[int]) -> str:
    top = max(values) or 1
    return "".join(BARS[round(v / top * (len(BARS) - 1))] for v in values)


def _clock(clock: Clock) -> Text:
    hours = _spark([h.ms_played for h in clock.hours])
    days = _spark([d.ms_played for d in clock.weekdays])
    text = Text()
    text.append(f"by hour   {hours}\n          0     6     12    18   23\n", style="cyan")
    text.append(f"by day    {days}\n          MTWTFSS\n", style="cyan")
    if clock.peak_day:
        text.append(f"peak day  {clock.peak_day.date}: {clock.peak_day.minutes:,} minutes\n")
    text.append(f"active    {clock.active_days} days")
    if clock.longest_streak:
        s = clock.longest_streak
        text.append(f", longest streak {s.days} days ({s.first_day} to {s.last_day})")
    return text


def render(report: Report) -> Group:
    t, top = report.totals, report.top
    head = Text()
    head.append(f"{t.minutes:,}", style="bold green")
    head.append(f" minutes · {t.streams:,} streams · {t.music.tracks:,} tracks · ")
    head.append(f"{t.music.artists:,} artists · {t.music.albums:,} albums\n")
    head.append(
        f"podcasts {t.podcasts.minutes:,} min ({t.podcasts.episodes} episodes) · "
        f"videos {t.videos.minutes:,} min ({t.videos.videos})"
    )
    parts: list[object] = [head]
    if report.personality:
        lines = [report.personality.summary] + [
            f"  {a.label}: {a.explanation}" for a in report.personality.archetypes
        ]
        parts.append(Panel("\n".join(lines), title="personality", title_align="left"))
    if top.top_artist:
        a = top.top_artist
        parts.append(
            Text(
                f"Top artist {a.artist.name}: {a.artist.minutes:,} minutes, first played "
                f"{a.first_played}, most of all “{a.top_track.title}”",
                style="bold",
            )
        )
    parts.append(_table("Top artists", [(e.name, "", e) for e in top.artists]))
    parts.append(_table("Top tracks", [(e.title, e.artist, e) for e in top.tracks]))
    parts.append(_table("Top albums", [(e.title, e.artist, e) for e in top.albums]))
    if top.genres:
        parts.append(_table("Top genres", [(e.name, "", e) for e in top.genres]))
    parts.append(Panel(_clock(report.clock), title="clock", title_align="left"))
    d = report.discoveries
    if d:
        names = ", ".join(x.name for x in d.top[:5])
        parts.append(
            Text(f"Discoveries: {d.new_artists} new artists ({_pct(d.new_artist_share)} of "
                 f"music time): {names}")
        )  # fmt: skip
    b = report.behaviour
    parts.append(
        Text(f"Skips {_pct(b.skip_rate)} · shuffle {_pct(b.shuffle_share)} · "
             f"from recommendations {_pct(b.recommended_share)}")
    )  # fmt: skip
    c = report.comparisons
    if c.listeners:
        parts.append(Text(f"Top {c.listeners.top_percent:g}% of {c.listeners.listeners} listeners"))
    if c.top_artist:
        parts.append(
            Text(f"Top {c.top_artist.top_percent:g}% of {c.top_artist.artist}'s "
                 f"{c.top_artist.listeners} listeners")
        )  # fmt: skip
    if c.year_over_year:
        y = c.year_over_year
        change = "" if y.minutes_change is None else f" ({y.minutes_change:+g}%)"
        parts.append(Text(f"{y.previous}: {y.minutes:,} minutes{change}"))
    months = Table("month", "min", "top artist", "top track", box=None, pad_edge=False)
    for m in report.months:
        months.add_row(
            m.month, f"{m.minutes:,}", m.top_artist.name if m.top_artist else "",
            m.top_track.title if m.top_track else "",
        )  # fmt: skip
    parts.append(months)
    for p in report.phases:
        parts.append(Text(f"{p.kind} phase: {p.name}, {p.first_day} to {p.last_day}"))
    return Group(*parts)  # type: ignore[arg-type]


@wrapped_app.command("show")
def show(
    user: Annotated[str, typer.Argument(help="the listener's id")],
    year: Annotated[int | None, typer.Option(help="calendar year (default: this one)")] = None,
    from_: Annotated[
        datetime | None, typer.Option("--from", formats=["%Y-%m-%d"], help="first day")
    ] = None,
    to: Annotated[
        datetime | None, typer.Option(formats=["%Y-%m-%d"], help="day after the last")
    ] = None,
    tz: Annotated[str | None, typer.Option(help="IANA timezone (default: the listener's)")] = None,
    as_json: Annotated[bool, typer.Option("--json", help="print the report as JSON")] = False,
) -> None:
    """Print a listener's Wrapped: a calendar year, or any range with --from/--to."""
    if year is not None and (from_ or to):
        raise fail("give --year or --from/--to, not both")
    first = from_.date() if from_ else None
    end = to.date() if to else None

    def window(own: str) -> Window:
        zone = tz or own
        if first or end:
            return Window.between(first, end, zone)
        return Window.for_year(year or date.today().year, zone)

    settings = load_settings()
    with open_store(settings) as store, store.sessions() as session:
        try:
            report = build_report(
                session, user_id=user, window_for=window, rules=settings.wrapped.rules()
            )
        except WrappedError as exc:
            raise fail(str(exc)) from None
    if as_json:
        typer.echo(report.model_dump_json(indent=2))
        return
    title = f"{report.user_id} · Wrapped {report.window.label} ({report.window.timezone})"
    out.print(Panel(render(report), title=title, title_align="left"))


@wrapped_app.command("build")
def build(
    year: Annotated[int, typer.Option(help="calendar year to build")],
    users: Annotated[
        list[str] | None, typer.Option("--users", help="only these listeners (repeatable)")
    ] = None,
    tz: Annotated[
        str | None, typer.Option(help="one IANA timezone for everyone, instead of their own")
    ] = None,
    tz_from_user: Annotated[
        bool, typer.Option("--tz-from-user", help="each listener's own timezone (the default)")
    ] = False,
    workers: Annotated[
        int | None,
        typer.Option(min=1, help="processes building reports (default: one per CPU core)"),
    ] = None,
) -> None:
    """Build and store every listener's Wrapped of YEAR, for the API to serve. Resumable:
    reports are committed as they are built, and a run skips the ones still fresh.
    Everyone's plays are read once; the reports are then built by --workers processes."""
    if tz and tz_from_user:
        raise fail("give --tz or --tz-from-user, not both")
    try:
        Window.for_year(year, tz or "UTC")
    except WrappedError as exc:
        raise fail(str(exc)) from None
    settings = load_settings()
    with open_store(settings) as store, store.sessions() as session:
        holder = ModelHolder(store.sessions, reload_seconds=0)
        holder.refresh()
        bar = Progress(
            TextColumn("[bold]Wrapped {task.fields[year]}"), BarColumn(),
            MofNCompleteColumn(), TimeElapsedColumn(), TimeRemainingColumn(),
            console=Console(stderr=True), transient=False,
        )  # fmt: skip
        task = bar.add_task("build", total=None, year=year)

        def plan(todo: int, fresh: int) -> None:
            bar.update(task, total=todo)
            if fresh:
                bar.console.print(f"{fresh:,} stored reports are fresh; skipping them")

        with bar:
            summary = build_stored(
                session, window_for=lambda own: Window.for_year(year, tz or own),
                rules=settings.wrapped.rules(), recommender=missed_for(holder.served),
                only=users or None, workers=workers or os.cpu_count() or 1, on_plan=plan,
                on_done=lambda n: bar.advance(task, n),
            )  # fmt: skip
    refused = ", ".join(f"{n:,} {reason}" for reason, n in sorted(summary.refused.items()))
    out.print(
        f"built {summary.built:,} reports, {summary.fresh:,} already fresh"
        + (f"; no report for {refused}" if refused else "")
    )
