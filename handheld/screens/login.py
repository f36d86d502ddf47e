"""The sign-in screen: server, username and password, then the warehouse to work in.

The flow itself is ``logic.session.Session``. A scan that arrives here is kept out of the fields by
the app (``KeyCapture`` in guarded mode), so a scanner cannot type into the password field.
"""

from __future__ import annotations

from concurrent.futures import Executor
from pathlib import Path

from kivy.clock import Clock, mainthread
from kivy.factory import Factory
from kivy.lang import Builder
from kivy.logger import Logger
from kivy.properties import BooleanProperty, ListProperty, ObjectProperty, StringProperty
from kivy.uix.screenmanager import Screen
from kivy.uix.textinput import TextInput

from handheld.logic.session import Session, SignInResult
from handheld.screens import widgets  # noqa: F401  (BigButton)

Builder.load_file(str(Path(__file__).with_suffix(".kv")))

FIELDS = ("server_url", "username", "password")


class LoginScreen(Screen):
    """Dispatches ``on_signed_in`` once the session holds a token and a warehouse."""

    session: Session = ObjectProperty(None)
    executor: Executor = ObjectProperty(None)
    busy = BooleanProperty(False)
    status = StringProperty("")
    status_is_error = BooleanProperty(False)
    device = StringProperty("")
    warehouses = ListProperty([])  # [(code, name)] to choose from, after signing in

    __events__ = ("on_signed_in",)

    def prefill(self, server_url: str, username: str, password: str, device: str) -> None:
        self.ids.server_url.text = server_url
        self.ids.username.text = username
        self.ids.password.text = password
        self.device = device

    def inputs(self) -> list[TextInput]:
        return [self.ids[name] for name in FIELDS]

    def focus_first_empty(self, *_args: object) -> None:
        """Put the cursor where typing is needed; with everything filled in, Enter signs in."""
        if self.warehouses:
            return
        name = next((name for name in FIELDS if not self.ids[name].text), "password")
        self.ids[name].focus = True
        Logger.info(f"Handheld: sign-in form waits in {name}")

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
            target = result.field if result.field in FIELDS else "password"
            self.ids[target].focus = True
            return
        self.ids.password.text = ""
        if result.warehouses:
            for name in FIELDS:
                self.ids[name].focus = False
            self.warehouses = [list(pair) for pair in result.warehouses]
            self.show_message("Which warehouse do you work in?", error=False)
            return
        self._done()

    def on_warehouses(self, _screen: LoginScreen, warehouses: list[list[str]]) -> None:
        chooser = self.ids.chooser
        chooser.clear_widgets()
        for code, name in warehouses:
            button = Factory.BigButton(text=f"{code}  {name}".strip())
            button.bind(on_release=lambda _button, code=code: self.choose(code))
            chooser.add_widget(button)

    def choose(self, code: str) -> None:
        self.session.choose_warehouse(code)
        self.warehouses = []
        self._done()

    def _done(self) -> None:
        self.show_message("", error=False)
        self.dispatch("on_signed_in")

    def on_signed_in(self) -> None:
        pass
