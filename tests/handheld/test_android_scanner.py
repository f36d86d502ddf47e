"""Zebra DataWedge and Honeywell scan intents, as their extras arrive, give what the wedge gives.

The extras below are what the two services put in a scan intent (DataWedge 11 with intent output;
Honeywell's data collection service with DPR_DATA_INTENT); the receiver that reads them off a Java
``Intent`` runs on Android only and is not imported here.
"""

from __future__ import annotations

import subprocess
import sys

import pytest

from handheld.android_scanner import (
    DATAWEDGE_ACTION,
    HONEYWELL_ACTION,
    datawedge_profile,
    from_datawedge,
    from_honeywell,
    from_intent,
    to_bytes,
)
from handheld.logic.capture import GS, Captured, KeyCapture, ScannerSetup
from tests.handheld.test_capture import ENTER, Keyboard

GS1 = f"010400638133393110LOT42{GS}172712313012"

DATAWEDGE_EAN13 = {
    "com.symbol.datawedge.source": "scanner",
    "com.symbol.datawedge.label_type": "LABEL-TYPE-EAN13",
    "com.symbol.datawedge.data_string": "4006381333931",
    "com.symbol.datawedge.decode_data": [b"4006381333931"],
    "com.symbol.datawedge.decoded_mode": "single_decode",
    "com.motorolasolutions.emdk.datawedge.data_string": "4006381333931",
}
DATAWEDGE_GS1_128 = {
    "com.symbol.datawedge.source": "scanner",
    "com.symbol.datawedge.label_type": "LABEL-TYPE-EAN128",
    "com.symbol.datawedge.data_string": GS1,
    "com.symbol.datawedge.decode_data": [GS1.encode()],
    "com.symbol.datawedge.decoded_mode": "single_decode",
}
HONEYWELL_GS1_DATAMATRIX = {
    "version": 1,
    "aimId": "]d2",
    "codeId": "w",
    "charset": "ISO-8859-1",
    "data": GS1,
    "dataBytes": list(GS1.encode()),
    "timestamp": "2026-11-23T08:15:02.114",
}


def code(captured: Captured | None) -> str:
    assert captured is not None, "a scan"
    return captured.code


def wedge(typed: str) -> Captured:
    keyboard = Keyboard(KeyCapture())
    keyboard.type(typed)
    keyboard.key(ENTER)
    [captured] = keyboard.codes
    return captured


def test_a_datawedge_ean13_is_the_code_with_its_symbology() -> None:
    assert from_datawedge(DATAWEDGE_EAN13) == Captured("4006381333931", by_scanner=True, symbology="EAN-13")


def test_a_datawedge_gs1_128_keeps_its_group_separator() -> None:
    captured = from_datawedge(DATAWEDGE_GS1_128)

    assert captured == Captured(GS1, by_scanner=True, symbology="GS1-128")
    assert code(captured) == wedge(GS1).code, "the same code as the wedge scanner types"


def test_datawedge_raw_bytes_win_over_a_text_that_lost_the_separator() -> None:
    # A keystroke-minded formatting rule may drop control characters from data_string; decode_data is raw.
    extras = {**DATAWEDGE_GS1_128, "com.symbol.datawedge.data_string": GS1.replace(GS, "")}

    assert code(from_datawedge(extras)) == GS1


def test_datawedge_raw_bytes_of_concatenated_symbols_are_joined() -> None:
    extras = {**DATAWEDGE_GS1_128, "com.symbol.datawedge.decode_data": [GS1[:20].encode(), GS1[20:].encode()]}

    assert code(from_datawedge(extras)) == GS1


def test_datawedge_without_raw_bytes_uses_the_text() -> None:
    extras = {k: v for k, v in DATAWEDGE_GS1_128.items() if not k.endswith("decode_data")}

    assert code(from_datawedge(extras)) == GS1


def test_an_older_datawedge_sends_the_text_under_its_old_name() -> None:
    assert code(from_datawedge({"com.motorolasolutions.emdk.datawedge.data_string": "WH1-A-01"})) == "WH1-A-01"


