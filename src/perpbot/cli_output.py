"""Where every `perpbot` command writes: results to stdout, errors to stderr as one literal line."""

from __future__ import annotations

from typing import NoReturn

import typer
from rich.console import Console
from rich.markup import escape

console = Console()
err_console = Console(stderr=True)


def say_error(exc: Exception | str) -> None:
    """Print an error; its text is shown literally (a value like "[/x]" is not taken for markup)."""
    err_console.print(f"[bold red]error:[/bold red] {escape(str(exc))}")


def fail(exc: Exception | str) -> NoReturn:
    """Print the error and end the command with exit status 2."""
    say_error(exc)
    raise typer.Exit(2)
