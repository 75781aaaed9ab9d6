"""``encore audiences create | list | export | deliver``."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Annotated

import typer
from pydantic import ValidationError
from rich.console import Console
from rich.table import Table
from sqlalchemy.exc import IntegrityError

from models.audiences import create_audience, get_all_audiences, get_audience
from service.audiences import audience_members, deliver, to_csv
from service.cli.app import app, fail, load_settings, open_store
from service.schemas.audiences import AudienceCreate

audiences_app = typer.Typer(help="Audiences: listeners by rules, exported or delivered.",
                            no_args_is_help=True)  # fmt: skip
app.add_typer(audiences_app, name="audiences")
out = Console()


@audiences_app.command("create")
def create(
    name: Annotated[str, typer.Argument()],
    rule: Annotated[
        list[str], typer.Option(help='a JSON rule, e.g. \'{"type": "inactive", "days": 7}\'')
    ],
) -> None:
    """Define an audience; every --rule must hold."""
    try:
        body = AudienceCreate(name=name, rules=[json.loads(r) for r in rule])
    except json.JSONDecodeError as exc:
        raise fail(f"--rule: not JSON: {exc.msg}") from None
    except ValidationError as exc:
        first = exc.errors()[0]
        raise fail(f"{'.'.join(str(p) for p in first['loc'])}: {first['msg']}") from None
    settings = load_settings()
    with open_store(settings) as store, store.sessions() as session:
        try:
            audience = create_audience(
                session, name=name, rules=[r.model_dump() for r in body.rules]
            )
            session.commit()
        except IntegrityError:
            raise fail(f"an audience named {name!r} exists") from None
        out.print(f"audience {name}: {len(audience_members(session, audience)):,} members now")


@audiences_app.command("list")
def list_() -> None:
    """Every audience with its size now."""
    settings = load_settings()
    with open_store(settings) as store, store.sessions() as session:
        table = Table("name", "members", "rules")
        for a in get_all_audiences(session):
            rules = "; ".join(json.dumps(r) for r in a.rules)
            table.add_row(a.name, f"{len(audience_members(session, a)):,}", rules)
        out.print(table)


@audiences_app.command("export")
def export(
    name: Annotated[str, typer.Argument()],
    output: Annotated[Path | None, typer.Option(help="CSV file (default: stdout)")] = None,
) -> None:
    """The members as CSV."""
    settings = load_settings()
    with open_store(settings) as store, store.sessions() as session:
        audience = get_audience(session, name=name)
        if audience is None:
            raise fail(f"no audience named {name!r}")
        text = to_csv(audience_members(session, audience))
    if output is None:
        typer.echo(text, nl=False)
        return
    try:
        output.write_text(text, encoding="utf-8")
    except OSError as exc:
        raise fail(f"cannot write {output}: {exc.strerror}") from None


@audiences_app.command("deliver")
def deliver_cmd(
    name: Annotated[str, typer.Argument()],
    url: Annotated[str, typer.Option(help="the webhook (http or https)")],
) -> None:
    """POST the members to a webhook, signed and retried; exit 1 when it gave up."""
    settings = load_settings()
    secret = settings.audiences.webhook_secret
    if secret is None:
        raise fail("ENCORE_AUDIENCES__WEBHOOK_SECRET is not set")
    if not url.startswith(("http://", "https://")):
        raise fail(f"--url {url!r}: only http and https webhooks")
    with open_store(settings) as store, store.sessions() as session:
        audience = get_audience(session, name=name)
        if audience is None:
            raise fail(f"no audience named {name!r}")
        result = deliver(session, audience, url=url, secret=secret,
                         attempts=settings.audiences.attempts,
                         backoff=settings.audiences.backoff_seconds)  # fmt: skip
    if result.status != "delivered":
        raise fail(f"delivery {result.delivery_id} gave up after {result.attempts} attempts "
                   f"(last status {result.status_code})")  # fmt: skip
    out.print(f"delivered {result.members:,} members in {result.attempts} attempt(s) "
              f"({result.delivery_id})")  # fmt: skip
