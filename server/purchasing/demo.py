"""Demo purchasing of the main store: a confirmed order on its way, one half received, and a reorder rule.

Only NOTEBOOK-A5 gets stock from them (as from the demo documents), so the rest of the demo keeps the stock
its guides and tests describe; every write takes a fixed key, so loading twice changes nothing."""

from __future__ import annotations

from server.documents import service
from server.documents.lines import LineInput
from server.documents.models import Document
from server.purchasing import orders, receiving, reorder_rules


async def load_demo(user_id: int, store: str = "MAIN") -> None:
    async def confirmed(key: str, supplier: str, lines: list[LineInput]) -> Document:
        header = orders.OrderHeader(supplier, store, "WH1", notes=f"Demo: {key}.")
        order = await orders.create_order(header, lines, actor_id=user_id, idempotency_key=f"demo:purchase:{key}")
        if "confirm" in service.kind_of(order.type).actions_from(order.state):
            order = await service.act(order.id, "confirm", version=None, actor_id=user_id, can_approve=True)
        return order

    # Five cases of red T-shirts at Northwind's 60.00 a case: 60 incoming, nothing here yet.
    await confirmed("tshirts", "SUP-NORTHWIND", [LineInput("TSHIRT-RED-M", "5", "case")])
    # Two dozen notebooks, half of them received into WH1-A-02 at 2.00 each.
    notebooks = await confirmed("notebooks", "SUP-NORTHWIND", [LineInput("NOTEBOOK-A5", "24", price="2.00",
                                                                         location="WH1-A-02")])  # fmt: skip
    await receiving.receive([receiving.ReceiptLineInput(notebooks.id, 1, "12")], actor_id=user_id,
                            idempotency_key="demo:purchase:notebooks:receipt")  # fmt: skip
    # Planning keeps between 24 and 96 mugs in WH1 (runPurchasePlanning proposes the order).
    await reorder_rules.set_rule(reorder_rules.RuleInput("WH1", "MUG-WHITE", minimum="24", maximum="96"),
                                 actor_id=user_id, idempotency_key="demo:purchase:rule:mugs")  # fmt: skip
