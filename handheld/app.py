"""The handheld's entry point: configures Kivy, opens the window and wires the screens together.

This is the only module that imports ``kivy.core.window`` (directly or through the screens), so
``handheld.logic`` and ``handheld.client`` import without a display.
"""

from __future__ import annotations

import os

os.environ.setdefault("KIVY_NO_ARGS", "1")

from kivy.config import Config

# A portrait handheld; set before the window exists. On a device the OS decides the size.
Config.set("graphics", "width", "480")
Config.set("graphics", "height", "800")
Config.set("input", "mouse", "mouse,multitouch_on_demand")

from concurrent.futures import ThreadPoolExecutor  # noqa: E402

from kivy.app import App  # noqa: E402
from kivy.clock import Clock  # noqa: E402
from kivy.core.window import Window  # noqa: E402
from kivy.logger import Logger  # noqa: E402
from kivy.uix.screenmanager import NoTransition, ScreenManager  # noqa: E402

from handheld.logic.scan import ScanFlow, ScanResult  # noqa: E402
from handheld.logic.session import HandheldConfig, Session  # noqa: E402
from handheld.screens.login import LoginScreen  # noqa: E402
from handheld.screens.scan import ScanScreen  # noqa: E402

# Set to a file path to save a screenshot of the window after each scan (used for docs/handheld.png).
SCREENSHOT_ENV = "STOREKEEPER_HANDHELD_SCREENSHOT"


class HandheldApp(App):
    title = "Storekeeper handheld"

    def __init__(self, config: HandheldConfig | None = None, **kwargs: object) -> None:
        super().__init__(**kwargs)
        self.handheld_config = config or HandheldConfig.from_env()
        self.session = Session(self.handheld_config)
        # One worker: network calls leave the UI thread, and scans are answered in the order scanned.
        self.executor = ThreadPoolExecutor(max_workers=1, thread_name_prefix="handheld-io")

    def build(self) -> ScreenManager:
        Window.clearcolor = (0.96, 0.97, 0.98, 1)
        self.login_screen = LoginScreen(name="login", session=self.session, executor=self.executor)
        self.login_screen.prefill(self.handheld_config)
        self.login_screen.bind(on_signed_in=self._on_signed_in)
        self.scan_screen = ScanScreen(name="scan", executor=self.executor)
        self.scan_screen.bind(on_result=self._on_result, on_sign_out=self._on_sign_out)
        manager = ScreenManager(transition=NoTransition())
        manager.add_widget(self.login_screen)
        manager.add_widget(self.scan_screen)
        return manager

    def on_start(self) -> None:
        Logger.info(f"Handheld: server {self.handheld_config.server_url}, device {self.handheld_config.device}")
        Clock.schedule_once(self.login_screen.focus_first_empty, 0.2)

    def on_stop(self) -> None:
        self.executor.shutdown(wait=False, cancel_futures=True)
        self.session.sign_out()

    def _on_signed_in(self, _screen: LoginScreen) -> None:
        self.scan_screen.start(
            ScanFlow(self.session.client, device=self.session.config.device),
            f"{self.session.username} @ {self.session.server_url}",
        )
        self.root.current = "scan"

    def _on_sign_out(self, _screen: ScanScreen, message: str) -> None:
        self.session.sign_out()
        self.login_screen.show_message(message or "Signed out.", error=bool(message))
        self.root.current = "login"

    def _on_result(self, _screen: ScanScreen, result: ScanResult) -> None:
        Logger.info(f"Handheld: scan result: {result.summary()}")
        target = os.environ.get(SCREENSHOT_ENV)
        if target and result.kind != "EMPTY":
            # Wait for the frame that shows the result before reading the framebuffer.
            Clock.schedule_once(lambda _dt: self._screenshot(target), 0.5)

    def _screenshot(self, target: str) -> None:
        saved = Window.screenshot(name=os.path.abspath(target))
        if saved:
            os.replace(saved, target)
            Logger.info(f"Handheld: screenshot saved to {target}")


def main() -> None:
    HandheldApp().run()


if __name__ == "__main__":
    main()
