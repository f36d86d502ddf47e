"""Demo documents of the main store: one in every state, and a reversal. Only NOTEBOOK-A5 gets stock from
them, so the rest of the demo keeps the stock its guides and tests describe."""

from __future__ import annotations

from server.documents import service
from server.documents.lines import LineInput


async def load_demo(user_id: int, store: str = "MAIN") -> None:
    """Goods in and out in every state; idempotent (each is created under a fixed key)."""

    async def make(key: str, document_type: str, reason: str, lines: list[LineInput], *actions: str) -> int:
        document = await service.create_document(
            document_type, store, service.Header(reason=reason, notes=f"Demo: {key}."), lines, actor_id=user_id,
            idempotency_key=f"demo:document:{key}",
        )  # fmt: skip
        for action in actions:
            if action not in service.kind_of(document.type).actions_from(document.state):
                break  # a second run: already done
            document = await service.act(document.id, action, version=None, actor_id=user_id, can_approve=True)
        return document.id

    await make("opening", "stock.inbound", "opening", [
        LineInput("NOTEBOOK-A5", "24", location="WH1-A-02", price="2.10"),
        LineInput("NOTEBOOK-A5", "2", unit="dozen", location="WH1-A-02", price="25.20"),
    ], "confirm", "post")  # fmt: skip
    sample = await make("sample", "stock.outbound", "sample", [LineInput("NOTEBOOK-A5", "2", location="WH1-A-02")],
                        "confirm", "post")  # fmt: skip
    reversed_ = await service.reversal_of(sample)
    if reversed_ is None:
        await service.reverse(sample, actor_id=user_id, idempotency_key="demo:document:sample-reversal")
    await make("damage", "stock.outbound", "damage", [LineInput("MUG-WHITE", "1", location="WH1-B-01")], "confirm")
    await make("gift", "stock.inbound", "gift", [LineInput("TSHIRT-BLU-L", "3", location="WH1-A-02")])
    await make("cancelled", "stock.outbound", "internal_use", [LineInput("TSHIRT-BLU-L", "1", location="WH1-A-02")],
               "cancel")  # fmt: skip
