"""The outbox: writes (and scans) the server has not answered yet, kept on the device in order.

Each entry holds its operation (the mutation it is sent as, also after a restart: the move screen
makes two kinds, an item move and a pallet move), the mutation's input with its idempotency key and
the scan that caused it, and belongs to the user and server it was made for: the server scopes
idempotency keys by user, and a move must not be booked under someone else's name. A write the
server refused stays, with its reason, until the worker fixes it (a new key: a refused write leaves
nothing on the server) or drops it.
"""

from __future__ import annotations

import json
import uuid
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from handheld.client import UserError
from handheld.logic.commands import COUNT, ISSUE, MOVE, PICK, RECEIVE, SHIP
from handheld.logic.pick_lists import PICK_LIST
from handheld.logic.purchase_orders import ORDER_PROGRESS
from handheld.logic.shipments import SHIPMENT
from handheld.logic.store import DeviceStore

_STOCK_PAYLOAD = (
    "moves { sku quantity lotCode fromLocationCode toLocationCode effectiveAt createdAt } replayed"
    " errors { field code message }"
)
DOCUMENTS = {
    "receiveStock": "mutation Receive($input: ReceiveStockInput!) { receiveStock(input: $input) { %s } }",
    "moveStock": "mutation Move($input: MoveStockInput!) { moveStock(input: $input) { %s } }",
    "issueStock": "mutation Issue($input: IssueStockInput!) { issueStock(input: $input) { %s } }",
    "adjustStock": "mutation Adjust($input: AdjustStockInput!) { adjustStock(input: $input) { %s } }",
}
DOCUMENTS = {operation: document % _STOCK_PAYLOAD for operation, document in DOCUMENTS.items()}
# A pallet with all it holds: one move per product, lot and package, and where the pallet is now.
DOCUMENTS["movePackage"] = (
    "mutation MovePackage($input: MovePackageInput!) { movePackage(input: $input) {"
    f" package {{ sscc location {{ code }} }} {_STOCK_PAYLOAD} }} }}"
)
# A count document's scans, bins and recounts (handheld/logic/count_document.py): never `expected`.
_COUNT_LINE = (
    "line { locationCode sku lot packageSscc myCount counted recountNeeded recounted } errors { field code message }"
)
DOCUMENTS["recordCount"] = (
    f"mutation RecordCount($input: RecordCountInput!) {{ recordCount(input: $input) {{ {_COUNT_LINE} }} }}"
)
DOCUMENTS["recountStock"] = (
    f"mutation RecountStock($input: RecountInput!) {{ recountStock(input: $input) {{ {_COUNT_LINE} }} }}"
)
DOCUMENTS["finishCountBin"] = (
    "mutation FinishCountBin($input: FinishCountBinInput!) { finishCountBin(input: $input) {"
    " locationCode lines recountsNeeded errors { field code message } } }"
)
# A receipt against purchase orders, with what the orders it filled have come to (the due figures).
DOCUMENTS["receivePurchaseOrder"] = (
    "mutation ReceiveOrder($input: ReceivePurchaseOrderInput!) { receivePurchaseOrder(input: $input) {"
    f" receipt {{ number }} orders {{ {ORDER_PROGRESS} }} errors {{ field code message }} }} }}"
)
# A pick list's picks (each line done named with its scan), and giving its claim up: what the list is after either.
DOCUMENTS["confirmPicks"] = (
    "mutation ConfirmPicks($input: ConfirmPicksInput!) { confirmPicks(input: $input) {"
    f" pickList {{ {PICK_LIST} }} errors {{ field code message }} }} }}"
)
DOCUMENTS["releasePickList"] = (
    "mutation ReleasePickList($input: PickListActionInput!) { releasePickList(input: $input) {"
    f" pickList {{ {PICK_LIST} }} errors {{ field code message }} }} }}"
)
# A shipment's boxes (all at once: packing again replaces them), then shipping it with the scan that confirmed it.
DOCUMENTS["packShipment"] = (
    "mutation PackShipment($input: PackShipmentInput!) { packShipment(input: $input) {"
    f" shipment {{ {SHIPMENT} }} errors {{ field code message }} }} }}"
)
DOCUMENTS["validateShipment"] = (
    "mutation ValidateShipment($input: ValidateShipmentInput!) { validateShipment(input: $input) {"
    f" shipment {{ {SHIPMENT} }} errors {{ field code message }} }} }}"
)
# A lookup made while offline: sent later so the server's scan log has it (it has no idempotency key).
DOCUMENTS["scanBarcode"] = (
    "mutation Scan($input: ScanInput!) { scanBarcode(input: $input) { resolution { kind } errors { code message } } }"
)
WAITING, REFUSED = "waiting", "refused"
# The task screen that fixes a refused write of each operation (a pallet's is the move screen's).
FIXED_ON = {
    "receiveStock": RECEIVE, "receivePurchaseOrder": RECEIVE, "moveStock": MOVE, "movePackage": MOVE,
    "adjustStock": COUNT, "issueStock": ISSUE, "confirmPicks": PICK, "packShipment": SHIP, "validateShipment": SHIP,
}  # fmt: skip


