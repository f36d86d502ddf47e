"""The receive screen. When the warehouse has open purchase orders, it offers them as it opens
(``logic.receive_order``: choose one by its button or scan its number; then scan a product of it, key how
many in the line's unit, scan the bin or leave it to the server, confirm: one ``receivePurchaseOrder``);
*Without an order*, or when there is none, it receives as before (``logic.receive.ReceiveFlow``: scan the
product or its GS1 label, the quantity, the bin; confirm). The layout is the task screen's (``task.kv``)."""

from __future__ import annotations

from pathlib import Path

from kivy.clock import mainthread
from kivy.lang import Builder
from kivy.logger import Logger

from handheld.logic.outbox import Entry
from handheld.logic.receive import ReceiveFlow
from handheld.logic.receive_order import OrderReceiveFlow, offer, remembered
from handheld.logic.scan import QUIET
from handheld.logic.task import Outcome, TaskFlow
from handheld.screens.task import TaskScreen

Builder.load_file(str(Path(__file__).with_suffix(".kv")))


class ReceiveScreen(TaskScreen):
    plain: ReceiveFlow | None = None  # the receipt without an order (receiveStock)
    against_order: OrderReceiveFlow | None = None  # the last offer of open orders

    def start(self, flow: TaskFlow) -> None:
        if isinstance(flow, ReceiveFlow):
            self.plain = flow
        elif isinstance(flow, OrderReceiveFlow):
            self.against_order = flow
        super().start(flow)

    def fix(self, entry: Entry) -> None:
        if entry.operation == OrderReceiveFlow.operation:
            plain = self.plain
            if self.against_order is None and plain is not None:  # the orders as the device last knew them
                self.against_order = remembered(plain.courier, warehouse=plain.warehouse, device=plain.device,
                                                cache=plain.cache)  # fmt: skip
            if self.against_order is not None:
                self.start(self.against_order)
        elif self.plain is not None:
            self.start(self.plain)
        super().fix(entry)

    def on_pre_enter(self, *_args: object) -> None:
        """Each time the screen opens: the warehouse's open orders (unless a receipt is under way)."""
        flow, plain = self.flow, self.plain
        under_way = (isinstance(flow, OrderReceiveFlow) and (flow.order is not None or flow.fixing is not None)) or (
            isinstance(flow, ReceiveFlow) and bool(flow.sku or flow.bin or flow.fixing is not None)
        )
        if under_way or plain is None or self.executor is None:
            return
        self._pending += 1
        self.busy = True
        self.executor.submit(self._look_for_orders, plain)

    def _look_for_orders(self, plain: ReceiveFlow) -> None:
        try:
            found = offer(plain.courier, warehouse=plain.warehouse, device=plain.device, cache=plain.cache)
        except Exception:  # a bug must not leave the screen busy: the plain receipt is still there
            Logger.exception("Handheld: looking for open purchase orders failed")
            found = (None, None)
        self._offered(plain, *found)

    @mainthread
    def _offered(self, plain: ReceiveFlow, flow: OrderReceiveFlow | None, outcome: Outcome | None) -> None:
        if flow is not None:
            Logger.info(f"Handheld: receive: {len(flow.orders)} open purchase orders in {flow.warehouse}")
        self.start(flow or plain)
        self._done(outcome or Outcome(QUIET, (flow or plain).message))

    def refresh(self) -> None:
        flow = self.flow
        if isinstance(flow, OrderReceiveFlow) and flow.without_order and self.plain is not None:
            flow.without_order = False
            handed, flow.handed_over = flow.handed_over, None
            self.flow = self.plain  # the form of a receipt without an order (the orders stay offered next time)
            if handed is not None:  # a product scanned before choosing: the plain receipt takes it
                self._run(self.plain.scan, handed)
        super().refresh()
