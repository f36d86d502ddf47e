"""The document types of fulfillment: pick lists and shipments.

A pick list is made ``draft``, claimed by one picker (a field, not a state: a claim moves nothing), and
``pick`` books what was picked (``done``); a shipment is made ``draft``, may be packed, and ``validate``
books it to the customer (``done``). Both may be cancelled while draft: nothing was booked yet.
"""

from __future__ import annotations

from server.documents.kinds import CANCELLED, DONE, DRAFT, DocumentKind, Transition, register
from server.partners.models import PartyRole

PICK = "sales.pick"
SHIPMENT = "sales.shipment"
PICK_ACTION, VALIDATE, CANCEL = "pick", "validate", "cancel"

PICK_KIND = register(DocumentKind(
    type=PICK, title="Pick list", prefix="PK", made_by="createPickList", numbered_when_made=True,
    editable=frozenset(),  # its lines are what the orders hold reserved: never rewritten by updateDocument
    transitions=(
        Transition(PICK_ACTION, frozenset({DRAFT}), DONE),
        Transition(CANCEL, frozenset({DRAFT}), CANCELLED),
    ),
    own_actions=frozenset({PICK_ACTION}),
))  # fmt: skip

SHIPMENT_KIND = register(DocumentKind(
    type=SHIPMENT, title="Shipment", prefix="SH", party_role=PartyRole.CUSTOMER, made_by="createShipment",
    numbered_when_made=True,
    editable=frozenset(),  # its lines and customer are what it books and prints: never rewritten by updateDocument
    transitions=(
        Transition(VALIDATE, frozenset({DRAFT}), DONE),
        Transition(CANCEL, frozenset({DRAFT}), CANCELLED),
    ),
    own_actions=frozenset({VALIDATE}),
))  # fmt: skip
