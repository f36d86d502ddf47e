"""A code the device decoded whole (an Android scanner service's intent, the camera) made into the
``Captured`` a wedge scan gives, so the rest of the app cannot tell where a scan came from.

The keyboard wedge builds its code key by key (``capture.py``); here the whole text comes at once,
often with its symbology beside it. The scanner's own formatting gets the same treatment as in the
wedge: a "send Enter" at the end, the configured prefix, suffix and group-separator stand-in, and an
AIM symbology identifier in front.
"""

from __future__ import annotations

from handheld.logic.capture import AIM_SYMBOLOGIES, GS, Captured, ScannerSetup

TERMINATORS = "\r\n\t"


def decoded(
    text: str, *, aim: str | None = None, symbology: str | None = None, setup: ScannerSetup | None = None
) -> Captured | None:
    """``text`` as the wedge would have captured it; None when nothing is left of it.

    ``aim`` is an AIM identifier given apart from the text (``]C1``); ``symbology`` the name to use
    when neither the text nor ``aim`` carries a known one (a scanner's own label type).
    """
    setup = setup or ScannerSetup()
    code = text.rstrip(TERMINATORS)
    if setup.prefix and setup.prefix in code:
        code = code.partition(setup.prefix)[2]  # as in the wedge: what came before the prefix is dropped
    if setup.suffix and code.endswith(setup.suffix):
        code = code[: -len(setup.suffix)]
    if setup.gs_standin:
        code = code.replace(setup.gs_standin, GS)
    named = AIM_SYMBOLOGIES.get(code[:3])
    if named:
        code = code[3:]
    if not code:
        return None
    return Captured(code, by_scanner=True, symbology=named or AIM_SYMBOLOGIES.get(aim or "") or symbology or None)
