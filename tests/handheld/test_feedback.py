"""What an answer sounds like, and the command barcodes (no window, no server)."""

from __future__ import annotations

import io
import wave
from pathlib import Path

import pytest

from handheld.logic.commands import CANCEL, CONFIRM, SIGN_OUT, command
from handheld.logic.feedback import BAD, CUES, GOOD, WARN, wav, write_sounds


def _seconds(data: bytes) -> float:
    with wave.open(io.BytesIO(data)) as sound:
        return sound.getnframes() / sound.getframerate()


def test_right_wrong_and_warning_sound_and_look_different() -> None:
    sounds = {kind: wav(CUES[kind]) for kind in (GOOD, BAD, WARN)}

    assert len(set(sounds.values())) == 3
    assert len({CUES[kind].colour for kind in sounds}) == 3
    assert _seconds(sounds[GOOD]) < _seconds(sounds[WARN]) < _seconds(sounds[BAD]), "wrong lasts longest"
    assert max(hz for hz, _ in CUES[BAD].tones) < min(hz for hz, _ in CUES[GOOD].tones if hz), "wrong is lower"
    assert CUES[BAD].vibrate > CUES[GOOD].vibrate


def test_the_sounds_are_written_once_to_the_device(tmp_path: Path) -> None:
    first = write_sounds(tmp_path)
    stamps = {path: path.stat().st_mtime_ns for path in first.values()}

    again = write_sounds(tmp_path)

    assert again == first and {path: path.stat().st_mtime_ns for path in again.values()} == stamps


@pytest.mark.parametrize(
    ("code", "meant"), [("SK:CONFIRM", CONFIRM), ("sk:cancel", CANCEL), (" SK:SIGNOUT\r", SIGN_OUT), ("SK:NOPE", None)]
)
def test_command_barcodes_are_read_in_any_case(code: str, meant: str | None) -> None:
    assert command(code) == meant
