"""The upload page: where a person sends their own export and is taken to their story.

The page is a plain form that works through the import API (``POST /v1/imports``, then
``GET /v1/imports/{id}`` until done) from its script, so it needs no inline code under
the same strict Content-Security-Policy as the story, and links only to the URLs given.
"""

from __future__ import annotations

from dataclasses import dataclass

from wrapped.render.story import environment

FORMATS: tuple[tuple[str, str, str], ...] = (
    ("spotify", "Spotify",
     "Extended streaming history or account data: my_spotify_data.zip, or the "
     "Streaming_History JSON files in it."),
    ("lastfm", "Last.fm", "A scrobbles CSV (uts, artist, album, track), or a listening TSV."),
    ("listenbrainz", "ListenBrainz", "The listens export: its zip, or the JSON or JSON lines."),
)  # fmt: skip
"""Each format's form value (the import API's), name and what to upload."""


@dataclass(frozen=True, slots=True)
class UploadLinks:
    """Where the page finds its stylesheet, script and icon, and the API it calls: the
    imports collection and the users collection (``{users}/{id}/wrapped/{year}``)."""

    stylesheet: str
    script: str
    icon: str
    imports: str
    users: str
    csrf: str = ""  # the session's CSRF token, sent back on the upload
    user: str = ""  # a signed-in listener: the only name they may upload for


def _size(n: int) -> str:
    for unit, size in (("GB", 1024**3), ("MB", 1024**2), ("KB", 1024)):
        if n >= size:
            return f"{n / size:.3g} {unit}"
    return f"{n} bytes"


def render_upload(links: UploadLinks, *, max_upload_bytes: int) -> str:
    template = environment().get_template("upload.html")
    return template.render(
        links=links, imports=links.imports, users=links.users, csrf=links.csrf, user=links.user,
        formats=FORMATS,
        limit=_size(max_upload_bytes),
    )  # fmt: skip
