"""Why a report cannot be built; ``service/`` maps each to an HTTP status."""

from __future__ import annotations

from dataclasses import asdict, dataclass


class WrappedError(Exception):
    """Base of every reason Wrapped refuses to answer."""


class UnknownUser(WrappedError):
    def __init__(self, user_id: str) -> None:
        super().__init__("unknown user")
        self.user_id = user_id


class WrappedOptedOut(WrappedError):
    def __init__(self, user_id: str) -> None:
        super().__init__("this listener has opted out of Wrapped")
        self.user_id = user_id


class InvalidWindow(WrappedError):
    """A timezone that does not exist, or a range that ends before it starts."""

    def __init__(self, field: str, reason: str) -> None:
        super().__init__(reason)
        self.field = field


class NothingToWrap(WrappedError):
    def __init__(self, user_id: str, label: str) -> None:
        super().__init__(f"nothing to wrap: no listening in {label}")
        self.user_id = user_id


@dataclass(frozen=True, slots=True)
class Eligibility:
    """What a listener has against what a report needs."""

    streams: int
    artists: int
    minutes: int
    required_streams: int
    required_artists: int

    @property
    def eligible(self) -> bool:
        return self.streams >= self.required_streams and self.artists >= self.required_artists

    def as_dict(self) -> dict[str, int]:
        return asdict(self)


class NotEligible(WrappedError):
    """Too little listening for a meaningful report; carries the numbers so far."""

    def __init__(self, user_id: str, numbers: Eligibility) -> None:
        super().__init__(
            f"not enough listening yet: {numbers.streams} of {numbers.required_streams} streams "
            f"and {numbers.artists} of {numbers.required_artists} artists"
        )
        self.user_id = user_id
        self.numbers = numbers
