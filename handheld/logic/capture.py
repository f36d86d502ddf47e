"""Keystrokes in, scanned codes out: what a keyboard-wedge scanner types, caught for the whole window.

A wedge scanner is a keyboard that types very fast. This class is fed every key event of the
window (Kivy's key numbers and modifier names, passed in: no Kivy import) and returns a code when
one is complete, so no code depends on which widget holds the focus.

- A GS1 group separator arrives as Ctrl+], as Alt+0029 on the keypad, or as a configured stand-in.
- A code ends with Enter, keypad Enter, Tab or a configured suffix; an optional prefix starts one.
- An AIM symbology identifier in front (``]C1``, ``]E0``, ``]d2`` ...) is taken off and named.
- A burst (at least ``min_burst`` keys, each within ``burst_gap`` of the next) is a scanner; slower
  keys are a person. While a text field has the focus (``guarded``), a person's keys belong to the
  field and only a burst is taken as a scan; a key typed long before a burst is not part of it.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from itertools import pairwise

GS = "\x1d"
ENTER, TAB, BACKSPACE, ESCAPE, RIGHT_BRACKET = 13, 9, 8, 27, 93
KEYPAD_ENTER = 271
KEYPAD = {**{256 + digit: str(digit) for digit in range(10)}, 266: ".", 267: "/", 268: "*", 269: "-", 270: "+"}
ALT_KEYS = frozenset({307, 308})
MODIFIER_KEYS = range(300, 314)  # num lock, caps lock, shift, ctrl, alt, meta, ...
TERMINATORS = frozenset({ENTER, KEYPAD_ENTER, TAB})
# What Shift does on the US layout scanners emulate, for when the system sends no text event.
SHIFTED = dict(zip("1234567890-=[]\\;',./`", '!@#$%^&*()_+{}|:"<>?~', strict=True))
AIM_SYMBOLOGIES = {
    "]C1": "GS1-128", "]C0": "Code 128", "]E0": "EAN-13", "]E4": "EAN-8", "]E3": "EAN-13",
    "]A0": "Code 39", "]I1": "ITF-14", "]e0": "GS1 DataBar", "]d1": "Data Matrix", "]d2": "GS1 DataMatrix",
    "]Q1": "QR Code", "]Q3": "GS1 QR Code",
}  # fmt: skip


@dataclass(frozen=True)
class ScannerSetup:
    """How the scanner is configured; the defaults fit a scanner out of the box."""

    prefix: str = ""
    suffix: str = ""
    gs_standin: str = ""
    burst_gap: float = 0.06
    min_burst: int = 4
    stale_gap: float = 1.0


@dataclass(frozen=True)
class Captured:
    """A complete code; ``by_scanner`` when it came as a burst (or after the prefix)."""

    code: str
    by_scanner: bool
    symbology: str | None = None


@dataclass(frozen=True)
class KeyResult:
    """What to do with one key event.

    ``swallow``: the focused widget must not see it. ``started``: it begins a new sequence, so the
    focused field's text as it is now is what to put back if the sequence turns out to be a scan.
    """

    captured: Captured | None = None
    swallow: bool = False
    started: bool = False


class KeyCapture:
    """Turns the window's key events into ``Captured`` codes; ``guarded`` while a text field has the focus."""

    def __init__(self, setup: ScannerSetup | None = None) -> None:
        self.setup = setup or ScannerSetup()
        self.guarded = False
        self._keys: list[tuple[str, float]] = []
        self._pending: tuple[str, float] | None = None  # from a key down, until its text event replaces it
        self._alt_digits: str | None = None
        self._texts_to_drop = 0
        self._prefixed = False
        self._ready: Captured | None = None  # completed by a suffix while handling another key

    @property
    def text_so_far(self) -> str:
        """What has been typed since the last code, for the screen to echo."""
        pending = self._pending[0] if self._pending else ""
        return "".join(char for char, _ in self._keys) + pending

    def clear(self) -> None:
        """Forget a half-typed sequence (the focus moved, or the person pressed Escape)."""
        self._keys.clear()
        self._pending = None
        self._alt_digits = None
        self._prefixed = False
        self._ready = None

    def key_down(self, key: int, codepoint: str | None, modifiers: Sequence[str], now: float) -> KeyResult:
        if key in MODIFIER_KEYS:
            if key in ALT_KEYS:
                self._alt_digits = ""
            return self._with_ready(KeyResult())
        started = self._empty
        self._commit_pending()
        if self._alt_digits is not None and KEYPAD.get(key, "").isdigit():
            self._alt_digits += KEYPAD[key]
            self._texts_to_drop += 1  # the system may send the digit as text too
            return self._with_ready(KeyResult(swallow=True, started=started))
        if "ctrl" in modifiers:
            if key != RIGHT_BRACKET:
                return self._with_ready(KeyResult())
            self._append(GS, now)
            return self._with_ready(KeyResult(swallow=True, started=started))
        if key in TERMINATORS:
            ready, self._ready = self._ready, None
            return _emit(ready or self._complete(now))
        exclusive = not self.guarded
        if key == BACKSPACE:
            if self._keys:
                self._keys.pop()
            return self._with_ready(KeyResult(swallow=exclusive))
        if key == ESCAPE:
            self.clear()
            return KeyResult(swallow=exclusive)
        char = self._character(key, codepoint, modifiers)
        if char is not None:
            self._pending = (char, now)
        return self._with_ready(KeyResult(swallow=exclusive and char is not None, started=started))

    def key_up(self, key: int, now: float) -> KeyResult:
        if key in ALT_KEYS and self._alt_digits is not None:
            digits, self._alt_digits = self._alt_digits, None
            if digits:
                started = self._empty
                self._append(chr(int(digits) % 256), now)
                return self._with_ready(KeyResult(swallow=True, started=started))
        self._commit_pending()
        return self._with_ready(KeyResult())

    def text(self, text: str, now: float) -> KeyResult:
        """The system's text event: the character as the keyboard layout made it."""
        if self._texts_to_drop:
            self._texts_to_drop -= 1
            return KeyResult(swallow=True)
        started = self._empty
        at = now
        if self._pending is not None:
            at, self._pending = self._pending[1], None
        for char in text:
            self._append(char, at)
        return self._with_ready(KeyResult(swallow=not self.guarded, started=started))

    @property
    def _empty(self) -> bool:
        return not self._keys and self._pending is None

    def _with_ready(self, result: KeyResult) -> KeyResult:
        ready, self._ready = self._ready, None
        return result if ready is None else _emit(ready)

    def _character(self, key: int, codepoint: str | None, modifiers: Sequence[str]) -> str | None:
        if key in KEYPAD:
            return KEYPAD[key]
        if "alt" in modifiers or "meta" in modifiers:
            return None
        if not codepoint or len(codepoint) != 1 or not codepoint.isprintable():
            return None
        shift = "shift" in modifiers
        if codepoint.isalpha():
            return codepoint.upper() if shift != ("capslock" in modifiers) else codepoint.lower()
        return SHIFTED.get(codepoint, codepoint) if shift else codepoint

    def _commit_pending(self) -> None:
        if self._pending is not None:
            char, at = self._pending
            self._pending = None
            self._append(char, at)

    def _append(self, char: str, at: float) -> None:
        self._keys.append((char, at))
        typed = self.text_so_far
        if self.setup.prefix and typed.endswith(self.setup.prefix):
            self._keys.clear()
            self._prefixed = True
        elif self.setup.suffix and typed.endswith(self.setup.suffix):
            del self._keys[len(self._keys) - len(self.setup.suffix) :]
            self._ready = self._complete(at)

    def _complete(self, end: float) -> Captured | None:
        """The code typed so far, or None when it was a person typing into a text field."""
        keys, prefixed = list(self._keys), self._prefixed
        self._keys.clear()
        self._prefixed = False
        tail, longest = _runs(keys, end, self.setup.burst_gap)
        by_scanner = prefixed or longest >= self.setup.min_burst
        if self.guarded and not by_scanner:
            return None
        if self.setup.min_burst <= tail < len(keys) and keys[-tail][1] - keys[-tail - 1][1] >= self.setup.stale_gap:
            keys = keys[-tail:]  # a stray key long before the burst is not part of the scan
        code = "".join(char for char, _ in keys)
        if self.setup.gs_standin:
            code = code.replace(self.setup.gs_standin, GS)
        symbology = AIM_SYMBOLOGIES.get(code[:3])
        return Captured(code[3:] if symbology else code, by_scanner, symbology)


def _emit(captured: Captured | None) -> KeyResult:
    # A person's Enter or Tab in a text field is the field's own: not swallowed.
    return KeyResult() if captured is None else KeyResult(captured=captured, swallow=True)


def _runs(keys: list[tuple[str, float]], end: float, gap: float) -> tuple[int, int]:
    """The length of the fast run of keys that ends at ``end``, and of the longest fast run."""
    if not keys:
        return 0, 0
    longest = run = 1
    for (_, before), (_, after) in pairwise(keys):
        run = run + 1 if after - before <= gap else 1
        longest = max(longest, run)
    return (run if end - keys[-1][1] <= gap else 0), longest
