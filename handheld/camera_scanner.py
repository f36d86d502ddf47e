"""Camera scanning with zxing-cpp, for a device that has a camera (a phone, a handheld whose scanner
is broken): a "Camera" button in the top bar opens the camera, and the first code read is a scan.

``decode_frame`` is plain (zxing-cpp, no Kivy) and tested on a desktop with generated barcodes. It
asks zxing-cpp for the symbol's plain text, so a GS1 code keeps its group separators (0x1D) as a
wedge scanner sends them, instead of the bracketed form zxing-cpp shows people by default. The
button and the camera view import Kivy when used; both are only built when Kivy reports a camera.
"""

from __future__ import annotations

import glob
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from typing import Any

from handheld.logic.capture import Captured
from handheld.logic.decoded import decoded

PIXEL_FORMATS = {"L": "Lum", "RGB": "RGB", "RGBA": "RGBA", "BGRA": "BGRA"}  # Kivy's texture pixels are RGBA
CHANNELS = {1: "L", 3: "RGB", 4: "RGBA"}
FRAME_INTERVAL = 0.3  # seconds between two frames tried: a code is read well within a second


def decode_frame(pixels: Any, size: tuple[int, int] | None = None, *, pixel_format: str = "RGBA") -> Captured | None:
    """The first code in one frame, as the wedge would have captured it; None when there is none.

    ``pixels``: an array with a ``shape`` (height, width[, channels]: grey, RGB or RGBA), or the bytes
    of a Kivy texture with its ``size`` (width, height) and ``pixel_format``.
    """
    import zxingcpp

    if size is None:
        shape = tuple(pixels.shape)
        (height, width), pixel_format = shape[:2], CHANNELS[shape[2] if len(shape) > 2 else 1]
    else:
        width, height = size
    image = zxingcpp.ImageView(pixels, width, height, getattr(zxingcpp.ImageFormat, PIXEL_FORMATS[pixel_format]))
    for barcode in zxingcpp.read_barcodes(image, text_mode=zxingcpp.TextMode.Plain):
        # The AIM identifier comes apart from the text here, so no scanner formatting is undone.
        found = decoded(barcode.text, aim=barcode.symbology_identifier, symbology=str(barcode.format))
        if found is not None:
            return found
    return None


def has_camera() -> bool:
    """Whether Kivy reports a camera (and zxing-cpp is there to read what it sees)."""
    try:
        import zxingcpp  # noqa: F401
    except ImportError:
        return False
    from kivy.utils import platform

    if platform == "linux" and not glob.glob("/dev/video*"):
        return False  # spares the log Kivy's cry of "no camera provider" on every start
    from kivy.core.camera import Camera

    if Camera is None:
        return False
    if platform != "android":
        return True
    from jnius import autoclass  # type: ignore[import-not-found]

    activity = autoclass("org.kivy.android.PythonActivity").mActivity
    return bool(activity.getPackageManager().hasSystemFeature("android.hardware.camera.any"))


def offer(shell: Any, on_code: Callable[[Captured], None]) -> CameraScanner | None:
    """A Camera button beside the menu button when there is a camera; None (and no button) otherwise."""
    if not has_camera():
        return None
    return CameraScanner(on_code).add_to(shell)


class CameraScanner:
    """The Camera button and the view it opens; ``on_code`` gets the first code read, on Kivy's thread."""

    def __init__(self, on_code: Callable[[Captured], None]) -> None:
        self.on_code = on_code
        self._decoder = ThreadPoolExecutor(max_workers=1, thread_name_prefix="handheld-camera")
        self._view: Any = None
        self._camera: Any = None
        self._busy = False

    def add_to(self, shell: Any) -> CameraScanner | None:
        from kivy.logger import Logger
        from kivy.uix.button import Button

        menu = next((w for w in shell.walk(restrict=True) if isinstance(w, Button) and w.text == "Menu"), None)
        if menu is None:
            Logger.warning("Handheld: no menu button to put the camera button beside")
            return None
        button = Button(text="Camera", font_size="18sp", bold=True, size_hint_x=None, width="96dp")
        button.background_normal, button.background_color = "", menu.background_color
        button.bind(on_release=lambda _button: self.open())
        menu.parent.add_widget(button)
        return self

    def open(self) -> None:
        from kivy.utils import platform

        if platform == "android":
            from android.permissions import Permission, check_permission, request_permissions  # type: ignore

            if not check_permission(Permission.CAMERA):
                request_permissions([Permission.CAMERA], self._permission_answered)
                return
        self._open()

    def _permission_answered(self, _permissions: list[str], granted: list[bool]) -> None:
        from kivy.clock import Clock

        if all(granted):
            Clock.schedule_once(lambda _dt: self._open())  # the answer comes on Android's thread

    def _open(self) -> None:
        from kivy.clock import Clock
        from kivy.logger import Logger
        from kivy.uix.boxlayout import BoxLayout
        from kivy.uix.button import Button
        from kivy.uix.camera import Camera
        from kivy.uix.modalview import ModalView

        try:
            self._camera = Camera(index=0, resolution=(1280, 720), play=True)
        except Exception as error:  # a camera that Kivy listed but cannot open
            Logger.warning(f"Handheld: the camera did not open: {error}")
            return
        cancel = Button(text="Cancel", font_size="20sp", size_hint_y=None, height="56dp")
        cancel.bind(on_release=lambda _button: self.close())
        box = BoxLayout(orientation="vertical")
        box.add_widget(self._camera)
        box.add_widget(cancel)
        self._view = ModalView(auto_dismiss=False)
        self._view.add_widget(box)
        self._view.open()
        Clock.schedule_interval(self._try_frame, FRAME_INTERVAL)

    def close(self) -> None:
        from kivy.clock import Clock

        Clock.unschedule(self._try_frame)
        if self._camera is not None:
            self._camera.play = False
            self._camera = None
        if self._view is not None:
            self._view.dismiss()
            self._view = None

    def _try_frame(self, _dt: float) -> None:
        texture = self._camera.texture if self._camera is not None else None
        if self._busy or texture is None:
            return
        self._busy = True
        pixels, size = texture.pixels, tuple(texture.size)  # read on Kivy's thread, decoded beside it
        self._decoder.submit(self._decode, pixels, size)

    def _decode(self, pixels: bytes, size: tuple[int, int]) -> None:
        from kivy.clock import Clock

        try:
            found = decode_frame(pixels, size)
        except Exception:  # a frame zxing-cpp cannot take (a size the texture lied about) is skipped
            found = None
        Clock.schedule_once(lambda _dt: self._decoded(found))

    def _decoded(self, found: Captured | None) -> None:
        self._busy = False
        if found is not None and self._view is not None:
            self.close()
            self.on_code(found)
