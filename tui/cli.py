"""Provides the console's commands: `rollcall tui`, and the console that `rollcall demo` opens on a terminal.

`edge/cli/main.py` lists this module among the packages above the device (`COMMANDS_ABOVE`) and
calls `add_commands`; Textual is imported only when a console actually starts, so building the
command line (for `rollcall edge`, say) never loads it.
"""

from __future__ import annotations

import argparse
import os
from pathlib import Path
from typing import Any

DEFAULT_URL = "http://127.0.0.1:8470"  # the device's own API, where `api.listen` puts it by default


def add_commands(commands: Any) -> None:
    """Add `rollcall tui`, and make `rollcall demo` open the console (its `console` default)."""
    console = commands.add_parser("tui", help="the guard console, against an edge device or the school server")
    console.add_argument(
        "--url",
        type=_url,
        default=os.environ.get("ROLLCALL_URL", DEFAULT_URL),
        help=f"the device's API (default: $ROLLCALL_URL or {DEFAULT_URL})",
    )
    token = console.add_mutually_exclusive_group()
    token.add_argument("--token", help="a guard token (a file is safer: other users can see a command line)")
    token.add_argument("--token-file", type=Path, help="a file holding the guard token (default: $ROLLCALL_TOKEN)")
    console.add_argument(
        "--export-dir", type=Path, help="where exported zero reports are written (default: ~/rollcall-exports)"
    )
    console.add_argument(
        "--lang", choices=("zh", "en"), default=argparse.SUPPRESS, help="language (default: zh, or en from LANG)"
    )
    console.set_defaults(run=_run)
    demo = commands.choices.get("demo")
    if demo is not None:
        demo.set_defaults(console=run_async)


def _url(text: str) -> str:
    if not text.startswith(("http://", "https://")):
        raise argparse.ArgumentTypeError(f"not an http:// or https:// address: {text!r}")
    return text


def token_of(args: argparse.Namespace) -> str:
    """The guard token: --token, else --token-file, else $ROLLCALL_TOKEN; a missing one is a one-line error."""
    if args.token:
        return str(args.token).strip()
    if args.token_file:
        token = str(args.token_file.read_text(encoding="utf-8")).strip()
        if not token:
            raise ValueError(f"{args.token_file}: the token file is empty")
        return token
    token = os.environ.get("ROLLCALL_TOKEN", "").strip()
    if not token:
        raise ValueError("no token: give --token-file FILE (or --token TOKEN, or set $ROLLCALL_TOKEN)")
    return token


def _run(args: argparse.Namespace, lang: str) -> int:
    return run(args.url, token_of(args), lang, args.export_dir)


def run(url: str, token: str, lang: str = "zh", export_dir: Path | None = None) -> int:
    """Show the console until the guard quits (Ctrl+Q); it reconnects to the device by itself meanwhile."""
    from tui.app import GuardApp  # Textual: only once a console starts

    GuardApp(url, token, lang, export_dir).run()
    return 0


async def run_async(url: str, token: str, lang: str = "zh", export_dir: Path | None = None) -> None:
    """The same inside a running event loop: the demo serves its device's API in the same process."""
    from tui.app import GuardApp

    await GuardApp(url, token, lang, export_dir).run_async()