@dataclass(frozen=True)
class Entry:
    id: int
    server: str
    username: str
    operation: str
    input: dict[str, Any]
    summary: str
    state: str
    error: UserError | None
    attempts: int
    created_at: str

    @property
    def document(self) -> str:
        return DOCUMENTS[self.operation]

    @property
    def variables(self) -> dict[str, Any]:
        return {"input": self.input}

    @property
    def scan_code(self) -> str | None:
        scan = self.input if self.operation == "scanBarcode" else self.input.get("scan")
        return scan.get("code") if isinstance(scan, dict) else None


_COLUMNS = "id, server, username, operation, input, summary, state, error_code, error_message, attempts, created_at"


def _entry(row: tuple[Any, ...]) -> Entry:
    error = UserError(row[7], row[8] or "") if row[7] else None
    return Entry(row[0], row[1], row[2], row[3], json.loads(row[4]), row[5], row[6], error, row[9], row[10])


class Outbox:
    """Entries in the order they were made; only ``waiting`` ones are sent."""

    def __init__(self, store: DeviceStore) -> None:
        self.store = store

    def add(self, server: str, username: str, operation: str, input: dict[str, Any], summary: str) -> Entry:
        if operation not in DOCUMENTS:
            raise ValueError(f"no such operation: {operation}")
        if operation != "scanBarcode":
            input = {**input, "idempotencyKey": input.get("idempotencyKey") or new_key()}
        created = datetime.now(UTC).isoformat(timespec="seconds")
        entry_id = self.store.run(
            "INSERT INTO outbox (server, username, operation, input, summary, created_at) VALUES (?, ?, ?, ?, ?, ?)",
            (server, username, operation, json.dumps(input), summary, created),
        )
        return self.get(entry_id)  # type: ignore[return-value]

    def get(self, entry_id: int) -> Entry | None:
        rows = self.store.rows(f"SELECT {_COLUMNS} FROM outbox WHERE id = ?", (entry_id,))
        return _entry(rows[0]) if rows else None

    def entries(self) -> list[Entry]:
        """Everything not sent yet, of every user, oldest first."""
        return [_entry(row) for row in self.store.rows(f"SELECT {_COLUMNS} FROM outbox ORDER BY id")]

    def waiting(self, server: str, username: str) -> list[Entry]:
        rows = self.store.rows(
            f"SELECT {_COLUMNS} FROM outbox WHERE state = ? AND server = ? AND username = ? ORDER BY id",
            (WAITING, server, username),
        )
        return [_entry(row) for row in rows]

    def counts(self) -> tuple[int, int]:
        """How many entries wait and how many were refused, of every user."""
        rows = dict(self.store.rows("SELECT state, COUNT(*) FROM outbox GROUP BY state"))
        return int(rows.get(WAITING, 0)), int(rows.get(REFUSED, 0))

    def attempted(self, entry_id: int) -> None:
        self.store.run("UPDATE outbox SET attempts = attempts + 1 WHERE id = ?", (entry_id,))

    def sent(self, entry_id: int) -> None:
        self.store.run("DELETE FROM outbox WHERE id = ?", (entry_id,))

    def refused(self, entry_id: int, error: UserError) -> None:
        self.store.run(
            "UPDATE outbox SET state = ?, error_code = ?, error_message = ? WHERE id = ?",
            (REFUSED, error.code, error.message, entry_id),
        )

    def drop(self, entry_id: int) -> None:
        self.sent(entry_id)

    def fix(self, entry_id: int, changes: dict[str, Any], summary: str | None = None) -> Entry:
        """Change a refused entry's input and send it again, under a new idempotency key."""
        entry = self.get(entry_id)
        if entry is None:
            raise KeyError(entry_id)
        fixed = {**entry.input, **changes}
        if entry.operation != "scanBarcode":
            fixed["idempotencyKey"] = new_key()
        self.store.run(
            "UPDATE outbox SET input = ?, summary = ?, state = ?, error_code = NULL, error_message = NULL WHERE id = ?",
            (json.dumps(fixed), summary or entry.summary, WAITING, entry_id),
        )
        return self.get(entry_id)  # type: ignore[return-value]

    def retry(self, entry_id: int) -> None:
        """Send a refused entry again as it is (the refusal may have been a stock level that changed since)."""
        self.store.run(
            "UPDATE outbox SET state = ?, error_code = NULL, error_message = NULL WHERE id = ?", (WAITING, entry_id)
        )


def new_key() -> str:
    return str(uuid.uuid4())
