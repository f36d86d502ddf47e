"""Scans from an Android device's own scanner service: Zebra DataWedge and Honeywell intents.

On such a device the scanner does not need to type: its service broadcasts each code as an intent.
The functions here turn an intent's extras (a plain mapping) into the ``Captured`` a wedge scan gives;
they are pure and tested on a desktop. ``IntentScanner`` is the Android-only part: a broadcast
receiver (pyjnius, imported only on Android) that hands each code to the app on Kivy's thread.

The raw bytes are preferred to the text when an intent has both: they are the symbol's data before
any charset or formatting rule, so a GS1 group separator (0x1D) is always still there.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping
from typing import Any

from handheld.logic.capture import Captured, ScannerSetup
from handheld.logic.decoded import decoded

# The actions the device's scanner service is told to broadcast (DataWedge profile, Honeywell claim).
DATAWEDGE_ACTION = "org.storekeeper.handheld.SCAN"
HONEYWELL_ACTION = "org.storekeeper.handheld.HONEYWELL_SCAN"
PACKAGE = "org.storekeeper.handheld"  # package.domain + package.name of deploy/android/buildozer.spec

DW_DATA_STRING = "com.symbol.datawedge.data_string"
DW_LABEL_TYPE = "com.symbol.datawedge.label_type"
DW_DECODE_DATA = "com.symbol.datawedge.decode_data"
DW_LEGACY_DATA_STRING = "com.motorolasolutions.emdk.datawedge.data_string"  # DataWedge before 6.x
DW_API_ACTION = "com.symbol.datawedge.api.ACTION"
DW_SET_CONFIG = "com.symbol.datawedge.api.SET_CONFIG"

HONEYWELL_DATA, HONEYWELL_BYTES, HONEYWELL_CHARSET = "data", "dataBytes", "charset"
HONEYWELL_CODE_ID, HONEYWELL_AIM_ID = "codeId", "aimId"
HONEYWELL_CLAIM = "com.honeywell.aidc.action.ACTION_CLAIM_SCANNER"
HONEYWELL_RELEASE = "com.honeywell.aidc.action.ACTION_RELEASE_SCANNER"
HONEYWELL_SERVICE = "com.intermec.datacollectionservice"

# DataWedge's label types and Honeywell's code ids, named as the wedge names AIM identifiers.
LABEL_TYPES = {
    "LABEL-TYPE-EAN13": "EAN-13", "LABEL-TYPE-EAN8": "EAN-8", "LABEL-TYPE-UPCA": "UPC-A", "LABEL-TYPE-UPCE0": "UPC-E",
    "LABEL-TYPE-CODE128": "Code 128", "LABEL-TYPE-EAN128": "GS1-128", "LABEL-TYPE-GS1-128": "GS1-128",
    "LABEL-TYPE-CODE39": "Code 39", "LABEL-TYPE-I2OF5": "ITF-14", "LABEL-TYPE-DATAMATRIX": "Data Matrix",
    "LABEL-TYPE-GS1-DATAMATRIX": "GS1 DataMatrix", "LABEL-TYPE-QRCODE": "QR Code",
    "LABEL-TYPE-GS1-QRCODE": "GS1 QR Code", "LABEL-TYPE-GS1-DATABAR": "GS1 DataBar",
    "LABEL-TYPE-GS1-DATABAR-EXP": "GS1 DataBar",
}  # fmt: skip
HONEYWELL_CODE_IDS = {
    "d": "EAN-13", "D": "EAN-8", "c": "UPC-A", "E": "UPC-E", "j": "Code 128", "I": "GS1-128", "b": "Code 39",
    "e": "ITF-14", "w": "Data Matrix", "s": "QR Code", "y": "GS1 DataBar",
}  # fmt: skip


def from_datawedge(extras: Mapping[str, Any], setup: ScannerSetup | None = None) -> Captured | None:
    """The code in a DataWedge intent's extras (``decode_data`` bytes, else ``data_string``)."""
    # One byte array per symbol: several when the scanner joined codes (Code 128 concatenation).
    chunks = [to_bytes(part) for part in extras.get(DW_DECODE_DATA) or ()]
    raw = b"".join(chunk for chunk in chunks if chunk is not None) if None not in chunks else b""
    text = _text(raw) if raw else extras.get(DW_DATA_STRING) or extras.get(DW_LEGACY_DATA_STRING) or ""
    label = str(extras.get(DW_LABEL_TYPE) or "")
    return decoded(str(text), symbology=LABEL_TYPES.get(label.upper()), setup=setup)


