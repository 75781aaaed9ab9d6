"""Exceptions the store raises, free of any HTTP or CLI concern."""


class StoreError(Exception):
    """The database cannot be used: bad URL, unreachable, or not migrated."""
