"""python -m hub: the daiban-hub command line."""

from hub.cli import cli

cli()
