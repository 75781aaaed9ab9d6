"""Importers for the listening history people already have: Spotify, Last.fm, ListenBrainz, CSV.

Each format module turns raw rows into :class:`~models.records.EventRecord` (or a
reason to skip the row); :mod:`data.importers.run` stores them through the shared
bulk path, one transaction per file.
"""
