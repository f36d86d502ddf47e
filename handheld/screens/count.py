"""The count screen. When the warehouse has open counts, it counts against one of them
(``logic.count_document.CountDocumentFlow``: blind, each scan a ``recordCount``; *Correct a line* sets
one, a bin awaiting a recount is recounted; the correction, the recount and *Finish bin* are asked in
a dialog first); otherwise it counts a single bin (``logic.count.CountFlow``: scan the bin, then each
thing in it with its count on the pad; Finish; what the server lists but nobody counted is asked
about in a dialog, "set to 0?"). Both dialogs are answered by their buttons or by SK:CONFIRM /
SK:CANCEL. The layout is the task screen's (``task.kv``)."""

from __future__ import annotations

from decimal import Decimal
from pathlib import Path

from kivy.clock import mainthread
from kivy.lang import Builder
from kivy.logger import Logger

from handheld.logic.count import CountFlow
from handheld.logic.count_document import CountDocumentFlow, offer
from handheld.logic.outbox import Entry
from handheld.logic.scan import QUIET, format_quantity
from handheld.logic.task import Outcome, TaskFlow
from handheld.screens.task import TaskScreen
from handheld.screens.widgets import ConfirmDialog

Builder.load_file(str(Path(__file__).with_suffix(".kv")))

SHOWN = 6  # lines named in the question; more would not fit the dialog on a handheld


class CountScreen(TaskScreen):
    _question: ConfirmDialog | None = None
    single_bin: CountFlow | None = None  # the count of one bin (adjustStock), when there is no open count

    def start(self, flow: TaskFlow) -> None:
        if isinstance(flow, CountFlow):
            self.single_bin = flow
        super().start(flow)

    def fix(self, entry: Entry) -> None:
        if self.single_bin is not None:  # only a single bin's count (adjustStock) is fixed on a form
            self.start(self.single_bin)
        super().fix(entry)

    def on_pre_enter(self, *_args: object) -> None:
        """Each time the screen opens: which counts are open in the warehouse (unless one is under way)."""
        flow, single = self.flow, self.single_bin
        under_way = (isinstance(flow, CountDocumentFlow) and flow.count is not None) or (
            isinstance(flow, CountFlow) and (flow.bin or flow.fixing is not None)
        )
        if under_way or single is None or self.executor is None:
            return
        self._pending += 1
        self.busy = True
        self.executor.submit(self._look_for_counts, single)

    def _look_for_counts(self, single: CountFlow) -> None:
        try:
            found = offer(single.courier, warehouse=single.warehouse, device=single.device, cache=single.cache)
        except Exception:  # a bug must not leave the screen busy: the single bin's count is still there
            Logger.exception("Handheld: looking for open counts failed")
            found = (None, None)
        self._offered(single, *found)

    @mainthread
    def _offered(self, single: CountFlow, flow: CountDocumentFlow | None, outcome: Outcome | None) -> None:
        if flow is not None:
            Logger.info(f"Handheld: count: {len(flow.offered)} open counts in {flow.warehouse}")
        self.start(flow or single)
        self._done(outcome or Outcome(QUIET, (flow or single).message))

    def refresh(self) -> None:
        super().refresh()
        flow = self.flow
        if isinstance(flow, CountFlow | CountDocumentFlow):
            self.confirm_text = flow.confirm_label
        asking = (isinstance(flow, CountFlow) and bool(flow.asking)) or (
            isinstance(flow, CountDocumentFlow) and (flow.asking_finish or flow.asking_set or flow.asking_recount)
        )
        # The dialog shows the flow's question; a scan (counting one of them) or SK:CONFIRM / SK:CANCEL
        # answer it through the flow too, and the dialog goes with the question.
        if asking and self._question is None and flow is not None:
            self._ask(flow)
        elif not asking and self._question is not None:
            question, self._question = self._question, None
            question.dismiss()

    def _ask(self, flow: TaskFlow) -> None:
        if isinstance(flow, CountDocumentFlow) and (flow.asking_set or flow.asking_recount):
            self._question = ConfirmDialog(
                question=flow.prompt, yes_text="Set" if flow.asking_set else "Recount", no_text="Change it",
                detail="What you counted of it replaces what you had." if flow.asking_set
                else "What you found replaces the count of this line.",
            )  # fmt: skip
        elif isinstance(flow, CountDocumentFlow):
            self._question = ConfirmDialog(
                question=f"Finish {flow.bin}?", yes_text="Finish", no_text="Go on counting",
                detail="What was not scanned in it counts 0; it takes no more scans after.",
            )  # fmt: skip
        elif isinstance(flow, CountFlow):
            books = [(line.label, format_quantity(line.before or Decimal(0))) for line in flow.asking]
            names = [f"{label} ({quantity} on the books)" for label, quantity in books]
            more = f"\nand {len(names) - SHOWN} more" if len(names) > SHOWN else ""
            self._question = ConfirmDialog(
                question=f"Not counted in {flow.bin}: set to 0?", detail="\n".join(names[:SHOWN]) + more,
                yes_text="Set to 0", no_text="Go back",
            )  # fmt: skip
        else:
            return
        self._question.bind(on_answer=self._answered)
        self._question.open()

    def _answered(self, _dialog: ConfirmDialog, yes: bool) -> None:
        self._question = None
        if yes:
            self.confirm()
        else:
            self.cancel()