def test_the_scanners_own_enter_and_aim_identifier_come_off_as_in_the_wedge() -> None:
    extras = {**DATAWEDGE_GS1_128, "com.symbol.datawedge.decode_data": [f"]C1{GS1}\n".encode()]}

    assert from_datawedge(extras) == Captured(GS1, by_scanner=True, symbology="GS1-128")
    assert wedge(f"]C1{GS1}") == from_datawedge(extras)


def test_the_configured_prefix_suffix_and_gs_stand_in_apply_as_in_the_wedge() -> None:
    setup = ScannerSetup(prefix="\x02", suffix="#", gs_standin="~")
    extras = {"com.symbol.datawedge.data_string": "\x02010400638133393110LOT42~172712313012#"}

    assert code(from_datawedge(extras, setup)) == GS1


def test_a_honeywell_gs1_datamatrix_from_its_bytes_keeps_its_group_separator() -> None:
    assert from_honeywell(HONEYWELL_GS1_DATAMATRIX) == Captured(GS1, by_scanner=True, symbology="GS1 DataMatrix")


def test_a_honeywell_code_id_names_the_symbology_when_there_is_no_aim_id() -> None:
    extras = {"data": "4006381333931", "codeId": "d"}

    assert from_honeywell(extras) == Captured("4006381333931", by_scanner=True, symbology="EAN-13")


def test_honeywell_bytes_are_read_in_its_charset() -> None:
    java_bytes = [76, 79, 84, -61, -87]  # "LOTé" in UTF-8, as Java's signed bytes
    extras = {"data": "LOTÃ©", "dataBytes": java_bytes, "charset": "UTF-8", "aimId": "]C0"}

    assert from_honeywell(extras) == Captured("LOTé", by_scanner=True, symbology="Code 128")


def test_bytes_in_an_unknown_charset_still_keep_every_byte() -> None:
    extras = {"dataBytes": GS1.encode(), "charset": "no-such-charset"}

    assert code(from_honeywell(extras)) == GS1


@pytest.mark.parametrize("value", [b"\x1dAB", bytearray(b"\x1dAB"), [29, 65, 66], (29, 65, 66)])
def test_a_java_byte_array_in_any_form_pyjnius_gives_is_bytes(value: object) -> None:
    assert to_bytes(value) == b"\x1dAB"


def test_intents_are_told_apart_by_their_action() -> None:
    assert code(from_intent(DATAWEDGE_ACTION, DATAWEDGE_GS1_128)) == GS1
    assert code(from_intent(HONEYWELL_ACTION, HONEYWELL_GS1_DATAMATRIX)) == GS1
    assert code(from_intent(None, DATAWEDGE_EAN13)) == "4006381333931", "DataWedge's extras name it"
    assert from_intent("android.intent.action.MAIN", {}) is None


def test_an_intent_without_a_code_is_no_scan() -> None:
    assert from_datawedge({"com.symbol.datawedge.data_string": "\n"}) is None
    assert from_honeywell({"data": ""}) is None


def test_the_datawedge_profile_sends_broadcasts_and_turns_keystrokes_off() -> None:
    profile = datawedge_profile()
    plugins = {plugin["PLUGIN_NAME"]: plugin["PARAM_LIST"] for plugin in profile["PLUGIN_CONFIG"]}

    assert plugins["INTENT"]["intent_action"] == DATAWEDGE_ACTION
    assert plugins["INTENT"]["intent_delivery"] == "2"
    assert plugins["KEYSTROKE"]["keystroke_output_enabled"] == "false", "else every scan would come twice"


def test_the_module_imports_no_android_or_kivy_on_a_desktop() -> None:
    program = (
        "import sys, handheld.android_scanner; print([m for m in ('jnius', 'android', 'kivy') if m in sys.modules])"
    )
    out = subprocess.run([sys.executable, "-c", program], capture_output=True, text=True, check=True).stdout

    assert out.strip() == "[]"
