"""``python -m handheld`` starts the app."""

from __future__ import annotations

from handheld.app import main

main()
