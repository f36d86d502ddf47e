"""The ship screen (``logic.ship.ShipFlow``): the warehouse's draft shipments as it opens; one chosen or scanned
by its number is packed box by box (a box type or SSCC label, the items, the weight on the pad, *Close box*),
*Finish packing* sends the boxes and *Ship* ships it with the carrier's tracking number, both through the outbox.
The layout is the task screen's (``task.kv``)."""

from __future__ import annotations

from pathlib import Path

from kivy.lang import Builder

from handheld.logic.ship import ShipFlow
from handheld.screens.task import TaskScreen

Builder.load_file(str(Path(__file__).with_suffix(".kv")))


class ShipScreen(TaskScreen):
    def on_pre_enter(self, *_args: object) -> None:
        """Each time the screen opens: the warehouse's draft shipments (unless one is being packed or fixed)."""
        flow = self.flow
        if not isinstance(flow, ShipFlow) or flow.packing is not None or flow.fixing is not None:
            return
        self.look_up(flow, "draft shipments")

    def refresh(self) -> None:
        super().refresh()
        if isinstance(self.flow, ShipFlow):
            self.confirm_text = self.flow.confirm_label
