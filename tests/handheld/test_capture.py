"""Keystrokes to codes, as Kivy delivers a wedge scanner's keys to the window (no window needed).

The events below are what Kivy 2.3 under X11 was seen to send: for each key a key-down (with the
unshifted character and the modifiers), then a text event with the character as typed (only while
the system's text input is on), then a key-up; Shift, Ctrl and Alt are keys of their own.
"""

from __future__ import annotations

import pytest

from handheld.logic.capture import GS, Captured, KeyCapture, KeyResult, ScannerSetup

SHIFT, CTRL, ALT, NUMLOCK = 304, 305, 308, 300
ENTER, TAB, KEYPAD_ENTER, BACKSPACE, ESCAPE = 13, 9, 271, 8, 27
SCANNER_GAP = 0.004  # seconds between a scanner's keys
PERSON_GAP = 0.25  # between a person's
UNSHIFTED = dict(zip('!@#$%^&*()_+{}|:"<>?~', "1234567890-=[]\\;',./`", strict=True))


class Keyboard:
    """Feeds a KeyCapture the events of typing, with a clock."""

    def __init__(self, capture: KeyCapture, *, text_events: bool = True) -> None:
        self.capture = capture
        self.text_events = text_events
        self.now = 100.0
        self.results: list[KeyResult] = []

    @property
    def codes(self) -> list[Captured]:
        return [result.captured for result in self.results if result.captured is not None]

    @property
    def scan_result(self) -> KeyResult:
        return next(result for result in self.results if result.captured is not None)

    def _down(self, key: int, codepoint: str | None, modifiers: list[str]) -> None:
        self.results.append(self.capture.key_down(key, codepoint, modifiers, self.now))

    def _up(self, key: int) -> None:
        self.results.append(self.capture.key_up(key, self.now))

    def type(self, text: str, gap: float = SCANNER_GAP) -> None:
        for char in text:
            self.now += gap
            if char == GS:
                self.ctrl_bracket()
                continue
            shifted = char.isupper() or char in UNSHIFTED
            base = char.lower() if char.isalpha() else UNSHIFTED.get(char, char)
            if shifted:
                self._down(SHIFT, chr(SHIFT), ["shift"])
            self._down(ord(base), base, ["shift"] if shifted else [])
            if self.text_events:
                self.results.append(self.capture.text(char, self.now))
            self._up(ord(base))
            if shifted:
                self._up(SHIFT)

    def key(self, key: int, gap: float = SCANNER_GAP) -> None:
        self.now += gap
        self._down(key, None, [])
        self._up(key)

    def ctrl_bracket(self) -> None:
        self._down(CTRL, chr(CTRL), ["ctrl"])
        self._down(93, "]", ["ctrl"])
        self._up(CTRL)
        self._up(93)

    def alt_code(self, digits: str) -> None:
        """Alt held while the digits are typed on the keypad; the system also sends them as text."""
        self._down(ALT, chr(ALT), ["alt"])
        for digit in digits:
            self.now += SCANNER_GAP
            self._down(NUMLOCK, chr(NUMLOCK), ["alt", "numlock"])
            self._down(256 + int(digit), chr(256 + int(digit)), ["alt", "numlock"])
            self.results.append(self.capture.text(digit, self.now))
            self._up(NUMLOCK)
            self._up(256 + int(digit))
        self._up(ALT)


@pytest.fixture
def keyboard() -> Keyboard:
    return Keyboard(KeyCapture())


def test_a_burst_ending_in_enter_is_one_scanned_code(keyboard: Keyboard) -> None:
    keyboard.type("4006381333931")
    keyboard.key(ENTER)

    assert keyboard.codes == [Captured("4006381333931", by_scanner=True)]
    assert keyboard.scan_result.swallow, "the scanner's Enter goes no further"


def test_ctrl_right_bracket_is_the_gs1_group_separator(keyboard: Keyboard) -> None:
    keyboard.type("010400638133393110LOT42")
    keyboard.ctrl_bracket()
    keyboard.type("172712313012")
    keyboard.key(ENTER)

    assert [c.code for c in keyboard.codes] == [f"010400638133393110LOT42{GS}172712313012"]


def test_alt_0029_on_the_keypad_is_the_group_separator_and_its_digits_are_not_typed(keyboard: Keyboard) -> None:
    keyboard.type("010400638133393110LOT42")
    keyboard.alt_code("029")
    keyboard.type("172712313012")
    keyboard.key(ENTER)

    assert [c.code for c in keyboard.codes] == [f"010400638133393110LOT42{GS}172712313012"]


def test_a_configured_stand_in_becomes_the_group_separator() -> None:
    keyboard = Keyboard(KeyCapture(ScannerSetup(gs_standin="~")))

    keyboard.type("10LOT42~17271231")
    keyboard.key(ENTER)

    assert [c.code for c in keyboard.codes] == [f"10LOT42{GS}17271231"]


