"""Product metrics: a per-listener daily rollup in a reporting time zone, and the
aggregations the metrics API, the report and the dashboard read from it."""