def from_honeywell(extras: Mapping[str, Any], setup: ScannerSetup | None = None) -> Captured | None:
    """The code in a Honeywell data intent's extras (``dataBytes`` in its ``charset``, else ``data``)."""
    raw = to_bytes(extras.get(HONEYWELL_BYTES))
    text = _text(raw, str(extras.get(HONEYWELL_CHARSET) or "")) if raw else str(extras.get(HONEYWELL_DATA) or "")
    aim = extras.get(HONEYWELL_AIM_ID)
    name = HONEYWELL_CODE_IDS.get(str(extras.get(HONEYWELL_CODE_ID) or ""))
    return decoded(text, aim=str(aim) if aim else None, symbology=name, setup=setup)


def from_intent(action: str | None, extras: Mapping[str, Any], setup: ScannerSetup | None = None) -> Captured | None:
    """The code in any scan intent this app listens for; None for anything else."""
    if action == HONEYWELL_ACTION:
        return from_honeywell(extras, setup)
    if action == DATAWEDGE_ACTION or any(key.startswith(("com.symbol.", "com.motorolasolutions.")) for key in extras):
        return from_datawedge(extras, setup)
    return None


def to_bytes(value: object) -> bytes | None:
    """A Java ``byte[]`` as pyjnius hands it over (bytes, a ``ByteArray``, or signed ints) as bytes."""
    if value is None:
        return None
    if isinstance(value, bytes | bytearray | memoryview):
        return bytes(value)
    tostring = getattr(value, "tostring", None)
    if callable(tostring):
        return bytes(tostring())
    if isinstance(value, Iterable):
        return bytes(int(byte) & 0xFF for byte in value)  # Java's bytes are signed
    return None


def _text(raw: bytes, charset: str = "") -> str:
    try:
        return raw.decode(charset or "utf-8")
    except (LookupError, UnicodeDecodeError):
        return raw.decode("latin-1")  # every byte stays one character, a GS included


def datawedge_profile(package: str = PACKAGE, action: str = DATAWEDGE_ACTION) -> dict[str, Any]:
    """DataWedge's SET_CONFIG for this app: scans as broadcast intents, keystrokes off (else each scan comes twice)."""
    intent = {"intent_output_enabled": "true", "intent_action": action, "intent_delivery": "2"}  # 2: broadcast
    return {
        "PROFILE_NAME": "Storekeeper handheld",
        "PROFILE_ENABLED": "true",
        "CONFIG_MODE": "CREATE_IF_NOT_EXIST",
        "APP_LIST": [{"PACKAGE_NAME": package, "ACTIVITY_LIST": ["*"]}],
        "PLUGIN_CONFIG": [
            {"PLUGIN_NAME": "INTENT", "RESET_CONFIG": "true", "PARAM_LIST": intent},
            {"PLUGIN_NAME": "KEYSTROKE", "RESET_CONFIG": "true", "PARAM_LIST": {"keystroke_output_enabled": "false"}},
        ],
    }


def honeywell_properties(action: str = HONEYWELL_ACTION) -> dict[str, Any]:
    """The properties a Honeywell claim sets: decoded data as a broadcast with ``action``, no keystrokes."""
    return {"DPR_DATA_INTENT": True, "DPR_DATA_INTENT_ACTION": action, "TRIG_CONTROL_MODE": "autoControl"}


def listen(app: Any, on_code: Callable[[Captured], None], setup: ScannerSetup | None = None) -> IntentScanner | None:
    """On Android, start an ``IntentScanner`` for the app's lifetime; elsewhere do nothing (None)."""
    from kivy.utils import platform

    if platform != "android":
        return None
    scanner = IntentScanner(on_code, setup)
    scanner.start()
    # Honeywell's scanner is claimed while the app is in front and released for other apps behind it.
    app.bind(on_pause=lambda _app: scanner.release(), on_resume=lambda _app: scanner.claim())
    app.bind(on_stop=lambda _app: scanner.stop())
    return scanner


