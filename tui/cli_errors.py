"""How every ``retrace`` command fails: one neutralised line on stderr, exit code 2."""

from __future__ import annotations

import sys
from typing import NoReturn

import click

from tui.safe_text import escape_control

MAX_ERROR_CHARS = 2000
"""An error line is cut to this many characters (its text can quote the database)."""


def fail(message: str) -> NoReturn:
    """One line on stderr, neutralised (it can quote bytes of the file), and exit code 2."""
    click.echo(f"retrace: error: {escape_control(message, limit=MAX_ERROR_CHARS)}", err=True)
    sys.exit(2)
