"""The catalog: artists, albums, items (tracks, episodes, videos) and artist tags.

Every name has a ``*_key`` twin holding its normalised form (see
:mod:`models.normalise`); matching and search use the keys, display uses the names.
"""

from __future__ import annotations

import enum

from sqlalchemy import (
    Column,
    Enum,
    Float,
    ForeignKey,
    Index,
    Integer,
    String,
    Table,
    UniqueConstraint,
    text,
)
from sqlalchemy.orm import Mapped, mapped_column, relationship

from models.base import Base, BigId


class ItemKind(enum.StrEnum):
    track = "track"
    episode = "episode"
    video = "video"


NAME_LENGTH = 512
EXTERNAL_ID_LENGTH = 128

artist_tags = Table(
    "artist_tags",
    Base.metadata,
    Column("artist_id", ForeignKey("artists.id", ondelete="CASCADE"), primary_key=True),
    Column("tag_id", ForeignKey("tags.id", ondelete="CASCADE"), primary_key=True),
    Column("weight", Float, nullable=False, default=1.0),
)


class Tag(Base):
    """A genre or free-form tag that artists carry (many to many)."""

    __tablename__ = "tags"

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    name: Mapped[str] = mapped_column(String(128), unique=True)


class Artist(Base):
    __tablename__ = "artists"

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    name: Mapped[str] = mapped_column(String(NAME_LENGTH))
    name_key: Mapped[str] = mapped_column(String(NAME_LENGTH), unique=True)
    mbid: Mapped[str | None] = mapped_column(String(36))

    tags: Mapped[list[Tag]] = relationship(secondary=artist_tags, lazy="selectin")


class Album(Base):
    __tablename__ = "albums"
    __table_args__ = (UniqueConstraint("artist_id", "title_key"),)

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    artist_id: Mapped[int] = mapped_column(ForeignKey("artists.id"))
    title: Mapped[str] = mapped_column(String(NAME_LENGTH))
    title_key: Mapped[str] = mapped_column(String(NAME_LENGTH))

    artist: Mapped[Artist] = relationship(lazy="joined")


def _unique_when_set(column: str) -> Index:
    where = f"{column} IS NOT NULL"
    return Index(
        f"uq_items_{column}",
        column,
        unique=True,
        sqlite_where=text(where),
        postgresql_where=text(where),
    )


class Item(Base):
    """Anything that can be played. Identity is the normalised (kind, artist, title, album);
    external ids are aliases that resolve to it faster."""

    __tablename__ = "items"
    __table_args__ = (
        UniqueConstraint("artist_id", "title_key", "album_key", "kind"),
        _unique_when_set("spotify_uri"),
        _unique_when_set("isrc"),
        _unique_when_set("mbid"),
        Index("ix_items_title_key", "title_key"),
    )

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    kind: Mapped[ItemKind] = mapped_column(
        Enum(ItemKind, native_enum=False, create_constraint=True, length=16, name="item_kind"),
        default=ItemKind.track,
    )
    title: Mapped[str] = mapped_column(String(NAME_LENGTH))
    title_key: Mapped[str] = mapped_column(String(NAME_LENGTH))
    artist_id: Mapped[int] = mapped_column(ForeignKey("artists.id"))
    album_id: Mapped[int | None] = mapped_column(ForeignKey("albums.id"))
    album_key: Mapped[str] = mapped_column(String(NAME_LENGTH), default="")
    duration_ms: Mapped[int | None] = mapped_column(Integer)
    spotify_uri: Mapped[str | None] = mapped_column(String(EXTERNAL_ID_LENGTH))
    isrc: Mapped[str | None] = mapped_column(String(12))
    mbid: Mapped[str | None] = mapped_column(String(36))

    artist: Mapped[Artist] = relationship(lazy="joined")
    album: Mapped[Album | None] = relationship(lazy="joined")
