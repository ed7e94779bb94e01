"""python -m hub: the daiban-hub command line."""

from .cli import cli

cli()