class IntentScanner:  # pragma: no cover - Android only: needs pyjnius and python-for-android's ``android``
    """Receives the scanner service's broadcasts and hands each code to ``on_code`` on Kivy's main thread."""

    def __init__(self, on_code: Callable[[Captured], None], setup: ScannerSetup | None = None) -> None:
        self.on_code = on_code
        self.setup = setup
        self._receiver: Any = None

    def start(self) -> None:
        from android import activity  # type: ignore[import-not-found]
        from android.broadcast import BroadcastReceiver  # type: ignore[import-not-found]
        from jnius import autoclass  # type: ignore[import-not-found]

        class Exported(BroadcastReceiver):  # type: ignore[misc]
            # Android 13+ refuses a receiver for other apps' broadcasts unless it says it is exported.
            def start(self) -> None:
                version, context = autoclass("android.os.Build$VERSION"), autoclass("android.content.Context")
                self.handlerthread.start()
                self.handler = autoclass("android.os.Handler")(self.handlerthread.getLooper())
                flags = context.RECEIVER_EXPORTED if version.SDK_INT >= 33 else 0
                self.context.registerReceiver(self.receiver, self.receiver_filter, None, self.handler, flags)

        self._receiver = Exported(self._received, actions=[DATAWEDGE_ACTION, HONEYWELL_ACTION])
        self._receiver.start()
        activity.bind(on_new_intent=lambda intent: self._received(None, intent))  # DataWedge "start activity"
        self._send(DW_API_ACTION, {DW_SET_CONFIG: datawedge_profile()})
        self.claim()

    def stop(self) -> None:
        self.release()
        if self._receiver is not None:
            self._receiver.stop()
            self._receiver = None

    def claim(self) -> None:
        self._send(
            HONEYWELL_CLAIM,
            {
                "com.honeywell.aidc.extra.EXTRA_SCANNER": "dcs.scanner.imager",
                "com.honeywell.aidc.extra.EXTRA_PROFILE": "DEFAULT",
                "com.honeywell.aidc.extra.EXTRA_PROPERTIES": honeywell_properties(),
            },
            package=HONEYWELL_SERVICE,
        )

    def release(self) -> None:
        self._send(HONEYWELL_RELEASE, {}, package=HONEYWELL_SERVICE)

    def _received(self, _context: Any, intent: Any) -> None:
        # On the receiver's Java thread: read the extras here, act on Kivy's thread.
        from kivy.clock import Clock

        captured = from_intent(intent.getAction(), _extras(intent.getExtras()), self.setup)
        if captured is not None:
            Clock.schedule_once(lambda _dt: self.on_code(captured))

    def _send(self, action: str, extras: Mapping[str, Any], package: str | None = None) -> None:
        from jnius import autoclass

        intent = autoclass("android.content.Intent")(action)
        if package:
            intent.setPackage(package)
        intent.putExtras(_bundle(extras))
        autoclass("org.kivy.android.PythonActivity").mActivity.sendBroadcast(intent)


def _extras(bundle: Any) -> dict[str, Any]:  # pragma: no cover - Android only
    if bundle is None:
        return {}
    found: dict[str, Any] = {}
    for key in (DW_DATA_STRING, DW_LEGACY_DATA_STRING, DW_LABEL_TYPE, HONEYWELL_DATA, HONEYWELL_CHARSET):
        found[key] = bundle.getString(key)
    for key in (HONEYWELL_CODE_ID, HONEYWELL_AIM_ID):
        found[key] = bundle.getString(key)
    found[HONEYWELL_BYTES] = bundle.getByteArray(HONEYWELL_BYTES)
    parts = bundle.getSerializable(DW_DECODE_DATA)  # an ArrayList<byte[]>
    if parts is not None:
        found[DW_DECODE_DATA] = [parts.get(index) for index in range(parts.size())]
    return {key: value for key, value in found.items() if value is not None}


def _bundle(values: Mapping[str, Any]) -> Any:  # pragma: no cover - Android only
    from jnius import autoclass

    bundle, array_list = autoclass("android.os.Bundle")(), autoclass("java.util.ArrayList")
    for key, value in values.items():
        if isinstance(value, bool):
            bundle.putBoolean(key, value)
        elif isinstance(value, str):
            bundle.putString(key, value)
        elif isinstance(value, Mapping):
            bundle.putBundle(key, _bundle(value))
        elif value and all(isinstance(item, Mapping) for item in value):
            bundles = array_list()
            for item in value:
                bundles.add(_bundle(item))
            bundle.putParcelableArrayList(key, bundles)
        else:
            bundle.putStringArray(key, [str(item) for item in value])
    return bundle
