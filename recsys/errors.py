"""Exceptions of the recommender, free of any HTTP or CLI concern."""


class RecsysError(Exception):
    """Base of every error :mod:`recsys` raises on purpose."""


class InteractionsError(RecsysError):
    """Interactions cannot be read or built: a malformed file, an empty source."""


class SplitError(RecsysError):
    """A split cannot be made from these interactions (no timestamps, nothing left to test)."""


class InvalidParams(RecsysError):
    """A model parameter outside the range its model accepts."""


class UnknownModel(RecsysError):
    """A model name or family that no registry entry answers to."""


class ModelNotReady(RecsysError):
    """A model asked to recommend before it was fitted or loaded."""


class UnknownUser(RecsysError):
    """A user index outside the users a model was fitted on."""


class ModelFileError(RecsysError):
    """A saved model cannot be loaded: not an Encore model file, or a damaged one."""


class CorruptArtifact(RecsysError):
    """A model artifact whose files are missing, unreadable or fail their checksum."""
