"""python -m agent: the daiban-agent command line."""

from .cli import cli

cli()
