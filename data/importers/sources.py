"""Files to import: plain files, folders and zips (as Spotify sends them), read as streams.

Nothing is extracted to disk; zip members are decompressed on the fly and refused
when their declared size or compression ratio looks like a zip bomb.
"""

from __future__ import annotations

import io
import zipfile
import zlib
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import IO, Any

from data.importers.base import ImportFormatError

MAX_MEMBER_BYTES = 4 * 1024**3
MAX_COMPRESSION_RATIO = 200


@dataclass(frozen=True)
class Source:
    """One file's worth of rows: a path, or a member of a zip. ``size`` is what reading it
    yields; ``packed`` is what it takes in the upload (a zip member's compressed size)."""

    name: str
    size: int
    open: Callable[[], IO[bytes]]
    packed: int = -1

    @property
    def packed_share(self) -> float:
        """Upload bytes per byte read, to report progress against the upload's size."""
        return 1.0 if self.packed < 0 else self.packed / max(self.size, 1)


class CountingReader(io.RawIOBase):
    """A binary stream that reports how many bytes were read, for progress bars."""

    def __init__(self, raw: IO[bytes], on_read: Callable[[int], None]) -> None:
        self.raw = raw
        self.on_read = on_read

    def readable(self) -> bool:
        return True

    def readinto(self, buffer: Any) -> int:
        data = self.raw.read(len(buffer))
        buffer[: len(data)] = data
        self.on_read(len(data))
        return len(data)

    def close(self) -> None:
        self.raw.close()
        super().close()


class _Member(io.RawIOBase):
    """A zip member as a stream. A member that does not inflate to what its headers say
    (a bad CRC, a broken deflate stream, a size that lies) is a format error of the file,
    not a crash: the file is left out whole, like any other unreadable file."""

    def __init__(self, raw: IO[bytes], name: str) -> None:
        self.raw = raw
        self.name = name

    def readable(self) -> bool:
        return True

    def readinto(self, buffer: Any) -> int:
        try:
            data = self.raw.read(len(buffer))
        except (zipfile.BadZipFile, zlib.error, EOFError) as exc:
            raise ImportFormatError(f"{self.name}: a corrupt zip member ({exc})") from None
        buffer[: len(data)] = data
        return len(data)

    def close(self) -> None:
        self.raw.close()
        super().close()


def _zip_members(path: Path, accept: Callable[[str], bool]) -> Iterator[Source]:
    try:
        archive = zipfile.ZipFile(path)
    except zipfile.BadZipFile as exc:
        raise ImportFormatError(f"{path.name}: not a readable zip ({exc})") from None
    with archive:
        for info in archive.infolist():
            # zips made on Windows may separate folders with backslashes
            base = info.filename.replace("\\", "/").rsplit("/", 1)[-1]
            if info.is_dir() or base.startswith(".") or not accept(base):
                continue
            ratio = info.file_size / max(info.compress_size, 1)
            if info.file_size > MAX_MEMBER_BYTES or ratio > MAX_COMPRESSION_RATIO:
                raise ImportFormatError(
                    f"{path.name}:{info.filename}: refused, {info.file_size:,} bytes "
                    f"at a compression ratio of {ratio:.0f}"
                )

            def opener(member: str = info.filename) -> IO[bytes]:
                name = f"{path.name}:{member}"
                return io.BufferedReader(_Member(zipfile.ZipFile(path).open(member), name))

            yield Source(f"{path.name}:{info.filename}", info.file_size, opener, info.compress_size)


def _file(path: Path) -> Source:
    return Source(str(path), path.stat().st_size, lambda: path.open("rb"))


def expand(paths: list[Path], accept: Callable[[str], bool]) -> list[Source]:
    """Every importable source under ``paths``, in a stable order.

    A file named explicitly is always read (its content decides whether it is the
    right format); inside folders and zips only names that ``accept`` are.
    """
    sources: list[Source] = []
    for path in paths:
        if not path.exists():
            raise FileNotFoundError(f"no such file or folder: {path}")
        if path.is_dir():
            for child in sorted(p for p in path.rglob("*") if p.is_file()):
                if zipfile.is_zipfile(child) and child.suffix.lower() == ".zip":
                    sources.extend(_zip_members(child, accept))
                elif accept(child.name):
                    sources.append(_file(child))
        elif zipfile.is_zipfile(path):
            sources.extend(_zip_members(path, accept))
        else:
            sources.append(_file(path))
    return sources
