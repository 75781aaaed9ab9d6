"""The listening store: typed ORM models, migrations, catalog resolution and bulk ingest.

This is the only package that knows table layouts.
"""
