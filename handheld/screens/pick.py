"""The pick screen (``logic.pick.PickFlow``): the warehouse's open pick lists as it opens (a list someone else
claimed shows as taken); one chosen or scanned by its number is claimed, then walked line by line in bin order:
the bin, the item (and its lot), the quantity on the pad, or *Short* and a reason; *Finish* books the list
through the outbox. *Release* gives the claim up, asked in a dialog first when something was picked. The layout
is the task screen's (``task.kv``)."""

from __future__ import annotations

from pathlib import Path

from kivy.lang import Builder

from handheld.logic.pick import PickFlow
from handheld.screens.task import TaskScreen
from handheld.screens.widgets import ConfirmDialog

Builder.load_file(str(Path(__file__).with_suffix(".kv")))


class PickScreen(TaskScreen):
    _question: ConfirmDialog | None = None

    def on_pre_enter(self, *_args: object) -> None:
        """Each time the screen opens: the warehouse's open lists (unless a list is being picked or fixed)."""
        flow = self.flow
        if not isinstance(flow, PickFlow) or flow.pick_list is not None or flow.fixing is not None:
            return
        self.look_up(flow, "open pick lists")

    def refresh(self) -> None:
        super().refresh()
        flow = self.flow
        if not isinstance(flow, PickFlow):
            return
        self.confirm_text = flow.confirm_label
        # The dialog shows the flow's question; SK:CONFIRM / SK:CANCEL answer it through the flow too.
        if flow.asking_release and self._question is None and flow.pick_list is not None:
            self._question = ConfirmDialog(
                question=f"Release {flow.pick_list.number}?", yes_text="Release", no_text="Go on picking",
                detail="What you picked of it here is dropped; it goes back to the open lists.",
            )  # fmt: skip
            self._question.bind(on_answer=self._answered)
            self._question.open()
        elif not flow.asking_release and self._question is not None:
            question, self._question = self._question, None
            question.dismiss()

    def _answered(self, _dialog: ConfirmDialog, yes: bool) -> None:
        self._question = None
        if yes:
            self.confirm()
        else:
            self.cancel()
