"""Schemathesis against Encore's own OpenAPI schema, over a real server with data in it:
every operation, generated valid and invalid requests; no 5xx, and every answer matches
the status codes, content types and schemas the document declares.

The examples are bounded (``EXAMPLES`` per operation) so the SQLite run fits in about a
minute; the PostgreSQL run is marked slow (``pytest -m slow tests/reliability``).
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from datetime import UTC, datetime
from typing import Any

import httpx
import pytest
import schemathesis
from hypothesis import HealthCheck, settings
from schemathesis.checks import CheckFunction
from schemathesis.specs.openapi.checks import (
    negative_data_rejection,
    positive_data_acceptance,
)

from data.sample import load_jsonl
from data.synth import SynthConfig, build_world, store_history
from models import shares
from service.app import create_app
from service.retraining import model_params, retrain
from service.settings import ModelSettings, Settings
from service.store import Store
from tests.conftest import LiveServer, empty_database
from tests.utils.server import auth_headers

EXAMPLES = int(os.environ.get("ENCORE_FUZZ_EXAMPLES", "25"))

# "A schema-valid request is accepted" does not hold for Encore and is left out: the
# server rightly refuses with a 422 naming the field what JSON Schema cannot rule out:
# an opaque history cursor it did not issue, a timezone that is not an IANA name, a range
# that ends before it starts, an item with an artist but no title. (Run once, it found two
# real gaps, now regression tests: an empty ``from=`` and an upload without files.)
EVERYWHERE: list[CheckFunction] = [positive_data_acceptance]
# Checks left out for one operation, each with why.
EXCLUDED: dict[str, list[CheckFunction]] = {
    # multipart fields are text on the wire, so a "boolean" user_id arrives as "false"
    "POST /v1/imports": [negative_data_rejection],
}
SYNTH = SynthConfig(
    users=40, events=3_000, start=datetime(2024, 1, 1, tzinfo=UTC),
    end=datetime(2025, 1, 1, tzinfo=UTC), seed=5,
)  # fmt: skip


@pytest.fixture(
    scope="module", params=["sqlite", pytest.param("postgresql", marks=pytest.mark.slow)]
)
def api(
    request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[tuple[str, dict[str, str]]]:
    """A server over the sample listeners, a synthetic year, a model and a share link."""
    url = request.getfixturevalue(
        "pg_schema_url" if request.param == "postgresql" else "sqlite_url"
    )
    db_url = empty_database(url)
    folder = tmp_path_factory.mktemp("fuzz")
    config = Settings(
        database_url=db_url, _env_file=None,
        models=ModelSettings(dir=folder / "models", reload_seconds=0),
        imports={"upload_dir": folder / "uploads"},
    )  # fmt: skip
    store = Store.open(config)
    try:
        load_jsonl(store.engine, store.resolver)
        store_history(store.engine, store.resolver, build_world(SYNTH))
        retrain(store, config, model_params("itemknn"), evaluate=False, promote="always")
        with store.sessions() as session:
            shares.create(session, user_id="demo-ana", year=2024)
        with LiveServer(config, store) as live:
            yield live.url, auth_headers(db_url)
    finally:
        store.close()


# The document as the app builds it (building the app opens nothing); the server under
# test answers with the same one, which ``test_the_server_serves_this_schema`` checks.
DOCUMENT = create_app(Settings(_env_file=None)).openapi()
schema = schemathesis.openapi.from_dict(DOCUMENT)
# Every request carries the fixture's admin key (``headers=`` below wins over anything
# generated), so a generated ``Authorization`` never reached the server; left on, a case
# "without Authorization" plus an unknown query parameter was judged invalid input the
# server accepted, although the server saw a valid key and ignored the extra parameter
# (as every route does). ``ignored_auth`` still checks that each operation needs the key.
schema.config.generation.update(with_security_parameters=False)


def test_the_server_serves_this_schema(api: tuple[str, dict[str, str]]) -> None:
    assert httpx.get(f"{api[0]}/openapi.json").json() == DOCUMENT


@schema.parametrize()
@settings(
    max_examples=EXAMPLES, deadline=None, derandomize=True,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.filter_too_much,
                           HealthCheck.function_scoped_fixture],
)  # fmt: skip
def test_every_operation_answers_within_its_schema(
    case: schemathesis.Case[Any], api: tuple[str, dict[str, str]]
) -> None:
    base_url, headers = api
    label = f"{case.operation.method.upper()} {case.operation.path}"
    excluded = EVERYWHERE + EXCLUDED.get(label, [])
    case.call_and_validate(base_url=base_url, headers=headers, excluded_checks=excluded)
