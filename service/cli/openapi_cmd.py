"""``encore openapi``: the API's schema, as JSON or as the Markdown reference in docs/."""

from __future__ import annotations

import json
from typing import Annotated

import typer

from service.apidoc import markdown, reference_app
from service.cli.app import app


@app.command()
def openapi(
    as_markdown: Annotated[
        bool, typer.Option("--markdown", help="the reference in Markdown (docs/api.md)")
    ] = False,
) -> None:
    """Print the OpenAPI schema (no database needed): `encore openapi --markdown > docs/api.md`."""
    schema = reference_app().openapi()
    typer.echo(markdown(schema) if as_markdown else json.dumps(schema, indent=2), nl=False)
