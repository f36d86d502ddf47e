"""Command barcodes: printed on a sheet by the workstation, so a gloved hand never needs the screen.

A command is scanned like any code; the app acts on it instead of looking it up."""

from __future__ import annotations

PREFIX = "SK:"
CONFIRM, CANCEL = "confirm", "cancel"
LOOKUP, RECEIVE, MOVE, WAITING, SIGN_OUT = "lookup", "receive", "move", "waiting", "sign_out"
COMMANDS = {
    "SK:CONFIRM": CONFIRM, "SK:CANCEL": CANCEL, "SK:LOOKUP": LOOKUP, "SK:RECEIVE": RECEIVE,
    "SK:MOVE": MOVE, "SK:WAITING": WAITING, "SK:SIGNOUT": SIGN_OUT,
}  # fmt: skip


def command(code: str) -> str | None:
    """The command a scanned code stands for, if it is one (case-free, like every code)."""
    return COMMANDS.get(code.strip().upper())
