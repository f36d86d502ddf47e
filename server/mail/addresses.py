"""Mail addresses as the outbox takes them: plain ``local@domain``, nothing a header could be bent with.

Deliberately narrower than RFC 5322: no display names, comments, quoted local parts or IP-literal
domains, no spaces, commas, angle brackets or line breaks, so an address cannot smuggle a second
recipient or a header. Internationalised domains are taken in their ASCII (``xn--``) form.
"""

from __future__ import annotations

import re

MAX_LENGTH = 254  # RFC 5321: the longest path a server must accept
_LOCAL = re.compile(r"[A-Za-z0-9!#$%&'*+/=?^_`{|}~-]+(?:\.[A-Za-z0-9!#$%&'*+/=?^_`{|}~-]+)*")
_LABEL = re.compile(r"[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?")


def valid_address(value: object) -> bool:
    if not isinstance(value, str) or not 3 <= len(value) <= MAX_LENGTH:
        return False
    local, at, domain = value.rpartition("@")
    if not at or len(local) > 64 or not _LOCAL.fullmatch(local):
        return False
    labels = domain.split(".")
    return all(_LABEL.fullmatch(label) for label in labels) and not labels[-1].isdigit()
