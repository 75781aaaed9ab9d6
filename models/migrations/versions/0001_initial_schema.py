"""initial schema

Revision ID: 0001
Revises:
Create Date: 2026-11-24
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

import models.base

revision: str = "0001"
down_revision: str | None = None
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "artists",
        sa.Column("id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False),
        sa.Column("name", sa.String(length=512), nullable=False),
        sa.Column("name_key", sa.String(length=512), nullable=False),
        sa.Column("mbid", sa.String(length=36), nullable=True),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_artists")),
        sa.UniqueConstraint("name_key", name=op.f("uq_artists_name_key")),
    )
    op.create_table(
        "tags",
        sa.Column("id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False),
        sa.Column("name", sa.String(length=128), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_tags")),
        sa.UniqueConstraint("name", name=op.f("uq_tags_name")),
    )
    op.create_table(
        "users",
        sa.Column("id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False),
        sa.Column("external_id", sa.String(length=128), nullable=False),
        sa.Column("created_at", models.base.UTCDateTime(timezone=True), nullable=False),
        sa.Column("timezone", sa.String(length=64), server_default="UTC", nullable=False),
        sa.Column(
            "opt_out_personalization", sa.Boolean(), server_default=sa.false(), nullable=False
        ),
        sa.Column("opt_out_wrapped", sa.Boolean(), server_default=sa.false(), nullable=False),
        sa.Column("opt_out_comparisons", sa.Boolean(), server_default=sa.false(), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_users")),
        sa.UniqueConstraint("external_id", name=op.f("uq_users_external_id")),
    )
    op.create_table(
        "albums",
        sa.Column("id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False),
        sa.Column(
            "artist_id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False
        ),
        sa.Column("title", sa.String(length=512), nullable=False),
        sa.Column("title_key", sa.String(length=512), nullable=False),
        sa.ForeignKeyConstraint(
            ["artist_id"], ["artists.id"], name=op.f("fk_albums_artist_id_artists")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_albums")),
        sa.UniqueConstraint("artist_id", "title_key", name=op.f("uq_albums_artist_id_title_key")),
    )
    op.create_table(
        "artist_tags",
        sa.Column(
            "artist_id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False
        ),
        sa.Column("tag_id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False),
        sa.Column("weight", sa.Float(), nullable=False),
        sa.ForeignKeyConstraint(
            ["artist_id"],
            ["artists.id"],
            name=op.f("fk_artist_tags_artist_id_artists"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["tag_id"], ["tags.id"], name=op.f("fk_artist_tags_tag_id_tags"), ondelete="CASCADE"
        ),
        sa.PrimaryKeyConstraint("artist_id", "tag_id", name=op.f("pk_artist_tags")),
    )
    op.create_table(
        "items",
        sa.Column("id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False),
        sa.Column(
            "kind",
            sa.Enum(
                "track",
                "episode",
                "video",
                name="item_kind",
                native_enum=False,
                create_constraint=True,
                length=16,
            ),
            nullable=False,
        ),
        sa.Column("title", sa.String(length=512), nullable=False),
        sa.Column("title_key", sa.String(length=512), nullable=False),
        sa.Column(
            "artist_id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False
        ),
        sa.Column("album_id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=True),
        sa.Column("album_key", sa.String(length=512), nullable=False),
        sa.Column("duration_ms", sa.Integer(), nullable=True),
        sa.Column("spotify_uri", sa.String(length=128), nullable=True),
        sa.Column("isrc", sa.String(length=12), nullable=True),
        sa.Column("mbid", sa.String(length=36), nullable=True),
        sa.ForeignKeyConstraint(["album_id"], ["albums.id"], name=op.f("fk_items_album_id_albums")),
        sa.ForeignKeyConstraint(
            ["artist_id"], ["artists.id"], name=op.f("fk_items_artist_id_artists")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_items")),
        sa.UniqueConstraint(
            "artist_id",
            "title_key",
            "album_key",
            "kind",
            name=op.f("uq_items_artist_id_title_key_album_key_kind"),
        ),
    )
    with op.batch_alter_table("items", schema=None) as batch_op:
        batch_op.create_index("ix_items_title_key", ["title_key"], unique=False)
        batch_op.create_index(
            "uq_items_isrc",
            ["isrc"],
            unique=True,
            sqlite_where=sa.text("isrc IS NOT NULL"),
            postgresql_where=sa.text("isrc IS NOT NULL"),
        )
        batch_op.create_index(
            "uq_items_mbid",
            ["mbid"],
            unique=True,
            sqlite_where=sa.text("mbid IS NOT NULL"),
            postgresql_where=sa.text("mbid IS NOT NULL"),
        )
        batch_op.create_index(
            "uq_items_spotify_uri",
            ["spotify_uri"],
            unique=True,
            sqlite_where=sa.text("spotify_uri IS NOT NULL"),
            postgresql_where=sa.text("spotify_uri IS NOT NULL"),
        )

    op.create_table(
        "feedback",
        sa.Column("id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False),
        sa.Column("user_id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False),
        sa.Column("item_id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False),
        sa.Column(
            "kind",
            sa.Enum(
                "like",
                "unlike",
                "save",
                "share",
                name="feedback_kind",
                native_enum=False,
                create_constraint=True,
                length=16,
            ),
            nullable=False,
        ),
        sa.Column("ts", models.base.UTCDateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(["item_id"], ["items.id"], name=op.f("fk_feedback_item_id_items")),
        sa.ForeignKeyConstraint(
            ["user_id"], ["users.id"], name=op.f("fk_feedback_user_id_users"), ondelete="CASCADE"
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_feedback")),
    )
    with op.batch_alter_table("feedback", schema=None) as batch_op:
        batch_op.create_index("ix_feedback_item_id", ["item_id"], unique=False)
        batch_op.create_index(
            "uq_feedback_user_item_kind_ts", ["user_id", "item_id", "kind", "ts"], unique=True
        )

    op.create_table(
        "listening_events",
        sa.Column("id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False),
        sa.Column("user_id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False),
        sa.Column("item_id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False),
        sa.Column("ts", models.base.UTCDateTime(timezone=True), nullable=False),
        sa.Column("ms_played", sa.Integer(), nullable=False),
        sa.Column("skipped", sa.Boolean(), nullable=True),
        sa.Column("reason_start", sa.String(length=32), nullable=True),
        sa.Column("reason_end", sa.String(length=32), nullable=True),
        sa.Column("shuffle", sa.Boolean(), nullable=True),
        sa.Column("offline", sa.Boolean(), nullable=True),
        sa.Column("private", sa.Boolean(), server_default=sa.false(), nullable=False),
        sa.Column("platform", sa.String(length=128), nullable=True),
        sa.Column("country", sa.String(length=2), nullable=True),
        sa.Column(
            "source",
            sa.Enum(
                "api",
                "spotify",
                "lastfm",
                "listenbrainz",
                "csv",
                "synthetic",
                "sample",
                name="event_source",
                native_enum=False,
                create_constraint=True,
                length=16,
            ),
            nullable=False,
        ),
        sa.Column("client_event_id", sa.String(length=128), nullable=True),
        sa.Column("rec_id", sa.String(length=128), nullable=True),
        sa.ForeignKeyConstraint(
            ["item_id"], ["items.id"], name=op.f("fk_listening_events_item_id_items")
        ),
        sa.ForeignKeyConstraint(
            ["user_id"],
            ["users.id"],
            name=op.f("fk_listening_events_user_id_users"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_listening_events")),
    )
    with op.batch_alter_table("listening_events", schema=None) as batch_op:
        batch_op.create_index("ix_listening_events_item_id", ["item_id"], unique=False)
        batch_op.create_index("ix_listening_events_ts", ["ts"], unique=False)
        batch_op.create_index(
            "uq_listening_events_user_client_event",
            ["user_id", "client_event_id"],
            unique=True,
            sqlite_where=sa.text("client_event_id IS NOT NULL"),
            postgresql_where=sa.text("client_event_id IS NOT NULL"),
        )
        batch_op.create_index(
            "uq_listening_events_user_ts_item_ms",
            ["user_id", "ts", "item_id", "ms_played"],
            unique=True,
        )


def downgrade() -> None:
    with op.batch_alter_table("listening_events", schema=None) as batch_op:
        batch_op.drop_index("uq_listening_events_user_ts_item_ms")
        batch_op.drop_index(
            "uq_listening_events_user_client_event",
            sqlite_where=sa.text("client_event_id IS NOT NULL"),
            postgresql_where=sa.text("client_event_id IS NOT NULL"),
        )
        batch_op.drop_index("ix_listening_events_ts")
        batch_op.drop_index("ix_listening_events_item_id")

    op.drop_table("listening_events")
    with op.batch_alter_table("feedback", schema=None) as batch_op:
        batch_op.drop_index("uq_feedback_user_item_kind_ts")
        batch_op.drop_index("ix_feedback_item_id")

    op.drop_table("feedback")
    with op.batch_alter_table("items", schema=None) as batch_op:
        batch_op.drop_index(
            "uq_items_spotify_uri",
            sqlite_where=sa.text("spotify_uri IS NOT NULL"),
            postgresql_where=sa.text("spotify_uri IS NOT NULL"),
        )
        batch_op.drop_index(
            "uq_items_mbid",
            sqlite_where=sa.text("mbid IS NOT NULL"),
            postgresql_where=sa.text("mbid IS NOT NULL"),
        )
        batch_op.drop_index(
            "uq_items_isrc",
            sqlite_where=sa.text("isrc IS NOT NULL"),
            postgresql_where=sa.text("isrc IS NOT NULL"),
        )
        batch_op.drop_index("ix_items_title_key")

    op.drop_table("items")
    op.drop_table("artist_tags")
    op.drop_table("albums")
    op.drop_table("users")
    op.drop_table("tags")
    op.drop_table("artists")
