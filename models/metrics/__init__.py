"""Product metrics: a per-listener daily rollup in a reporting time zone, and the
aggregations the metrics API, the report and the dashboard read from it."""

STREAM_MS = 30_000
"""A play of at least this many milliseconds is a stream (Spotify's rule)."""
