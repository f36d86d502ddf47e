"""A store's logo, checked when it is uploaded, so that rendering never meets a bad image."""

from __future__ import annotations

import base64
import binascii
import io
import warnings

from fpdf import FPDF
from PIL import Image, UnidentifiedImageError

from server.errors import Invalid

MAX_BYTES = 512 * 1024
MAX_SIDE = 4000  # pixels: a letterhead logo is printed 60 mm wide; bigger only costs memory
FORMATS = {"PNG", "JPEG"}


def check_logo(data: bytes, field: str = "logo") -> bytes:
    """``data`` if it is a PNG or JPEG of at most 512 KiB and 4000 by 4000 pixels that decodes whole."""
    if not data:
        raise Invalid("The logo is empty.", field=field)
    if len(data) > MAX_BYTES:
        raise Invalid(f"A logo has at most {MAX_BYTES // 1024} KiB.", field=field)
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("error", Image.DecompressionBombWarning)
            with Image.open(io.BytesIO(data), formats=sorted(FORMATS)) as image:
                width, height = image.size  # read from the header: checked before decoding anything
                if not (0 < width <= MAX_SIDE and 0 < height <= MAX_SIDE):
                    raise Invalid(f"A logo is at most {MAX_SIDE} by {MAX_SIDE} pixels.", field=field)
                image.load()  # decodes every pixel: a truncated or corrupt file fails here, not when printing
    except Invalid:
        raise
    except (UnidentifiedImageError, OSError, SyntaxError, ValueError, EOFError, Image.DecompressionBombWarning,
            Image.DecompressionBombError):  # fmt: skip
        raise Invalid("The logo must be a PNG or JPEG image.", field=field) from None
    _drawable(data, field)
    return data


def _drawable(data: bytes, field: str) -> None:
    """Draw it once, as every document will: whatever Pillow reads but the PDF library cannot embed
    (an unusual colour mode) is refused now rather than breaking every document of the store."""
    sheet = FPDF()
    sheet.add_page()
    try:
        sheet.image(io.BytesIO(data), w=10)
    except Exception:  # fpdf2 raises many kinds; any of them means: this logo cannot be printed
        raise Invalid("The logo must be a PNG or JPEG image that can be printed.", field=field) from None


def logo_from_base64(text: str | None, field: str = "logo") -> bytes | None:
    """The bytes of a logo sent as base64 text (GraphQL has no bytes); None for none. ``check_logo``
    checks what they are."""
    if text is None or text == "":
        return None
    if len(text) > (MAX_BYTES * 4) // 3 + 8:  # longer than any accepted logo's base64, not decoded at all
        raise Invalid(f"A logo has at most {MAX_BYTES // 1024} KiB.", field=field)
    try:
        data = base64.b64decode(text.strip(), validate=True)
    except (binascii.Error, ValueError):
        raise Invalid("The logo must be base64-encoded.", field=field) from None
    return data
