"""A quantity keyed on the big number pad (or typed): digits, one decimal point, at most four places,
as the server takes it (a string of digits)."""

from __future__ import annotations

from decimal import Decimal, InvalidOperation

PLACES = 4
MAX_DIGITS = 12
BACK, CLEAR, POINT = "back", "clear", "."


class QuantityEntry:
    """What the number pad shows; ``value`` is None until it is a quantity above zero (or zero, for a count)."""

    def __init__(self, text: str = "", *, allow_zero: bool = False) -> None:
        self.text = ""
        self.allow_zero = allow_zero
        self.set(text)

    def press(self, key: str) -> str:
        if key == BACK:
            self.text = self.text[:-1]
        elif key == CLEAR:
            self.text = ""
        elif key == POINT:
            if POINT not in self.text:
                self.text = (self.text or "0") + POINT
        elif key.isdigit() and len(key) == 1:
            whole, point, places = self.text.partition(POINT)
            if (point and len(places) >= PLACES) or len(whole + places) >= MAX_DIGITS:
                return self.text
            self.text = key if self.text == "0" else self.text + key
        return self.text

    def set(self, text: str) -> str:
        """Replace with typed text, key by key, so the same limits hold."""
        self.text = ""
        for char in text.strip():
            self.press(char)
        return self.text

    @property
    def value(self) -> Decimal | None:
        if not self.text or self.text.endswith(POINT):
            return None
        value = Decimal(self.text)
        return value if value > 0 or (self.allow_zero and value == 0) else None

    @property
    def for_server(self) -> str:
        """``"12"``, ``"0.5"``: digits, as the server wants quantities."""
        value = self.value
        return "" if value is None else format(value.normalize(), "f")


def format_quantity(value: Decimal) -> str:
    """``Decimal("12.5000")`` → ``12.5``; whole numbers without a decimal point."""
    text = f"{value.normalize():f}"
    return "0" if text in ("-0", "0") else text


def shown_quantity(text: str) -> str:
    """A quantity as the server writes it (``"48.0000"``) as the screens do (``"48"``); what is no number stays."""
    try:
        return format_quantity(Decimal(text))
    except InvalidOperation:
        return text
