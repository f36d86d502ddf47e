"""How an answer should feel: a colour for the whole screen, a sound, a buzz. Plain data; the app
plays it. Right and wrong sound different enough to tell apart without looking."""

from __future__ import annotations

import io
import math
import struct
import wave
from dataclasses import dataclass
from pathlib import Path

GOOD, BAD, WARN = "good", "bad", "warn"
RATE = 22050


@dataclass(frozen=True)
class Cue:
    colour: tuple[float, float, float, float]
    tones: tuple[tuple[float, float], ...]  # (hertz, seconds); 0 Hz is a pause
    vibrate: float  # seconds
    square: bool = False  # a harsh square wave for "wrong", a clean sine otherwise


CUES = {
    GOOD: Cue((0.10, 0.65, 0.30, 1), ((1760, 0.12),), 0.05),
    BAD: Cue((0.85, 0.12, 0.12, 1), ((330, 0.18), (0, 0.07), (330, 0.18), (0, 0.07), (330, 0.25)), 0.5, square=True),
    WARN: Cue((0.95, 0.62, 0.05, 1), ((880, 0.12), (0, 0.05), (660, 0.18)), 0.2),
}


def wav(cue: Cue, volume: float = 0.6) -> bytes:
    """The cue's tones as a 16-bit mono WAV file."""
    frames = bytearray()
    for hertz, seconds in cue.tones:
        count = int(RATE * seconds)
        for index in range(count):
            if hertz <= 0:
                sample = 0.0
            else:
                phase = math.sin(2 * math.pi * hertz * index / RATE)
                sample = (1.0 if phase >= 0 else -1.0) * 0.5 if cue.square else phase
                sample *= min(1.0, index / 200, (count - index) / 200)  # no click at either end
            frames += struct.pack("<h", int(sample * volume * 32767))
    out = io.BytesIO()
    with wave.open(out, "wb") as file:
        file.setnchannels(1)
        file.setsampwidth(2)
        file.setframerate(RATE)
        file.writeframes(bytes(frames))
    return out.getvalue()


def write_sounds(folder: Path) -> dict[str, Path]:
    """One WAV file per cue in ``folder`` (made once, on the device, so the package carries no binaries)."""
    folder.mkdir(parents=True, exist_ok=True)
    paths = {}
    for name, cue in CUES.items():
        path = folder / f"{name}.wav"
        data = wav(cue)
        if not path.exists() or path.read_bytes() != data:
            path.write_bytes(data)
        paths[name] = path
    return paths
