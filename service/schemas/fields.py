"""Field types shared by the request schemas: timestamps, names, external ids."""

from __future__ import annotations

import math
import re
from datetime import UTC, date, datetime
from typing import Annotated, Any

from pydantic import AfterValidator, BeforeValidator, Field, StringConstraints, WithJsonSchema
from pydantic_core import PydanticCustomError

from models.catalog import EXTERNAL_ID_LENGTH, NAME_LENGTH
from models.listening import CLIENT_ID_LENGTH, PLATFORM_LENGTH, REASON_LENGTH

# Epoch numbers below this are seconds, above it milliseconds (1e11 s is the year 5138,
# 1e11 ms is 1973), the same rule most analytics SDKs apply.
EPOCH_MS_THRESHOLD = 100_000_000_000


def parse_timestamp(value: Any) -> datetime:
    """An aware UTC datetime from ISO 8601 text with an offset, or epoch seconds/milliseconds."""
    if isinstance(value, datetime):
        parsed = value
    elif isinstance(value, bool):
        raise ValueError(
            "timestamp must be ISO 8601 text or epoch seconds/milliseconds, not a boolean"
        )
    elif isinstance(value, int | float):
        if not math.isfinite(value):
            raise ValueError("timestamp must be a finite number")
        seconds = value / 1000 if abs(value) >= EPOCH_MS_THRESHOLD else value
        try:
            return datetime.fromtimestamp(seconds, UTC)
        except (OverflowError, OSError, ValueError):
            raise ValueError("epoch timestamp out of range") from None
    elif isinstance(value, str):
        try:
            parsed = datetime.fromisoformat(value.strip())
        except ValueError:
            raise ValueError(
                "timestamp is not ISO 8601 (e.g. 2024-05-01T12:00:00Z) or epoch seconds"
            ) from None
    else:
        raise ValueError("timestamp must be ISO 8601 text or epoch seconds/milliseconds")
    if parsed.tzinfo is None or parsed.utcoffset() is None:
        raise ValueError("timestamp needs a UTC offset, e.g. 2024-05-01T12:00:00Z")
    try:
        return parsed.astimezone(UTC)
    except OverflowError:
        raise ValueError("timestamp out of range once converted to UTC") from None


Timestamp = Annotated[
    datetime,
    BeforeValidator(parse_timestamp),
    WithJsonSchema(
        {
            "anyOf": [
                {"type": "string", "format": "date-time"},
                {"type": "number", "description": "epoch seconds or milliseconds"},
            ],
            "examples": ["2024-05-01T12:00:00Z", 1714564800],
        }
    ),
]


def iso_date(value: object) -> object:
    """A calendar date as the schema says (YYYY-MM-DD); pydantic alone would also take a
    number (or its text, as a query string sends it) as a Unix time, which no client means."""
    if isinstance(value, date):
        return value
    if not (isinstance(value, str) and len(value) == 10 and value[4] == value[7] == "-"):
        raise PydanticCustomError(
            "date_parsing", "Input should be a valid date in the format YYYY-MM-DD, {error}",
            {"error": "not YYYY-MM-DD text"},
        )  # fmt: skip
    return value


IsoDate = Annotated[date, BeforeValidator(iso_date)]
"""A ``date`` given only as YYYY-MM-DD text, in a query string or a JSON body."""


_CONTROL = re.compile(r"[\x00-\x1f\x7f]")


def _no_control_chars(value: str) -> str:
    if _CONTROL.search(value):
        raise ValueError("must not contain control characters")
    return value


_CLEAN = AfterValidator(_no_control_chars)


def _text(max_length: int, pattern: str | None = None) -> StringConstraints:
    return StringConstraints(
        strip_whitespace=True, min_length=1, max_length=max_length, pattern=pattern
    )


# Stripped, non-empty text without control characters, within the column's length.
UserIdText = Annotated[str, _text(128), _CLEAN]
NameText = Annotated[str, _text(NAME_LENGTH), _CLEAN]
ClientIdText = Annotated[str, _text(CLIENT_ID_LENGTH), _CLEAN]
ReasonText = Annotated[str, _text(REASON_LENGTH), _CLEAN]
PlatformText = Annotated[str, _text(PLATFORM_LENGTH), _CLEAN]
SpotifyUri = Annotated[
    str,
    _text(
        EXTERNAL_ID_LENGTH, r"^spotify:(track|episode|show|album|artist|video):[A-Za-z0-9]{1,64}$"
    ),
]
Isrc = Annotated[str, _text(12, r"^[A-Za-z]{2}[A-Za-z0-9]{3}[0-9]{7}$")]
Mbid = Annotated[
    str,
    _text(36, r"^[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}$"),
]
CountryCode = Annotated[str, StringConstraints(pattern=r"^[A-Za-z]{2}$")]

ROW_ID_MAX = 2**63 - 1
"""The largest id a store row can have (a signed 64-bit column)."""
RowId = Annotated[int, Field(ge=1, le=ROW_ID_MAX)]
"""An item's or artist's id as the API shows it: anything larger names no row, and would
not fit the arrays the model is looked up with."""

StrictMs = Annotated[int, Field(strict=True, ge=0, le=24 * 3600 * 1000)]
