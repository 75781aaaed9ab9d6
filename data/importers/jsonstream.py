"""Streaming JSON readers with constant memory: arrays of objects and JSON lines."""

from __future__ import annotations

import io
from collections.abc import Iterator
from typing import IO, Any

import ijson
import orjson

from data.importers.base import ImportFormatError

_BLANK = b"\xef\xbb\xbf \t\r\n"  # a UTF-8 byte-order mark and whitespace


def first_byte(stream: io.BufferedReader) -> bytes:
    """The first byte that is not blank, after consuming the blanks before it."""
    while True:
        head = stream.peek(64)
        if not head:
            return b""
        stripped = head.lstrip(_BLANK)
        stream.read(len(head) - len(stripped))
        if stripped:
            return stripped[:1]


def iter_array(stream: IO[bytes], name: str) -> Iterator[dict[str, Any]]:
    """Objects of a top-level JSON array, one at a time."""
    try:
        for index, obj in enumerate(ijson.items(stream, "item", use_float=True)):
            if not isinstance(obj, dict):
                raise ImportFormatError(f"{name}: element {index} is not an object")
            yield obj
    except ijson.JSONError as exc:
        raise ImportFormatError(f"{name}: invalid or truncated JSON ({exc})") from None


def iter_lines(stream: IO[bytes], name: str) -> Iterator[dict[str, Any]]:
    """Objects of a JSON-lines file; blank lines are ignored."""
    for line_no, line in enumerate(stream, start=1):
        if not line.strip():
            continue
        try:
            obj = orjson.loads(line)
        except orjson.JSONDecodeError as exc:
            raise ImportFormatError(f"{name}: line {line_no} is not JSON ({exc})") from None
        if not isinstance(obj, dict):
            raise ImportFormatError(f"{name}: line {line_no} is not an object")
        yield obj


def buffer(stream: IO[bytes]) -> io.BufferedReader:
    """``stream`` with ``peek``, wrapping it only when it has none."""
    if isinstance(stream, io.BufferedReader):
        return stream
    return io.BufferedReader(stream)  # type: ignore[arg-type]


def iter_objects(stream: IO[bytes], name: str) -> Iterator[dict[str, Any]]:
    """Objects of either a JSON array or JSON lines, told apart by the first byte."""
    buffered = buffer(stream)
    start = first_byte(buffered)
    if start == b"[":
        return iter_array(buffered, name)
    if start == b"{":
        return iter_lines(buffered, name)
    if not start:
        raise ImportFormatError(f"{name}: the file is empty")
    raise ImportFormatError(f"{name}: not JSON (expected an array or JSON lines)")
