"""Share links: made, reused, opened read-only, revoked for good; one live link per listener
and year, on both databases."""

from __future__ import annotations

import re

import httpx
import pytest
from sqlalchemy import delete, insert, select
from sqlalchemy.exc import IntegrityError

from models import shares
from models.shares import ShareLink
from models.users import User
from service.store import Store
from tests.wrapped.conftest import Add, set_user
from tests.wrapped.years import SCRIPT, hostile_year

SHARE = "/v1/users/mallory/wrapped/2024/share"


@pytest.fixture
def mallory(add: Add) -> None:
    add(*hostile_year(), *hostile_year(year=2023))


def test_share_link_lifecycle(client: httpx.Client, mallory: None) -> None:
    made = client.post(SHARE)
    assert made.status_code == 201, made.text
    body = made.json()
    token = body["token"]
    assert re.fullmatch(r"[A-Za-z0-9_-]{32}", token)
    assert body["url"] == f"{client.base_url}/share/{token}" and body["year"] == 2024
    again = client.post(SHARE)
    assert again.status_code == 200 and again.json()["token"] == token

    page = client.get(f"/share/{token}")
    assert page.status_code == 200
    assert page.headers["x-robots-tag"] == "noindex, nofollow"
    assert page.headers["referrer-policy"] == "no-referrer"
    assert "default-src 'self'" in page.headers["content-security-policy"]
    assert "/v1/users" not in page.text and "mallory" not in page.text  # read-only, anonymous
    assert "A year in music, shared with you." in page.text
    assert "&lt;script&gt;" in page.text and SCRIPT not in page.text
    card = client.get(f"/share/{token}/card.png", params={"format": "square"})
    assert card.status_code == 200 and card.headers["content-type"] == "image/png"
    assert f'src="/share/{token}/card.png?format=story"' in page.text

    other_year = client.post("/v1/users/mallory/wrapped/2023/share").json()["token"]
    assert client.delete(SHARE).status_code == 204
    assert client.get(f"/share/{token}").status_code == 404
    assert client.get(f"/share/{token}/card.png").status_code == 404
    assert client.get(f"/share/{other_year}").status_code == 200  # only 2024 was revoked
    assert client.delete(SHARE).status_code == 204  # nothing live: still fine

    renewed = client.post(SHARE)
    assert renewed.status_code == 201 and renewed.json()["token"] != token
    assert client.get(f"/share/{token}").status_code == 404  # a revoked token stays dead


def test_unknown_links_and_refusals(client: httpx.Client, mallory: None, store: Store) -> None:
    for token in ("nope", "x" * 32, "x" * 500, "%00"):
        r = client.get(f"/share/{token}")
        assert r.status_code == 404, token
        assert r.json()["detail"][0]["msg"] == "unknown or revoked share link"
    assert client.post("/v1/users/nobody/wrapped/2024/share").status_code == 404
    assert client.delete("/v1/users/nobody/wrapped/2024/share").status_code == 404
    nothing = client.post("/v1/users/mallory/wrapped/2022/share")
    assert (nothing.status_code, nothing.json()["detail"][0]["type"]) == (404, "nothing_to_wrap")

    token = client.post(SHARE).json()["token"]
    set_user(store, "mallory", opt_out_wrapped=True)
    assert client.get(f"/share/{token}").status_code == 404  # opted out since: gone
    assert client.post(SHARE).status_code == 403


def test_one_live_link_per_listener_and_year(store: Store, mallory: None) -> None:
    with store.sessions() as session:
        first, made = shares.create(session, user_id="mallory", year=2024)
        assert made and shares.create(session, user_id="mallory", year=2024) == (first, False)
        assert shares.get(session, token=first.token) == first
        user = session.scalar(select(User.id).where(User.external_id == "mallory"))
        with pytest.raises(IntegrityError):  # the database itself refuses a second live one
            session.execute(insert(ShareLink).values(token="t" * 32, user_id=user, year=2024))
        session.rollback()

        assert shares.revoke(session, user_id="mallory", year=2024) == 1
        assert shares.get(session, token=first.token) is None
        second, made = shares.create(session, user_id="mallory", year=2024)
        assert made and second.token != first.token
        with pytest.raises(LookupError):
            shares.create(session, user_id="nobody", year=2024)

        session.execute(delete(User).where(User.id == user))
        session.commit()
        assert session.scalars(select(ShareLink)).all() == []  # gone with the listener
