"""Every text a caller sends, checked and put in its canonical form in one place.

Three shapes, each bound to the column it ends up in (``column_length``):

- ``Code``: identifiers people type, scan and print (SKUs, warehouse, location and lot codes,
  free-form barcodes). NFKC first (full-width letters become ASCII), then printable ASCII without
  spaces, then capitals: codes are case-free, so MUG-WHITE and mug-white are one code, and no two
  codes can look alike (no Cyrillic A beside a Latin one, no zero-width space, no right-to-left
  override).
- ``Text``: names and other free text: NFC, without control, format or unpaired-surrogate
  characters (the ones that hide or reorder what a person reads, or that no database stores).
  Usernames follow the same rule in lower case.
- ``Opaque``: strings compared exactly (idempotency keys, role names): printable, bounded.

Writes call ``clean`` and get an ``Invalid`` naming the field. Lookups and filters call ``key``
and get None for a string no row can hold, so they answer "not found" instead of sending the
database what it refuses (PostgreSQL stores no NUL; Tortoise raises on a filter value longer
than its CharField).
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Callable
from dataclasses import dataclass

from tortoise.models import Model

from server.errors import Field, Invalid

# Zero-width (non-)joiners are format characters that Persian, Indic scripts and emoji need.
_JOINERS = frozenset("\u200c\u200d")
_REFUSED_CATEGORIES = frozenset({"Cc", "Cf", "Cs", "Zl", "Zp"})
# Letters and symbols that draw nothing: Hangul fillers and the blank Braille pattern.
_BLANKS = frozenset("\u115f\u1160\u3164\uffa0\u2800")
PRINTABLE_ASCII = re.compile(r"[!-~]+")
# Location and warehouse codes go on bin labels and into paths: a letter or digit first.
LABEL_CODE = re.compile(r"[A-Z0-9][A-Z0-9._/-]*")
# Usernames are typed at a login screen and read in audit logs: no look-alikes there either.
LOGIN_NAME = re.compile(r"[a-z0-9][a-z0-9._@+-]*")


def column_length(model: type[Model], field: str) -> int:
    """The length of a CharField: the limit its input is checked against."""
    length = model._meta.fields_map[field].max_length  # type: ignore[attr-defined]
    assert isinstance(length, int), f"{model.__name__}.{field} has no max_length"
    return length


def hidden_character(value: str, *, multiline: bool = False) -> str | None:
    """The first character a person would not see, or no database could store; None if there is none."""
    for char in value:
        if multiline and char in "\n\t":
            continue
        if (unicodedata.category(char) in _REFUSED_CATEGORIES and char not in _JOINERS) or char in _BLANKS:
            return char
    return None


def _visible(char: str) -> bool:
    return unicodedata.category(char)[0] in "LNPS" and char not in _BLANKS


def _longer_than_any_row(value: str, max_length: int) -> bool:
    # Normalising can shorten a string (composing accents, stripping spaces), but not by this much;
    # the check keeps a 10 MB string from being normalised at all.
    return len(value) > 4 * max_length + 64


@dataclass(frozen=True)
class Code:
    label: str
    max_length: int
    pattern: re.Pattern[str] = PRINTABLE_ASCII
    rule: str = "letters, digits and ASCII punctuation, without spaces"
    case: Callable[[str], str] = str.upper  # the one case a code is kept in

    def key(self, value: object) -> str | None:
        """The canonical form of ``value``, or None when it cannot be such a code."""
        if not isinstance(value, str) or _longer_than_any_row(value, self.max_length):
            return None
        text = self.case((value if value.isascii() else unicodedata.normalize("NFKC", value)).strip())
        if 0 < len(text) <= self.max_length and self.pattern.fullmatch(text):
            return text
        return None

    def clean(self, value: object, field: Field) -> str:
        key = self.key(value)
        if key is None:
            raise Invalid(f"A {self.label} has 1 to {self.max_length} {self.rule}.", field=field)
        return key


@dataclass(frozen=True)
class Text:
    label: str
    max_length: int
    multiline: bool = False

    def _normal(self, value: object) -> str | None:
        if not isinstance(value, str) or _longer_than_any_row(value, self.max_length):
            return None
        text = unicodedata.normalize("NFC", value).strip() if not value.isascii() else value.strip()
        if len(text) > self.max_length or hidden_character(text, multiline=self.multiline) is not None:
            return None
        if text and not any(_visible(char) for char in text):  # only spaces, accents or selectors
            return None
        return text

    def key(self, value: object) -> str | None:
        """``value`` as stored, or None when no row can hold it (for filters and lookups by name)."""
        text = self._normal(value)
        return text or None

    def clean(self, value: object, field: Field) -> str:
        """The text to store; it must not be empty."""
        text = self.optional(value, field)
        if text is None:
            raise Invalid(f"The {self.label} must not be empty.", field=field)
        return text

    def optional(self, value: object, field: Field) -> str | None:
        """The text to store, or None for an empty one."""
        text = self._normal(value)
        if text is None:
            raise Invalid(
                f"The {self.label} has at most {self.max_length} characters, without control or invisible"
                " formatting characters.",
                field=field,
            )
        return text or None


@dataclass(frozen=True)
class Opaque:
    """A string compared exactly as given (after trimming): printable characters only."""

    label: str
    max_length: int

    def key(self, value: object) -> str | None:
        if not isinstance(value, str) or _longer_than_any_row(value, self.max_length):
            return None
        text = value.strip()
        return text if 0 < len(text) <= self.max_length and text.isprintable() else None

    def clean(self, value: object, field: Field) -> str:
        key = self.key(value)
        if key is None:
            raise Invalid(f"The {self.label} has 1 to {self.max_length} printable characters.", field=field)
        return key


def shown(value: str, limit: int = 60) -> str:
    """``value`` quoted for a message, cut so that a 10 MB input does not come back 10 MB long."""
    return repr(value if len(value) <= limit else value[: limit - 3] + "...")


def _unstorable(char: str) -> bool:
    return char == "\x00" or "\ud800" <= char <= "\udfff"


def storable(value: str) -> str:
    """``value`` with what no database or JSON encoder takes (NUL, unpaired surrogates) escaped as ``\\x00``."""
    if not any(_unstorable(char) for char in value):
        return value
    return "".join(char.encode("unicode_escape").decode() if _unstorable(char) else char for char in value)


def for_log(value: str, max_length: int) -> str:
    """``value`` as a log may keep it: made storable, cut to ``max_length``."""
    return storable(value[:max_length])[:max_length]
