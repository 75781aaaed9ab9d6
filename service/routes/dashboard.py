"""``GET /dashboard``: the product metrics as one server-rendered page of SVG charts.

Nothing runs in the browser and nothing loads from elsewhere: the page sends a
Content-Security-Policy that allows only its own stylesheet, and every name in it is
escaped by Jinja2's autoescaping.
"""

from __future__ import annotations

import hashlib
from datetime import date, timedelta
from functools import lru_cache
from pathlib import Path
from typing import Annotated, Any

from fastapi import APIRouter, Query, Request, Response
from fastapi.responses import HTMLResponse
from jinja2 import Environment, FileSystemLoader, select_autoescape

from models.experiments import get_all_experiments
from models.metrics.localtime import Granularity
from service.deps import SessionDep, SettingsDep, StoreDep
from service.errors import NotFound
from service.experiments import experiment_report
from service.pages.charts import Series, heatmap, interval_bars, line_chart
from service.product_metrics import Metrics, MetricsRequest
from service.schemas.fields import IsoDate

router = APIRouter(tags=["dashboard"])
PAGES = Path(__file__).resolve().parent.parent / "pages"
CSP = ("default-src 'none'; style-src 'self'; img-src 'self'; form-action 'self'; "
       "base-uri 'none'; frame-ancestors 'none'")  # fmt: skip
HEADERS = {"Content-Security-Policy": CSP, "X-Content-Type-Options": "nosniff",
           "Referrer-Policy": "no-referrer"}  # fmt: skip
EXPERIMENTS_SHOWN = 4
env = Environment(
    loader=FileSystemLoader(PAGES / "templates"), autoescape=select_autoescape(["html"])
)


STATIC = {"dashboard.css": "text/css", "icon.svg": "image/svg+xml"}


@lru_cache
def _static(name: str) -> tuple[bytes, str]:
    body = (PAGES / "static" / name).read_bytes()
    return body, hashlib.sha256(body).hexdigest()[:12]


def _label(d: date, granularity: Granularity) -> str:
    return d.strftime("%b %Y") if granularity is Granularity.month else d.strftime("%d %b")


def _pct(v: float | None) -> str:
    return "-" if v is None else f"{100 * v:.1f}%"


@router.get("/dashboard", response_class=HTMLResponse)
def read_dashboard(
    request: Request,
    store: StoreDep,
    session: SessionDep,
    settings: SettingsDep,
    from_: Annotated[IsoDate | None, Query(alias="from")] = None,
    to: Annotated[IsoDate | None, Query()] = None,
    tz: Annotated[str | None, Query(max_length=64)] = None,
    granularity: Granularity = Granularity.week,
) -> HTMLResponse:
    """Listening time, DAU/WAU/MAU, skip rate, recommendation share, the retention heat
    map and every running or recent experiment's arms (last 180 days by week unless
    asked otherwise)."""
    end = to or date.today() + timedelta(days=1)
    r = MetricsRequest.make(settings, first=from_ or end - timedelta(days=180), end=end, tz=tz,
                            granularity=granularity)  # fmt: skip
    m = Metrics(store.engine, r)
    stars, active, eng, disc, cohorts = (
        m.north_star(),
        m.active_users(),
        m.engagement(),
        m.discovery(),
        m.retention(),
    )
    labels = [_label(s.start, granularity) for s in stars]
    minutes = [s.listening_minutes for s in stars]
    dau, wau, mau = (
        [a.dau for a in active],
        [float(a.wau) for a in active],
        [float(a.mau) for a in active],
    )
    rec, new = [d.rec_share for d in disc], [d.new_artist_share for d in disc]
    charts: dict[str, Any] = {
        "listening": line_chart(labels, [Series("minutes", minutes)], title="listening minutes"),
        "active": line_chart(
            labels, [Series("DAU", dau), Series("WAU", wau), Series("MAU", mau)],
            title="active listeners",
        ),
        "skips": line_chart(
            labels, [Series("skip rate", [e.skip_rate for e in eng])], title="skip rate",
            percent=True,
        ),
        "discovery": line_chart(
            labels, [Series("from recommendations", rec), Series("new artists", new)],
            title="shares of listening", percent=True,
        ),
        "retention": heatmap(
            [str(c.week) for c in cohorts], [c.users for c in cohorts],
            [c.retention for c in cohorts], title="weekly retention",
        ) if cohorts else None,
    }  # fmt: skip
    experiments = []
    for e in list(reversed(get_all_experiments(session)))[:EXPERIMENTS_SHOWN]:
        rep = experiment_report(session, e)
        per_user = [(a.arm, a.listening_minutes_per_user) for a in rep.arms]
        bars = [(arm, est.value, est.low, est.high) for arm, est in per_user]
        chart = interval_bars(bars, title=f"{e.name} arms")
        experiments.append(
            {"name": e.name, "status": e.status.value, "verdict": rep.verdict.summary,
             "chart": chart}
        )  # fmt: skip
    total = sum(s.listening_minutes for s in stars)
    users = max((a.mau for a in active), default=0)
    kpis = [
        ("listening minutes", f"{total:,.0f}"),
        ("peak MAU", f"{users:,}"),
        ("skip rate", _pct(_mean([e.skip_rate for e in eng]))),
        ("from recommendations", _pct(_mean([d.rec_share for d in disc]))),
    ]
    root = request.scope.get("root_path", "")
    html = env.get_template("dashboard.html").render(
        first=r.first, end=r.end, zone=r.zone, granularity=granularity.value, charts=charts,
        experiments=experiments, kpis=kpis, confidence=95,
        stylesheet=f"{root}/dashboard/dashboard.css?v={_static('dashboard.css')[1]}",
        icon=f"{root}/dashboard/icon.svg?v={_static('icon.svg')[1]}",
    )  # fmt: skip
    return HTMLResponse(html, headers=HEADERS)


def _mean(values: list[float | None]) -> float | None:
    present = [v for v in values if v is not None]
    return sum(present) / len(present) if present else None


@router.get("/dashboard/{name}", include_in_schema=False)
def read_static(name: str) -> Response:
    if name not in STATIC:
        raise NotFound(["path", "name"], f"no file {name!r}")
    body, _ = _static(name)
    return Response(body, media_type=STATIC[name],
                    headers={"Cache-Control": "public, max-age=86400", **HEADERS})  # fmt: skip
