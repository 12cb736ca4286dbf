"""Provides `rollcall kiosk`: the students' screen at the gate, against the device's API.

Listed in `edge/cli/main.py`'s `COMMANDS_ABOVE`; Textual is imported only when the screen starts.
"""

from __future__ import annotations

import argparse
import logging
import logging.handlers
import os
from pathlib import Path
from typing import Any

from tui.cli import DEFAULT_URL, token_of

MAX_HOLD = 60.0  # s: longer and the next child reads the last one's name


def add_commands(commands: Any) -> None:
    kiosk = commands.add_parser("kiosk", help="the students' screen at the gate: each tap's name, ✓ or ✗ and why")
    kiosk.add_argument(
        "--url",
        type=_url,
        default=os.environ.get("ROLLCALL_URL", DEFAULT_URL),
        help=f"the device's API (default: $ROLLCALL_URL or {DEFAULT_URL})",
    )
    token = kiosk.add_mutually_exclusive_group()
    token.add_argument("--token", help="a guard token (a file is safer: other users can see a command line)")
    token.add_argument("--token-file", type=Path, help="a file holding the guard token (default: $ROLLCALL_TOKEN)")
    kiosk.add_argument(
        "--reader", action="append", default=[], metavar="ID",
        help="a reader whose taps this screen shows, e.g. gate-in (repeatable; default: every reader)",
    )  # fmt: skip
    kiosk.add_argument("--hold", type=_hold, default=4.0, help="seconds each tap stays on the screen (default 4)")
    kiosk.add_argument("--speak", action="store_true", help="also say each tap through the sound card (espeak-ng)")
    kiosk.add_argument("--voice", default="", help="espeak-ng's voice (default: cmn for Chinese, en for English)")
    kiosk.add_argument(
        "--lang", choices=("zh", "en"), default=argparse.SUPPRESS, help="language (default: zh, or en from LANG)"
    )
    kiosk.set_defaults(run=_run)


def _url(text: str) -> str:
    if not text.startswith(("http://", "https://")):
        raise argparse.ArgumentTypeError(f"not an http:// or https:// address: {text!r}")
    return text


def _hold(text: str) -> float:
    try:
        value = float(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"not a number of seconds: {text!r}") from None
    if not 0.5 <= value <= MAX_HOLD:
        raise argparse.ArgumentTypeError(f"must be from 0.5 to {MAX_HOLD:.0f} seconds, not {text}")
    return value


def _quiet_terminal() -> None:
    """Log to the journal (or nowhere), not to the terminal: a line on stderr would land on the children's screen."""
    root = logging.getLogger()
    for handler in list(root.handlers):
        if isinstance(handler, logging.StreamHandler) and getattr(handler.stream, "isatty", lambda: False)():
            root.removeHandler(handler)
    if Path("/dev/log").exists():
        root.addHandler(logging.handlers.SysLogHandler("/dev/log"))


def _run(args: argparse.Namespace, lang: str) -> int:
    from tui.kiosk.app import KioskApp  # Textual: only once the screen starts
    from tui.kiosk.speech import Speaker

    token = token_of(args)
    _quiet_terminal()
    speaker = Speaker(lang, args.voice) if args.speak else None
    KioskApp(args.url, token, lang, readers=args.reader, hold=args.hold, speaker=speaker).run()
    return 0
