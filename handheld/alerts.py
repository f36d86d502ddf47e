"""Feedback you cannot miss: the whole window flashes, a sound plays, the device buzzes.

Sounds are written as WAV files on first start (``logic.feedback``); without an audio device, or
without a vibrator (``plyer`` is on Android builds), that part is skipped and said once in the log.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

from kivy.logger import Logger

from handheld.logic.feedback import CUES, write_sounds


class Alerts:
    def __init__(self, sound_folder: Path, flash: Callable[[tuple[float, float, float, float]], None]) -> None:
        self._flash = flash
        self._sounds: dict[str, Any] = {}
        try:
            from kivy.core.audio import SoundLoader

            for name, path in write_sounds(sound_folder).items():
                sound = SoundLoader.load(str(path))
                if sound is not None:
                    self._sounds[name] = sound
        except Exception as error:  # no audio provider or device: the flash still shows
            Logger.info(f"Handheld: no sound ({error})")
        if not self._sounds:
            Logger.info("Handheld: no sound: no audio output")
        try:
            from plyer import vibrator  # type: ignore[import-not-found]

            self._vibrator: Any = vibrator
        except Exception:
            self._vibrator = None

    def give(self, kind: str) -> None:
        cue = CUES.get(kind)
        if cue is None:
            return
        self._flash(cue.colour)
        sound = self._sounds.get(kind)
        if sound is not None:
            sound.stop()
            sound.play()
        if self._vibrator is not None:
            try:
                self._vibrator.vibrate(cue.vibrate)
            except Exception:  # no vibrator on this device after all
                self._vibrator = None
        Logger.info(f"Handheld: feedback {kind}")
