"""The count screen: scan the bin, then each thing in it with its count on the pad; Finish. What the
server lists in the bin but nobody counted is asked about in a dialog ("set to 0?"), answered by its
buttons or by SK:CONFIRM / SK:CANCEL. The flow is ``logic.count.CountFlow``; the layout is the task
screen's (``task.kv``)."""

from __future__ import annotations

from decimal import Decimal
from pathlib import Path

from kivy.lang import Builder

from handheld.logic.count import CountFlow
from handheld.logic.scan import format_quantity
from handheld.screens.task import TaskScreen
from handheld.screens.widgets import ConfirmDialog

Builder.load_file(str(Path(__file__).with_suffix(".kv")))

SHOWN = 6  # lines named in the question; more would not fit the dialog on a handheld


class CountScreen(TaskScreen):
    _question: ConfirmDialog | None = None

    def refresh(self) -> None:
        super().refresh()
        flow = self.flow
        if not isinstance(flow, CountFlow):
            return
        self.confirm_text = flow.confirm_label
        # The dialog shows the flow's question; a scan (counting one of them) or SK:CONFIRM / SK:CANCEL
        # answer it through the flow too, and the dialog goes with the question.
        if flow.asking and self._question is None:
            self._ask(flow)
        elif not flow.asking and self._question is not None:
            question, self._question = self._question, None
            question.dismiss()

    def _ask(self, flow: CountFlow) -> None:
        names = [f"{line.label} ({format_quantity(line.before or Decimal(0))} on the books)" for line in flow.asking]
        more = f"\nand {len(names) - SHOWN} more" if len(names) > SHOWN else ""
        self._question = ConfirmDialog(
            question=f"Not counted in {flow.bin}: set to 0?", detail="\n".join(names[:SHOWN]) + more,
            yes_text="Set to 0", no_text="Go back",
        )  # fmt: skip
        self._question.bind(on_answer=self._answered)
        self._question.open()

    def _answered(self, _dialog: ConfirmDialog, yes: bool) -> None:
        self._question = None
        if yes:
            self.confirm()
        else:
            self.cancel()
