"""The handheld as installed: the ``storekeeper-handheld`` command, and the Android build's spec
(built by hand, not in CI: these check what it says, not that it builds)."""

from __future__ import annotations

import configparser
import os
import re
import subprocess
import sys
from importlib.metadata import entry_points
from pathlib import Path

import handheld.android_scanner as android_scanner

REPO = Path(__file__).resolve().parents[2]
ANDROID = REPO / "deploy" / "android"
NO_DISPLAY = {k: v for k, v in os.environ.items() if k not in ("DISPLAY", "WAYLAND_DISPLAY")}


def spec() -> configparser.SectionProxy:
    parser = configparser.ConfigParser()
    parser.read(ANDROID / "buildozer.spec")
    return parser["app"]


def listed(value: str) -> list[str]:
    return [item.strip() for item in value.split(",") if item.strip()]


def test_storekeeper_handheld_is_a_console_script_for_the_handhelds_main() -> None:
    [script] = entry_points(group="console_scripts", name="storekeeper-handheld")

    assert script.value == "handheld.__main__:main"
    assert callable(script.load())


def test_help_needs_no_display_and_opens_no_window() -> None:
    run = subprocess.run(
        [sys.executable, "-c", "import sys; from handheld.__main__ import main; main(['--help'])"],
        capture_output=True, text=True, env=NO_DISPLAY, timeout=60,
    )  # fmt: skip

    assert run.returncode == 0, run.stderr
    assert run.stdout.startswith("usage: storekeeper-handheld")
    assert "STOREKEEPER_HANDHELD_SERVER" in run.stdout
    assert "Kivy" not in run.stderr, "Kivy is not even imported for --help"


def test_importing_the_entry_point_imports_no_kivy() -> None:
    code = "import sys, handheld.__main__; print('kivy' in sys.modules)"
    run = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, env=NO_DISPLAY, check=True)

    assert run.stdout.strip() == "False"


def test_the_android_spec_is_a_portrait_app_with_the_permissions_its_scanning_needs() -> None:
    app = spec()

    assert app["orientation"] == "portrait"
    assert {"INTERNET", "CAMERA", "VIBRATE"} <= set(listed(app["android.permissions"]))
    assert f"{app['package.domain']}.{app['package.name']}" == android_scanner.PACKAGE, "DataWedge's app list"
    assert {"kivy==2.3.1", "pyjnius", "android", "sqlite3"} <= set(listed(app["requirements"]))


def test_the_android_spec_pins_httpx_and_its_dependencies_as_the_lock_does() -> None:
    locked = dict(re.findall(r"^([A-Za-z0-9_.-]+)==(\S+)$", (REPO / "requirements.lock").read_text(), re.M))
    pinned = dict(item.split("==") for item in listed(spec()["requirements"]) if "==" in item and "kivy" not in item)

    assert {"httpx", "httpcore", "h11", "anyio", "idna", "certifi"} <= set(pinned)
    assert {name: locked.get(name) for name in pinned} == pinned


def test_the_intent_filter_and_the_receiver_listen_for_the_same_action() -> None:
    app = spec()
    filters = (ANDROID / app["android.manifest.intent_filters"]).read_text()

    assert f'android:name="{android_scanner.DATAWEDGE_ACTION}"' in filters
    assert android_scanner.DATAWEDGE_ACTION in (ANDROID / "buildozer.spec").read_text()
    assert android_scanner.HONEYWELL_ACTION in (ANDROID / "buildozer.spec").read_text()


def test_the_build_script_stages_the_package_and_main_py_where_the_spec_looks() -> None:
    script = (ANDROID / "build.sh").read_text()

    assert spec()["source.dir"] == "app"
    assert '"$here/app/handheld"' in script and '"$here/app/main.py"' in script
    assert "from handheld.app import main" in (ANDROID / "main.py").read_text()
