"""The issue / scrap screen: scan the bin to take from, the item, the quantity, tap Sale or Scrap (or
scan SK:SALE / SK:SCRAP); confirm. The flow is ``logic.issue.IssueFlow``; the layout is the task
screen's (``task.kv``), whose choice buttons show the reason."""

from __future__ import annotations

from pathlib import Path

from kivy.lang import Builder

from handheld.screens.task import TaskScreen

Builder.load_file(str(Path(__file__).with_suffix(".kv")))


class IssueScreen(TaskScreen):
    pass
