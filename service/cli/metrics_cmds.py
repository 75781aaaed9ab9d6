"""``encore metrics report | refresh``: the product metrics in the terminal or as CSV."""

from __future__ import annotations

import csv
import dataclasses
from datetime import datetime
from pathlib import Path
from typing import Annotated, Any

import typer
from rich.console import Console
from rich.table import Table

from models.metrics.localtime import Granularity
from models.metrics.query import Dimension
from models.metrics.rollup import refresh as refresh_rollup
from service.cli.app import app, fail, load_settings, open_store
from service.errors import ApiError
from service.product_metrics import Metrics, MetricsRequest

metrics_app = typer.Typer(help="Product metrics: the North Star and what explains it.",
                          no_args_is_help=True)  # fmt: skip
app.add_typer(metrics_app, name="metrics")
out = Console()
RETENTION_WEEKS = 12

Day = Annotated[datetime | None, typer.Option(formats=["%Y-%m-%d"])]


def _fmt(value: Any) -> str:
    if value is None:
        return "-"
    if isinstance(value, float):
        return f"{value:,.3f}" if abs(value) < 10 else f"{value:,.1f}"
    if isinstance(value, int):
        return f"{value:,}"
    return str(value)


def _table(title: str, rows: list[Any], skip: tuple[str, ...] = ("end",)) -> Table:
    table = Table(title=title, title_justify="left", title_style="bold")
    names = [f.name for f in dataclasses.fields(rows[0])] if rows else []
    names = [n for n in names if n not in skip and not (n == "group" and rows[0].group is None)]
    for n in names:
        table.add_column(
            n.replace("_", " "), justify="left" if n in ("start", "group") else "right"
        )
    for r in rows:
        table.add_row(*(_fmt(getattr(r, n)) for n in names))
    return table


def _wide(metrics: Metrics) -> list[dict[str, Any]]:
    """One dict per (period, group) with every metric's columns side by side."""
    merged: dict[tuple[str, str | None], dict[str, Any]] = {}
    for rows in (metrics.north_star(), metrics.active_users(), metrics.engagement(),
                 metrics.discovery()):  # fmt: skip
        for r in rows:
            key = (r.start.isoformat(), r.group)
            merged.setdefault(key, {}).update(dataclasses.asdict(r))
    return list(merged.values())


@metrics_app.command("report")
def report(
    from_: Annotated[
        datetime, typer.Option("--from", formats=["%Y-%m-%d"], help="first local day")
    ],
    to: Annotated[datetime, typer.Option(formats=["%Y-%m-%d"], help="local day after the last")],
    granularity: Annotated[Granularity, typer.Option(help="period length")] = Granularity.week,
    tz: Annotated[str | None, typer.Option(help="IANA zone (ENCORE_METRICS__TIMEZONE)")] = None,
    by: Annotated[Dimension | None, typer.Option(help="break down by")] = None,
    csv_path: Annotated[
        Path | None, typer.Option("--csv", help="also write every column here")
    ] = None,
) -> None:
    """Print the North Star, active users, engagement, discovery and retention for a range."""
    settings = load_settings()
    try:
        request = MetricsRequest.make(
            settings, first=from_.date(), end=to.date(), tz=tz, granularity=granularity, by=by
        )
    except ApiError as exc:
        raise fail(f"--{exc.loc[-1]}: {exc.msg}") from None
    with open_store(settings) as store:
        m = Metrics(store.engine, request)
        head = f"{request.first} to {request.end} (exclusive), {request.zone}, by {granularity}"
        out.print(f"[bold]Encore metrics[/bold] · {head}")
        out.print(_table("North Star: listening time", m.north_star()))
        out.print(_table("Active users", m.active_users()))
        out.print(_table("Engagement", m.engagement()))
        out.print(_table("Discovery", m.discovery()))
        if by is None:
            cohorts = m.retention()
            weeks = min(max((len(c.active) for c in cohorts), default=0), RETENTION_WEEKS)
            ret = Table("cohort", "users", *(f"w{k}" for k in range(weeks)),
                        title=f"Weekly retention (first {RETENTION_WEEKS} weeks)",
                        title_justify="left", title_style="bold")  # fmt: skip
            for c in cohorts:
                shares = [f"{100 * r:.0f}%" for r in c.retention[:weeks]]
                ret.add_row(str(c.week), f"{c.users:,}", *shares)
            out.print(ret)
        if csv_path is not None:
            rows = _wide(m)
            try:
                with csv_path.open("w", newline="", encoding="utf-8") as fh:
                    writer = csv.DictWriter(fh, fieldnames=list(rows[0]) if rows else ["start"])
                    writer.writeheader()
                    writer.writerows(rows)
            except OSError as exc:
                raise fail(f"cannot write {csv_path}: {exc.strerror}") from None
            out.print(f"wrote {len(rows)} rows to {csv_path}")


@metrics_app.command("refresh")
def refresh(
    tz: Annotated[str | None, typer.Option(help="IANA zone (ENCORE_METRICS__TIMEZONE)")] = None,
    full: Annotated[bool, typer.Option(help="rebuild from every event")] = False,
) -> None:
    """Bring a zone's rollup up to date (requests do this too; run it after big imports)."""
    settings = load_settings()
    try:
        zone = MetricsRequest.make(settings, first=None, end=None, tz=tz).zone
    except ApiError as exc:
        raise fail(exc.msg) from None
    with open_store(settings) as store, store.engine.connect() as conn:
        users = refresh_rollup(conn, zone, full=full)
    out.print(f"rollup {zone}: {users:,} listeners summarised")
