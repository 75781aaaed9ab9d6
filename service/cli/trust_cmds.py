"""``encore keys ...``, ``encore users ...`` and ``encore data prune``: who may call the
API, listeners' own controls, and how long raw events are kept."""

from __future__ import annotations

import os
from datetime import UTC, datetime, timedelta
from typing import Annotated
from urllib.parse import urlencode

import typer
from rich.console import Console
from rich.table import Table

from models import privacy
from models.api_keys import Scope, create_key, list_keys, revoke_key, scopes_of
from service.auth.tokens import TokenSigner, load_secret
from service.cli.app import app, data_app, fail, load_settings, open_store

keys_app = typer.Typer(help="API keys: create, list, revoke.", no_args_is_help=True)
users_app = typer.Typer(help="Listeners: sign-in tokens, privacy.", no_args_is_help=True)
app.add_typer(keys_app, name="keys")
app.add_typer(users_app, name="users")

PRIVACY_FLAGS = ("personalization", "wrapped", "comparisons")


@keys_app.command("create")
def keys_create(
    scope: Annotated[list[Scope], typer.Option(help="admin, ingest or read; repeat for several")],
    name: Annotated[str | None, typer.Option(help="what the key is for")] = None,
    quiet: Annotated[bool, typer.Option(help="print only the key, for scripts")] = False,
) -> None:
    """Make an API key. It is shown once: the database keeps only its hash."""
    settings = load_settings()
    with open_store(settings) as store, store.sessions() as session:
        row, key = create_key(session, scopes=scope, name=name)
    if quiet:
        typer.echo(key)
        return
    typer.echo(f"key {row.id} ({row.scopes}): {key}")
    typer.echo("store it now: it cannot be shown again", err=True)


@keys_app.command("list")
def keys_list() -> None:
    """Every key: id, name, prefix, scopes, created, revoked."""
    settings = load_settings()
    with open_store(settings) as store, store.sessions() as session:
        rows = list_keys(session)
    table = Table()
    for column in ("id", "name", "prefix", "scopes", "created", "revoked"):
        table.add_column(column, justify="right" if column == "id" else "left")
    for row in rows:
        table.add_row(
            str(row.id), row.name or "", row.prefix + "...",
            ",".join(sorted(s.value for s in scopes_of(row))),
            row.created_at.strftime("%Y-%m-%d %H:%M"),
            row.revoked_at.strftime("%Y-%m-%d %H:%M") if row.revoked_at else "",
        )  # fmt: skip
    Console(width=None if os.isatty(1) else 160).print(table)


@keys_app.command("revoke")
def keys_revoke(key_id: Annotated[int, typer.Argument(help="the id `keys list` shows")]) -> None:
    """Revoke a key; servers stop accepting it within ENCORE_AUTH__KEY_CACHE_SECONDS."""
    settings = load_settings()
    with open_store(settings) as store, store.sessions() as session:
        if not revoke_key(session, key_id=key_id):
            raise fail(f"no live key with id {key_id}")
    typer.echo(f"key {key_id} revoked")


@users_app.command("token")
def users_token(
    user_id: Annotated[str, typer.Argument(help="the listener's external id")],
    ttl: Annotated[int | None, typer.Option(help="lifetime in seconds")] = None,
    base_url: Annotated[
        str | None, typer.Option(help="print a sign-in link to this server instead")
    ] = None,
    next_page: Annotated[
        str | None, typer.Option("--next", help="page the link goes on to")
    ] = None,
) -> None:
    """Mint a listener's token (it opens only their own data), or their sign-in link."""
    settings = load_settings()
    try:
        secret = load_secret(settings.auth)
        signer = TokenSigner(secret, ttl_seconds=settings.auth.token_ttl_seconds)
    except (OSError, ValueError) as exc:
        raise fail(f"no signing secret: {exc}") from None
    if ttl is not None and not 60 <= ttl <= 366 * 86400:
        raise fail("--ttl: between 60 seconds and 366 days")
    token, _expires = signer.mint("user", user_id, ttl_seconds=ttl)
    if base_url is None:
        typer.echo(token)
        return
    query = {"token": token, **({"next": next_page} if next_page else {})}
    typer.echo(f"{base_url.rstrip('/')}/signin?{urlencode(query)}")


def _flags(names: str, option: str) -> set[str]:
    flags = {n.strip() for n in names.split(",") if n.strip()}
    unknown = flags - set(PRIVACY_FLAGS)
    if unknown:
        known = ", ".join(PRIVACY_FLAGS)
        raise fail(f"{option}: unknown {', '.join(sorted(unknown))}; use {known}")
    return flags


@users_app.command("privacy")
def users_privacy(
    user_id: Annotated[str, typer.Argument(help="the listener's external id")],
    opt_out: Annotated[
        str, typer.Option(help="comma-separated: personalization,wrapped,comparisons")
    ] = "",
    opt_in: Annotated[str, typer.Option(help="comma-separated, as --opt-out")] = "",
) -> None:
    """Show a listener's privacy flags, or opt them out of (or back in to) some."""
    out, into = _flags(opt_out, "--opt-out"), _flags(opt_in, "--opt-in")
    if out & into:
        raise fail(f"both --opt-out and --opt-in name {', '.join(sorted(out & into))}")
    settings = load_settings()
    changes = {f: (False if f in out else True if f in into else None) for f in PRIVACY_FLAGS}
    with open_store(settings) as store, store.sessions() as session:
        try:
            flags = privacy.set_privacy(session, user_id=user_id, **changes)
        except LookupError:
            raise fail(f"unknown user {user_id!r}") from None
    for name in PRIVACY_FLAGS:
        typer.echo(f"{name}: {'allowed' if getattr(flags, name) else 'opted out'}")


@data_app.command("prune")
def data_prune(
    days: Annotated[
        int | None, typer.Option(help="keep this many days [ENCORE_RETENTION__EVENTS_DAYS]")
    ] = None,
) -> None:
    """Delete raw listening events older than the retention period."""
    settings = load_settings()
    keep = days if days is not None else settings.retention.events_days
    if keep is None:
        raise fail("no retention set: pass --days or set ENCORE_RETENTION__EVENTS_DAYS")
    if keep < 1:
        raise fail("--days: at least 1")
    before = datetime.now(UTC) - timedelta(days=keep)
    with open_store(settings) as store, store.sessions() as session:
        removed = privacy.prune_events(session, before=before)
    typer.echo(f"{removed} events before {before.isoformat(timespec='seconds')} deleted")
    if removed:
        typer.echo("metrics rollups dropped: each is rebuilt on its next refresh")
