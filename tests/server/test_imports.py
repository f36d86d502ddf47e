"""Every module of the document kernel and the areas on it imports on its own, whatever was imported before.

The areas import the kernel and each other; the kernel's registry imports every area. A module that only
loaded because something else had been imported first broke the worker, a script or a test that started
with it (``import server.sales.reserving``: a partially initialised module). Each is imported with the kernel
and every area unloaded (the libraries and the rest of the server stay loaded: they take part in no cycle).
"""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).parents[2]
AREAS = ("server/documents", "server/sales", "server/purchasing", "server/inventory/counts", "workers")

_CHECK = """
import importlib, json, sys
import server.catalog.service, server.inventory.posting, server.partners.service, server.money.service
AREAS = ("server.documents", "server.sales", "server.purchasing", "server.inventory.counts", "workers")
failed = []
for name in json.loads(sys.argv[1]):
    for loaded in [m for m in sys.modules if m.startswith(AREAS)]:
        del sys.modules[loaded]
    try:
        importlib.import_module(name)
    except Exception as error:
        failed.append(f"{name}: {error!r}"[:300])
print(json.dumps(failed))
"""


def _modules() -> list[str]:
    found = []
    for area in AREAS:
        for path in sorted((ROOT / area).rglob("*.py")):
            parts = path.relative_to(ROOT).with_suffix("").parts
            found.append(".".join(parts[:-1] if parts[-1] == "__init__" else parts))
    return found


def test_every_module_imports_first() -> None:
    modules = _modules()
    done = subprocess.run([sys.executable, "-c", _CHECK, json.dumps(modules)], cwd=ROOT, capture_output=True,
                          text=True, timeout=600)  # fmt: skip
    assert done.returncode == 0, done.stderr[-2000:]
    assert json.loads(done.stdout.strip().splitlines()[-1]) == []
    assert len(modules) > 60