@pytest.mark.parametrize("terminator", [ENTER, KEYPAD_ENTER, TAB])
def test_enter_keypad_enter_and_tab_each_end_a_code(keyboard: Keyboard, terminator: int) -> None:
    keyboard.type("WH1-A-01")
    keyboard.key(terminator)
    keyboard.type("MUG-WHITE")
    keyboard.key(terminator)

    assert [c.code for c in keyboard.codes] == ["WH1-A-01", "MUG-WHITE"]


def test_a_configured_suffix_ends_a_code_and_is_not_part_of_it() -> None:
    keyboard = Keyboard(KeyCapture(ScannerSetup(suffix="#")))

    keyboard.type("4006381333931#96385074#")

    assert [c.code for c in keyboard.codes] == ["4006381333931", "96385074"]


def test_a_configured_prefix_starts_a_code_and_what_came_before_it_is_dropped() -> None:
    keyboard = Keyboard(KeyCapture(ScannerSetup(prefix="$$")))

    keyboard.type("x", gap=PERSON_GAP)
    keyboard.type("$$4006381333931")
    keyboard.key(ENTER)

    assert keyboard.codes == [Captured("4006381333931", by_scanner=True)]


def test_without_text_events_shift_still_makes_capitals_and_brackets() -> None:
    # Kivy stops the system's text input once a text field lets the focus go: only key-downs come.
    keyboard = Keyboard(KeyCapture(), text_events=False)

    keyboard.type("(01)04006381333931(10)Lot-42")
    keyboard.key(ENTER)

    assert [c.code for c in keyboard.codes] == ["(01)04006381333931(10)Lot-42"]


def test_an_aim_symbology_identifier_is_taken_off_and_named(keyboard: Keyboard) -> None:
    keyboard.type("]E04006381333931")
    keyboard.key(ENTER)

    assert keyboard.codes == [Captured("4006381333931", by_scanner=True, symbology="EAN-13")]


def test_a_person_typing_is_told_apart_from_a_scanner(keyboard: Keyboard) -> None:
    keyboard.type("WH1-A-01", gap=PERSON_GAP)
    keyboard.key(ENTER, gap=PERSON_GAP)
    keyboard.type("WH1-A-01")
    keyboard.key(ENTER)

    assert [(c.code, c.by_scanner) for c in keyboard.codes] == [("WH1-A-01", False), ("WH1-A-01", True)]


def test_a_stray_key_long_before_a_scan_is_not_part_of_it(keyboard: Keyboard) -> None:
    keyboard.type("7", gap=PERSON_GAP)
    keyboard.now += 2.0
    keyboard.type("4006381333931")
    keyboard.key(ENTER)

    assert [c.code for c in keyboard.codes] == ["4006381333931"]


def test_a_pause_inside_a_burst_when_the_app_was_busy_keeps_the_whole_code(keyboard: Keyboard) -> None:
    keyboard.type("400638")
    keyboard.now += 0.3  # the UI thread drew a frame in the middle of the scan
    keyboard.type("1333931")
    keyboard.key(ENTER)

    assert [c.code for c in keyboard.codes] == ["4006381333931"]


def test_backspace_and_escape_edit_what_a_person_types(keyboard: Keyboard) -> None:
    keyboard.type("WH1-A-0X", gap=PERSON_GAP)
    keyboard.key(BACKSPACE, gap=PERSON_GAP)
    keyboard.type("1", gap=PERSON_GAP)
    assert keyboard.capture.text_so_far == "WH1-A-01"
    keyboard.key(ESCAPE, gap=PERSON_GAP)
    keyboard.type("MUG", gap=PERSON_GAP)
    keyboard.key(ENTER, gap=PERSON_GAP)

    assert [c.code for c in keyboard.codes] == ["MUG"]


def test_in_a_text_field_a_persons_keys_are_left_to_the_field() -> None:
    capture = KeyCapture()
    capture.guarded = True
    keyboard = Keyboard(capture)

    keyboard.type("demo-password", gap=PERSON_GAP)
    keyboard.key(ENTER, gap=PERSON_GAP)

    assert keyboard.codes == []
    assert not any(result.swallow for result in keyboard.results), "the field gets every key, Enter too"


def test_in_a_text_field_a_burst_is_a_scan_and_says_where_it_started(keyboard: Keyboard) -> None:
    keyboard.capture.guarded = True

    keyboard.type("4006381333931")
    keyboard.key(ENTER)

    assert keyboard.codes == [Captured("4006381333931", by_scanner=True)]
    assert keyboard.results[0].started or keyboard.results[1].started
    assert keyboard.scan_result.swallow, "the scan's Enter must not sign in"


def test_an_empty_enter_is_an_empty_code_on_a_scan_screen(keyboard: Keyboard) -> None:
    keyboard.key(ENTER)

    assert [c.code for c in keyboard.codes] == [""]
