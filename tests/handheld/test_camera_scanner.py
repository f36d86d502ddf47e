"""Frames to codes with zxing-cpp: barcodes zxing-cpp draws itself, handed over as a camera gives them."""

from __future__ import annotations

import pytest
import zxingcpp
from PIL import Image

from handheld import camera_scanner
from handheld.camera_scanner import decode_frame
from handheld.logic.capture import GS, Captured

GS1 = f"010400638133393110LOT42{GS}172712313012"


def rgba_frame(barcode: zxingcpp.Barcode, *, scale: int = 4, canvas: tuple[int, int] = (640, 480)) -> Image.Image:
    """The barcode in the middle of a larger light-grey frame, as a Kivy texture holds it (RGBA)."""
    symbol = Image.fromarray(barcode.to_image(scale=scale)).convert("RGBA")
    frame = Image.new("RGBA", canvas, (230, 230, 230, 255))
    frame.paste(symbol, ((canvas[0] - symbol.width) // 2, (canvas[1] - symbol.height) // 2))
    return frame


def test_an_ean13_in_texture_pixels_is_the_code_with_its_symbology() -> None:
    frame = rgba_frame(zxingcpp.create_barcode("400638133393", zxingcpp.BarcodeFormat.EAN13))

    assert decode_frame(frame.tobytes(), frame.size) == Captured("4006381333931", by_scanner=True, symbology="EAN-13")


def test_a_gs1_datamatrix_keeps_its_group_separator() -> None:
    barcode = zxingcpp.create_barcode(
        "(01)04006381333931(10)LOT42(17)271231(30)12", zxingcpp.BarcodeFormat.DataMatrix, gs1=True
    )
    frame = rgba_frame(barcode)

    assert decode_frame(frame.tobytes(), frame.size) == Captured(GS1, by_scanner=True, symbology="GS1 DataMatrix")


def test_an_rgb_frame_and_a_grey_array_are_read_too() -> None:
    barcode = zxingcpp.create_barcode(
        "(01)04006381333931(10)LOT42(17)271231(30)12", zxingcpp.BarcodeFormat.Code128, gs1=True
    )
    rgb = rgba_frame(barcode, scale=2, canvas=(1280, 480)).convert("RGB")

    assert decode_frame(rgb.tobytes(), rgb.size, pixel_format="RGB") == Captured(GS1, True, "GS1-128")
    assert decode_frame(barcode.to_image(scale=2)) == Captured(GS1, True, "GS1-128"), "an array with a shape"


def test_a_frame_without_a_barcode_is_no_scan() -> None:
    frame = Image.new("RGBA", (320, 240), (230, 230, 230, 255))

    assert decode_frame(frame.tobytes(), frame.size) is None


def test_no_camera_button_without_a_camera(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(camera_scanner.glob, "glob", lambda _pattern: [])
    monkeypatch.setattr("kivy.utils.platform", "linux")

    assert not camera_scanner.has_camera()
    assert camera_scanner.offer(shell=None, on_code=print) is None, "nothing is added to the window"
