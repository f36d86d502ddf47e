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
Config.set("kivy", "exit_on_escape", "0")  # Escape clears a half-typed code; it must not quit
Config.set("kivy", "keyboard_mode", "system")

import logging  # noqa: E402
import time  # noqa: E402
from concurrent.futures import ThreadPoolExecutor  # noqa: E402
from pathlib import Path  # noqa: E402

from kivy.app import App  # noqa: E402
from kivy.clock import Clock, mainthread  # noqa: E402
from kivy.core.window import Window  # noqa: E402
from kivy.logger import Logger  # noqa: E402
from kivy.uix.textinput import TextInput  # noqa: E402

from handheld import android_scanner, camera_scanner, layout  # noqa: E402
from handheld.alerts import Alerts  # noqa: E402
from handheld.logic import commands  # noqa: E402
from handheld.logic.cache import LookupCache  # noqa: E402
from handheld.logic.capture import Captured, KeyCapture  # noqa: E402
from handheld.logic.count import CountFlow  # noqa: E402
from handheld.logic.courier import REFUSED, Courier, Delivery  # noqa: E402
from handheld.logic.issue import IssueFlow  # noqa: E402
from handheld.logic.move import MoveFlow  # noqa: E402
from handheld.logic.outbox import FIXED_ON, Entry, Outbox  # noqa: E402
from handheld.logic.pick import PickFlow  # noqa: E402
from handheld.logic.receive import ReceiveFlow  # noqa: E402
from handheld.logic.resolution import display_code  # noqa: E402
from handheld.logic.scan import BAD, WARN, ScanFlow, ScanResult  # noqa: E402
from handheld.logic.session import HandheldConfig, Resumed, Session  # noqa: E402
from handheld.logic.ship import ShipFlow  # noqa: E402
from handheld.logic.store import DeviceStore  # noqa: E402
from handheld.logic.task import Outcome  # noqa: E402
from handheld.screens.count import CountScreen  # noqa: E402
from handheld.screens.issue import IssueScreen  # noqa: E402
from handheld.screens.login import LoginScreen  # noqa: E402
from handheld.screens.move import MoveScreen  # noqa: E402
from handheld.screens.pick import PickScreen  # noqa: E402
from handheld.screens.receive import ReceiveScreen  # noqa: E402
from handheld.screens.scan import ScanScreen  # noqa: E402
from handheld.screens.shell import Shell  # noqa: E402
from handheld.screens.ship import ShipScreen  # noqa: E402
from handheld.screens.task import TaskScreen  # noqa: E402
from handheld.screens.waiting import WaitingScreen  # noqa: E402
from handheld.screens.widgets import ConfirmDialog, TaskMenu  # noqa: E402
from handheld.sending import Sender  # noqa: E402
from handheld.wedge import WedgeInput  # noqa: E402

# Every request of the network thread would otherwise be a line or five in the log.
logging.getLogger("httpx").setLevel(logging.WARNING)
logging.getLogger("httpcore").setLevel(logging.WARNING)

# Set to a file path to save a screenshot of the window after each answer, or to a folder (ending
# in "/") to keep one per screen (used for the pictures in docs/handheld/).
SCREENSHOT_ENV = "STOREKEEPER_HANDHELD_SCREENSHOT"
# Set to 1 to log, after each answer, what does not fit on screen (the window tests use it).
LAYOUT_CHECK_ENV = "STOREKEEPER_HANDHELD_LAYOUT_CHECK"
TITLES = {
    "lookup": "Look up", "receive": "Receive", "move": "Move / put away", "count": "Count a bin",
    "issue": "Issue / scrap", "pick": "Pick", "ship": "Pack and ship", "waiting": "Waiting to send",
}  # fmt: skip


