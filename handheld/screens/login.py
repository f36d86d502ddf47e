"""The sign-in screen: server, username and password; the flow itself is ``logic.session.Session``."""

from __future__ import annotations

from concurrent.futures import Executor
from pathlib import Path

from kivy.clock import Clock, mainthread
from kivy.lang import Builder
from kivy.logger import Logger
from kivy.properties import BooleanProperty, ObjectProperty, StringProperty
from kivy.uix.screenmanager import Screen

from handheld.logic.session import HandheldConfig, Session, SignInResult

Builder.load_file(str(Path(__file__).with_suffix(".kv")))


class LoginScreen(Screen):
    """Dispatches ``on_signed_in`` once the session holds a token."""

    session: Session = ObjectProperty(None)
    executor: Executor = ObjectProperty(None)
    busy = BooleanProperty(False)
    status = StringProperty("")
    status_is_error = BooleanProperty(False)
    device = StringProperty("")

    __events__ = ("on_signed_in",)

    def prefill(self, config: HandheldConfig) -> None:
        self.ids.server_url.text = config.server_url
        self.ids.username.text = config.username
        self.ids.password.text = config.password
        self.device = config.device

    def focus_first_empty(self, *_args: object) -> None:
        """Put the cursor where typing is needed; with everything filled in, Enter signs in."""
        for name in ("server_url", "username", "password"):
            if not self.ids[name].text:
                self.ids[name].focus = True
                return
        self.ids.password.focus = True

    def on_enter(self, *_args: object) -> None:
        Clock.schedule_once(self.focus_first_empty, 0)

    def show_message(self, message: str, *, error: bool) -> None:
        self.status = message
        self.status_is_error = error

    def sign_in(self) -> None:
        if self.busy:
            return
        self.busy = True
        self.show_message("Signing in…", error=False)
        form = (self.ids.server_url.text, self.ids.username.text, self.ids.password.text)
        self.executor.submit(self._sign_in_in_background, *form)

    def _sign_in_in_background(self, server_url: str, username: str, password: str) -> None:
        try:
            result = self.session.sign_in(server_url, username, password)
        except Exception as error:  # a bug must not leave the form stuck on "Signing in…"
            Logger.exception("Handheld: sign-in failed")
            result = SignInResult(False, f"Unexpected error: {error}")
        self._signed_in(result)

    @mainthread
    def _signed_in(self, result: SignInResult) -> None:
        self.busy = False
        Logger.info(f"Handheld: sign-in: {'ok' if result.ok else 'refused'}: {result.message}")
        if not result.ok:
            self.show_message(result.message, error=True)
            target = result.field if result.field in ("server_url", "username", "password") else "password"
            self.ids[target].focus = True
            return
        self.show_message("", error=False)
        self.ids.password.text = ""
        self.dispatch("on_signed_in")

    def on_signed_in(self) -> None:
        pass
