"""GS1 data written the two other ways a label carries it, turned into the element string that
``server.scanning.service`` parses: the bracketed human-readable form, ``(01)04006381333931(10)LOT42``,
and a GS1 Digital Link URL, ``https://id.gs1.org/01/04006381333931/10/LOT42?17=271231``.

Pure functions: no database, no I/O.
"""

from __future__ import annotations

import re

from biip import ParseError
from biip.gs1_application_identifiers import GS1ApplicationIdentifier
from biip.gs1_digital_link_uris import GS1DigitalLinkURI

from server.errors import Invalid

GROUP_SEPARATOR = "\x1d"  # FNC1 inside a GS1-128 or DataMatrix symbol
_BRACKETED_AI = re.compile(r"\((\d{2,4})\)")
_WHITESPACE = re.compile(r"\s+")


def element_string(code: str) -> str | None:
    """The GS1 element string ``code`` carries when it is bracketed GS1 or a Digital Link URL.

    None when it has neither shape (it may still be plain GS1 or no GS1 at all); ``Invalid``
    with a reason when it has one of them but its data cannot be GS1.
    """
    text = code.strip()
    if text.startswith("("):
        return from_brackets(text)
    if text[:8].lower().startswith(("http://", "https://")):
        return from_digital_link(text)
    return None


def known_ai(number: str) -> GS1ApplicationIdentifier | None:
    """The application identifier ``number`` is, if GS1 defines it."""
    try:
        ai = GS1ApplicationIdentifier.extract(number)
    except ParseError:
        return None
    return ai if ai.ai == number else None


def from_brackets(text: str) -> str:
    """``(01)04006381333931(10)LOT42(17)271231`` → ``010400638133393110LOT42<GS>17271231``.

    Only a known application identifier in brackets starts an element, so a lot like ``LOT(4)``
    keeps its brackets; spaces between elements are dropped (no GS1 value holds one). A
    variable-length value is ended by a group separator unless it is the last.
    """
    starts = [match for match in _BRACKETED_AI.finditer(text) if known_ai(match.group(1)) is not None]
    if not starts or starts[0].start() != 0:
        raise Invalid("The code starts with a bracket but holds no GS1 application identifier, like (01).")
    elements: list[tuple[GS1ApplicationIdentifier, str]] = []
    for index, match in enumerate(starts):
        end = starts[index + 1].start() if index + 1 < len(starts) else len(text)
        value = _WHITESPACE.sub("", text[match.end() : end])
        ai = known_ai(match.group(1))
        assert ai is not None
        if not value:
            raise Invalid(f"The GS1 element ({ai.ai}) has no value.")
        elements.append((ai, value))
    return _joined(elements)


def from_digital_link(url: str) -> str:
    """The element string of a GS1 Digital Link URL: the path's identifiers, then its query's attributes."""
    try:
        link = GS1DigitalLinkURI.parse(url)
    except (ParseError, ValueError):
        raise Invalid("This web address is not a GS1 Digital Link (no GS1 identifier in its path).") from None
    return _joined([(element.ai, element.value) for element in link.element_strings])


def _joined(elements: list[tuple[GS1ApplicationIdentifier, str]]) -> str:
    parts = []
    for index, (ai, value) in enumerate(elements):
        last = index == len(elements) - 1
        parts.append(ai.ai + value + ("" if last or not ai.separator_required else GROUP_SEPARATOR))
    return "".join(parts)