class HandheldApp(App):
    title = "Storekeeper handheld"

    def __init__(self, config: HandheldConfig | None = None, **kwargs: object) -> None:
        super().__init__(**kwargs)
        self.handheld_config = config or HandheldConfig.from_env()
        self.home = Path(self.handheld_config.home or self.user_data_dir)
        self.store = DeviceStore.in_folder(self.home)
        self.session = Session(self.handheld_config, self.store)
        self.outbox = Outbox(self.store)
        self.cache = LookupCache(self.store)
        self.courier = Courier(self.session, self.outbox)
        self.capture = KeyCapture(self.handheld_config.scanner)
        # One network thread: lookups and writes leave the UI thread and are answered in the order scanned.
        self.executor = ThreadPoolExecutor(max_workers=1, thread_name_prefix="handheld-io")
        # "Is the server back?" runs beside it, so no scan waits behind a probe of a silent server.
        self.prober = ThreadPoolExecutor(max_workers=1, thread_name_prefix="handheld-probe")
        self.sender = Sender(self.courier, self.session, self.executor, self.prober, self._sent)
        self._dialog: ConfirmDialog | None = None
        self._working = False
        self._scanned_at: float | None = None

    # Building and starting.
    def build(self) -> Shell:
        Window.clearcolor = (0.96, 0.97, 0.98, 1)
        self.shell = Shell()
        self.shell.bind(on_menu=lambda _shell: self.open_menu(), on_banner_press=lambda _shell: self.go("waiting"))
        self.login_screen = LoginScreen(name="login", session=self.session, executor=self.executor)
        self.login_screen.bind(on_signed_in=lambda _screen: self._start_work())
        self.scan_screen = ScanScreen(name="lookup", executor=self.executor)
        self.scan_screen.bind(on_result=self._on_result)
        self.receive_screen = ReceiveScreen(name="receive", executor=self.executor)
        self.move_screen = MoveScreen(name="move", executor=self.executor)
        self.count_screen = CountScreen(name="count", executor=self.executor)
        self.issue_screen = IssueScreen(name="issue", executor=self.executor)
        self.pick_screen = PickScreen(name="pick", executor=self.executor)
        self.ship_screen = ShipScreen(name="ship", executor=self.executor)
        self.task_screens = (
            self.receive_screen, self.move_screen, self.count_screen, self.issue_screen, self.pick_screen,
            self.ship_screen,
        )  # fmt: skip
        for screen in self.task_screens:
            screen.bind(on_outcome=self._on_outcome)
        self.waiting_screen = WaitingScreen(name="waiting", outbox=self.outbox)
        self.waiting_screen.bind(
            on_fix=self._fix, on_retry=self._retry, on_drop=self._drop, on_send_now=lambda _s: self.sender.send_now()
        )
        for screen in (self.login_screen, self.scan_screen, *self.task_screens, self.waiting_screen):
            self.shell.manager.add_widget(screen)
        self.shell.manager.bind(current=lambda _manager, name: self._on_screen(name))
        self.alerts = Alerts(self.home / "sounds", self.shell.flash)
        self.wedge = WedgeInput(self.capture, self._focused_field, self._on_code, self._on_typing)
        self.wedge.bind()
        # A code from the scanner service (Android intents) or the camera takes the wedge's path from here.
        self.intents = android_scanner.listen(self, self._on_decoded, self.handheld_config.scanner)
        self.camera = camera_scanner.offer(self.shell, self._on_decoded)
        return self.shell

    def on_start(self) -> None:
        config = self.handheld_config
        Logger.info(f"Handheld: server {self.session.server_url}, device {self.session.device}, home {self.home}")
        self.login_screen.prefill(self.session.server_url, self.session.username, config.password, self.session.device)
        Clock.schedule_interval(self._tick, 1.0)
        self.executor.submit(self._resume_in_background)
        # A shift outlasts a session: renew the token well before it ends (no-op when far from it).
        Clock.schedule_interval(lambda _dt: self.executor.submit(self.session.renew_if_due), 600)

    def on_stop(self) -> None:
        # Whatever the outbox holds is committed already; a write on its way is sent again next time.
        self.executor.shutdown(wait=False, cancel_futures=True)
        self.prober.shutdown(wait=False, cancel_futures=True)

    def _resume_in_background(self) -> None:
        resumed = self.session.resume()
        if resumed.signed_in and not resumed.offline:
            self.session.renew_if_due()
        self._resumed(resumed)

    @mainthread
    def _resumed(self, resumed: Resumed) -> None:
        if resumed.signed_in:
            Logger.info(f"Handheld: session resumed ({'offline' if resumed.offline else 'online'})")
            self._start_work(offline_because=resumed.message if resumed.offline else "")
            return
        self.login_screen.show_message(resumed.message, error=bool(resumed.message))
        self.go("login")
        Clock.schedule_once(self.login_screen.focus_first_empty, 0.2)
        self._schedule_screenshot()

    def _start_work(self, offline_because: str = "") -> None:
        session = self.session
        self.courier.signed_in_again()
        if offline_because:
            self.courier.online, self.courier.problem = False, offline_because
        device, warehouse = session.device, session.warehouse
        self.scan_screen.start(ScanFlow(self.courier, warehouse=warehouse, device=device, cache=self.cache))
        self.receive_screen.start(ReceiveFlow(self.courier, warehouse=warehouse, device=device, cache=self.cache))
        self.move_screen.start(MoveFlow(self.courier, warehouse=warehouse, device=device, cache=self.cache))
        self.count_screen.start(CountFlow(self.courier, warehouse=warehouse, device=device, cache=self.cache))
        self.issue_screen.start(IssueFlow(self.courier, warehouse=warehouse, device=device, cache=self.cache))
        self.pick_screen.start(PickFlow(self.courier, warehouse=warehouse, device=device, cache=self.cache))
        self.ship_screen.start(ShipFlow(self.courier, warehouse=warehouse, device=device, cache=self.cache))
        self.shell.who = f"{session.username} @ {warehouse} · {session.device}"
        self._working = True
        self.go("lookup")
        Logger.info(f"Handheld: ready to scan ({session.username} in {warehouse})")

    # Screens and the menu.
    def go(self, name: str) -> None:
        self.shell.manager.current = name

    def _on_screen(self, name: str) -> None:
        self.shell.chrome = name != "login"
        self.shell.title = f"{TITLES.get(name, '')}"
        self.capture.clear()
        self._check_layout()
        self._schedule_screenshot()

    def _focused_field(self) -> TextInput | None:
        if self.shell.manager.current != "login":
            return None
        return next((field for field in self.login_screen.inputs() if field.focus), None)

    def open_menu(self) -> None:
        waiting, refused = self.outbox.counts()
        menu = TaskMenu(
            waiting_text=f"Waiting to send ({waiting + refused})",
            user_text=f"{self.session.username} in {self.session.warehouse}",
        )
        menu.bind(on_choice=lambda _menu, name: self._menu_choice(name))
        menu.open()

    def _menu_choice(self, name: str) -> None:
        if name == "sign_out":
            self.ask_sign_out()
        elif name == "warehouse":
            self._choose_warehouse()
        else:
            self.go(name)

    def _choose_warehouse(self) -> None:
        def in_background() -> None:
            warehouses = self.session.warehouses()
            Clock.schedule_once(lambda _dt: self._show_warehouses(warehouses), 0)

        self.executor.submit(in_background)

    def _show_warehouses(self, warehouses: tuple[tuple[str, str], ...]) -> None:
        if not warehouses:
            self.alerts.give(WARN)
            return
        self.login_screen.warehouses = [list(pair) for pair in warehouses]
        self.login_screen.show_message("Which warehouse do you work in?", error=False)
        self.go("login")

    # Codes from the scanner (or the keys).
    def _on_decoded(self, captured: Captured) -> None:
        self._on_code(captured, False)  # never typed into a field, so never to be taken back out of one

    def _on_code(self, captured: Captured, guarded: bool) -> None:
        how = "scanner" if captured.by_scanner else "keys"
        symbology = f" ({captured.symbology})" if captured.symbology else ""
        Logger.info(f"Handheld: captured {display_code(captured.code)!r} from the {how}{symbology}")
        if guarded or not self._working:
            # Signed out: a scan is never typed into a field (the wedge put the field's text back).
            message = f"That was a scan ({display_code(captured.code)}): sign in first; nothing was typed."
            self.login_screen.show_message(message, error=True)
            Logger.info("Handheld: scan while signed out: kept out of the sign-in form")
            self.alerts.give(BAD)
            return
        name = commands.command(captured.code)
        if self._dialog is not None:
            if name in (commands.CONFIRM, commands.CANCEL):
                self._dialog.answer(name == commands.CONFIRM)
            else:
                self.alerts.give(BAD)
            return
        if name is not None:
            self._command(name)
            return
        screen = self.shell.manager.current_screen
        if hasattr(screen, "on_scan"):
            self._scanned_at = time.monotonic()
            screen.on_scan(captured)
        else:
            self.alerts.give(BAD)

    def _command(self, name: str) -> None:
        Logger.info(f"Handheld: command {name}")
        screen = self.shell.manager.current_screen
        if name == commands.SIGN_OUT:
            self.ask_sign_out()
        elif name in commands.SCREENS:
            self.go(name)
        elif isinstance(screen, TaskScreen):  # confirm, cancel, or a choice of its form (sale, scrap)
            screen.on_command(name)
        else:
            self.alerts.give(BAD)

    def _on_typing(self, text: str) -> None:
        screen = self.shell.manager.current_screen
        if hasattr(screen, "typing"):
            screen.typing = text

    # Answers.
    def _on_result(self, _screen: ScanScreen, result: ScanResult) -> None:
        Logger.info(f"Handheld: scan result: {result.summary()}")
        self.alerts.give(result.feedback)
        if result.signed_out:
            self._session_ended(result.message)
        self._after_answer()

    def _on_outcome(self, screen: TaskScreen, outcome: Outcome) -> None:
        Logger.info(f"Handheld: {screen.name} says {outcome.feedback}: {outcome.message}")
        self.alerts.give(outcome.feedback)
        if outcome.signed_out:
            self._session_ended(outcome.message)
        self._after_answer()

    def _after_answer(self) -> None:
        if self._scanned_at is not None:
            # From the scanner's last key to the answer on screen (the feedback starts with it).
            Logger.info(f"Handheld: answered {(time.monotonic() - self._scanned_at) * 1000:.0f} ms after the scan")
            self._scanned_at = None
        self._update_banner()
        self._check_layout()
        self._schedule_screenshot()

    def _session_ended(self, message: str) -> None:
        self._working = False
        self.session.expired()
        waiting, _ = self.outbox.counts()
        kept = f" {waiting} waiting are sent after you sign in." if waiting else ""
        self.login_screen.prefill(self.session.server_url, self.session.username, "", self.session.device)
        self.login_screen.show_message(message + kept, error=True)
        self.go("login")

    # Signing out.
    def ask_sign_out(self) -> None:
        waiting, refused = self.outbox.counts()
        detail = (
            f"{waiting + refused} writes are not sent yet; they stay on this device and are sent when "
            f"{self.session.username} signs in again."
            if waiting + refused
            else "The server ends your session."
        )
        self._dialog = ConfirmDialog(
            question=f"Sign out {self.session.username}?", detail=detail, yes_text="Sign out", no_text="Stay"
        )
        self._dialog.bind(on_answer=self._sign_out_answered)
        self._dialog.open()
        Logger.info("Handheld: asked to confirm signing out")

    def _sign_out_answered(self, _dialog: ConfirmDialog, yes: bool) -> None:
        self._dialog = None
        if not yes:
            Logger.info("Handheld: stayed signed in")
            return
        self._working = False

        def in_background() -> None:
            self.courier.drain()
            message = self.session.sign_out()
            Clock.schedule_once(lambda _dt: self._signed_out(message), 0)

        self.executor.submit(in_background)

    def _signed_out(self, message: str) -> None:
        Logger.info(f"Handheld: signed out: {message}")
        self.login_screen.prefill(self.session.server_url, self.session.username, "", self.session.device)
        self.login_screen.show_message(message, error=False)
        self.go("login")

    # The outbox: sending, fixing.
    def _tick(self, _dt: float) -> None:
        if self._working:
            self.sender.tick()
        self._update_banner()

    def _sent(self, deliveries: list[Delivery]) -> None:
        if any(delivery.state == REFUSED for delivery in deliveries):
            self.alerts.give(BAD)
        if self.courier.needs_sign_in and self._working:
            self._session_ended("Your session has ended: sign in again to send what waits.")
        self.waiting_screen.refresh()
        self._update_banner()

    def _update_banner(self) -> None:
        text, is_error = self.courier.banner() if self._working else ("", False)
        if text != self.shell.banner:
            Logger.info(f"Handheld: banner: {text or '(none)'}")
        self.shell.banner, self.shell.banner_is_error = text, is_error
        if self.shell.manager.current == "waiting":
            self.waiting_screen.refresh()

    def _fix(self, _screen: WaitingScreen, entry: Entry) -> None:
        screen = self.shell.manager.get_screen(FIXED_ON[entry.operation])
        screen.fix(entry)
        self.go(screen.name)

    def _retry(self, _screen: WaitingScreen, entry: Entry) -> None:
        self.outbox.retry(entry.id)
        self.sender.send_now()

    def _drop(self, _screen: WaitingScreen, entry: Entry) -> None:
        dialog = ConfirmDialog(question="Drop this?", detail=entry.summary, yes_text="Drop", no_text="Keep")

        def answered(_dialog: ConfirmDialog, yes: bool) -> None:
            self._dialog = None
            if yes:
                self.outbox.drop(entry.id)
                Logger.info(f"Handheld: dropped: {entry.summary}")
                self.waiting_screen.refresh()
                self._update_banner()

        dialog.bind(on_answer=answered)
        self._dialog = dialog
        dialog.open()

    # Pictures and checks.
    def _check_layout(self) -> None:
        if os.environ.get(LAYOUT_CHECK_ENV) != "1":
            return

        def check(_dt: float, last_try: bool = False) -> None:
            name = self.shell.manager.current
            found = layout.problems(self.shell, text_fields_allowed=name == "login")
            if found and not last_try:
                # A screen shown for the first time on a busy machine may not be laid out yet (its buttons
                # still at Kivy's default size): only what is still wrong a moment later is wrong.
                Clock.schedule_once(lambda dt: check(dt, last_try=True), 1.0)
                return
            Logger.info(f"Handheld: layout check {name}: {'; '.join(found) if found else 'ok'}")

        Clock.schedule_once(check, 0.5)

    def _schedule_screenshot(self) -> None:
        target = os.environ.get(SCREENSHOT_ENV)
        if target:
            # Wait for the frame that shows the answer (and the flash to fade) before reading the framebuffer.
            Clock.schedule_once(lambda _dt: self._screenshot(target), 1.5)

    def _screenshot(self, target: str) -> None:
        if target.endswith("/"):
            Path(target).mkdir(parents=True, exist_ok=True)
            target = os.path.join(target, f"{self.shell.manager.current}.png")
        saved = Window.screenshot(name=os.path.abspath(target))
        if saved:
            os.replace(saved, target)
            Logger.info(f"Handheld: screenshot saved to {target}")


def main() -> None:
    HandheldApp().run()


if __name__ == "__main__":
    main()
