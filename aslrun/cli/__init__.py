"""The aslrun command line."""

from aslrun.cli.main import cli, main

__all__ = ["cli", "main"]
