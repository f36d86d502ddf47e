"""Command barcodes: printed on a sheet by the workstation, so a gloved hand never needs the screen.

A command is scanned like any code; the app acts on it instead of looking it up."""

from __future__ import annotations

PREFIX = "SK:"
CONFIRM, CANCEL = "confirm", "cancel"
LOOKUP, RECEIVE, MOVE, COUNT, ISSUE, PICK, WAITING = "lookup", "receive", "move", "count", "issue", "pick", "waiting"
SHIP = "ship"
SIGN_OUT = "sign_out"
SALE, SCRAP = "sale", "scrap"  # the reason of an issue, on the issue screen
CORRECT = "correct"  # on a count document's screen: set what you counted of a line (recordCount SET)
# On the pick screen: a line is short, and why; give the list's claim up.
SHORT, RELEASE = "short", "release"
MISSING, DAMAGED, EXPIRED = "missing", "damaged", "expired"
CLOSE = "close"  # on the ship screen: close the box being packed
COMMANDS = {
    "SK:CONFIRM": CONFIRM, "SK:CANCEL": CANCEL, "SK:LOOKUP": LOOKUP, "SK:RECEIVE": RECEIVE,
    "SK:MOVE": MOVE, "SK:COUNT": COUNT, "SK:ISSUE": ISSUE, "SK:WAITING": WAITING, "SK:SIGNOUT": SIGN_OUT,
    "SK:SALE": SALE, "SK:SCRAP": SCRAP, "SK:CORRECT": CORRECT, "SK:PICK": PICK, "SK:SHORT": SHORT,
    "SK:RELEASE": RELEASE, "SK:MISSING": MISSING, "SK:DAMAGED": DAMAGED, "SK:EXPIRED": EXPIRED,
    "SK:SHIP": SHIP, "SK:CLOSE": CLOSE,
}  # fmt: skip
# Commands that open a screen (of that name); the others act on the screen that is showing.
SCREENS = (LOOKUP, RECEIVE, MOVE, COUNT, ISSUE, PICK, SHIP, WAITING)


def command(code: str) -> str | None:
    """The command a scanned code stands for, if it is one (case-free, like every code)."""
    return COMMANDS.get(code.strip().upper())
