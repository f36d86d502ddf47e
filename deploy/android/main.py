"""python-for-android starts ``main.py``: the handheld app, as ``storekeeper-handheld`` starts it."""

from handheld.app import main

main()
