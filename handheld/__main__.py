"""``storekeeper-handheld`` and ``python -m handheld`` start the app.

The options are read before Kivy is imported, so ``--help`` and ``--version`` need no display.
"""

from __future__ import annotations

import argparse
from collections.abc import Sequence
from importlib.metadata import PackageNotFoundError, version

DESCRIPTION = "Storekeeper's handheld app: scan, look up, receive and move stock over GraphQL/HTTP."
EPILOG = """\
configuration (all optional; see docs/handheld.md):
  STOREKEEPER_HANDHELD_SERVER    the server's address, e.g. http://warehouse-server:8000
  STOREKEEPER_HANDHELD_USERNAME  prefills the username field
  STOREKEEPER_HANDHELD_DEVICE    the device's name in the server's scan log
  STOREKEEPER_HANDHELD_HOME      the folder the device keeps its data in
"""


def main(argv: Sequence[str] | None = None) -> None:
    parser = argparse.ArgumentParser(
        prog="storekeeper-handheld",
        description=DESCRIPTION,
        epilog=EPILOG,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    parser.add_argument("--version", action="version", version=f"%(prog)s {_version()}")
    parser.parse_args(argv)
    from handheld.app import main as run  # opens the window: only once the options are fine

    run()


def _version() -> str:
    try:
        return version("storekeeper")
    except PackageNotFoundError:
        return "unknown"


if __name__ == "__main__":
    main()
