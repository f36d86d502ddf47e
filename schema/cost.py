"""The cost of an operation: how much it may make the server read and build, known before it runs.

Each field costs 1 for every item of every list around it (a list of scalars counts its items as
fields, and an item of a list of objects counts at least 1, even when only free fields are asked).
A connection's ``edges`` count its page: ``first`` or ``last``, the server's page size when neither
is given, never more than it. Any other list counts its ``first`` argument the same
way, or else the cap it is declared with in ``LIST_CAPS``. Fragments, inline and named, count
where they are spread; introspection fields (``__typename``, ``__schema``, ``__type``) are free.
An upper bound: ``@skip``/``@include`` are ignored, and fragments on different types of an
interface all count though each result item has one type.

Each named fragment is walked once per page size it is spread with: a fragment spread twice in a
fragment spread twice, and so on, multiplies the cost but not the work of computing it.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from graphql import (
    DocumentNode,
    FieldNode,
    FragmentDefinitionNode,
    FragmentSpreadNode,
    GraphQLError,
    GraphQLField,
    GraphQLNamedType,
    GraphQLSchema,
    InlineFragmentNode,
    OperationDefinitionNode,
    SelectionSetNode,
    get_named_type,
    get_nullable_type,
    is_list_type,
    is_object_type,
)
from graphql.execution.values import VariableValues, get_argument_values, get_variable_values
from graphql.utilities import get_operation_ast

from server.auth.permissions import Permission
from server.catalog.barcodes import MAX_BARCODES_PER_PRODUCT
from server.catalog.packagings import MAX_BARCODES_PER_PACKAGING, MAX_PACKAGINGS
from server.catalog.units import MAX_UNITS_PER_CATEGORY
from server.documents.attachments import MAX_ATTACHMENTS
from server.documents.kinds import MAX_REASONS, MAX_STATES
from server.documents.lines import MAX_LINES
from server.documents.service import MAX_DELIVERIES_SHOWN, MAX_MARKS
from server.errors import MAX_ERRORS
from server.inventory.assembly import MAX_MOVES
from server.inventory.kits import MAX_KIT_COMPONENTS
from server.inventory.losses import MAX_LOSS_LINES
from server.inventory.posting import MAX_LOTS_PER_POSTING
from server.mail.service import MAX_RECIPIENTS
from server.partners import models as partners
from server.printing.view import Column
from server.purchasing.inquiries import MAX_SUPPLIERS as MAX_INQUIRY_SUPPLIERS
from server.purchasing.receiving import MAX_ORDERS as MAX_RECEIPT_ORDERS
from server.sales import bundles
from server.scanning import MAX_GS1_ELEMENTS

CONNECTION_LISTS = frozenset({"edges", "nodes"})


@dataclass(frozen=True)
class ListCap:
    """The most items a list field holds, and why it cannot hold more; ``items=None``: one page."""

    items: int | None
    why: str


PAGE = None  # the server's max_page_size, as the field's resolver limits it

# Every list field that is neither a connection's edges nor takes `first`: test_query_cost walks the
# schema and fails for any list missing here.
LIST_CAPS: dict[str, ListCap] = {
    "Product.barcodes": ListCap(MAX_BARCODES_PER_PRODUCT, "the catalog refuses more barcodes per product"),
    "Product.packagings": ListCap(MAX_PACKAGINGS, "the catalog refuses more packaging levels per product"),
    "Product.units": ListCap(MAX_UNITS_PER_CATEGORY, "the catalog refuses more units in a category"),
    "Packaging.barcodes": ListCap(MAX_BARCODES_PER_PACKAGING, "the catalog refuses more barcodes per packaging level"),
    "BarcodeResolution.gs1": ListCap(MAX_GS1_ELEMENTS, "a code with more GS1 elements is refused as no label"),
    "Me.permissions": ListCap(len(Permission), "a role grants some of the named permissions"),
    "Party.roles": ListCap(len(partners.PartyRole), "a party holds each role at most once"),
    "Party.marks": ListCap(partners.MAX_MARKS, "the partners area refuses more marks per party"),
    "Party.contacts": ListCap(partners.MAX_CONTACTS, "the partners area refuses more contacts per party"),
    "Party.addresses": ListCap(partners.MAX_ADDRESSES, "the partners area refuses more addresses per party"),
    "Store.warehouses": ListCap(partners.MAX_WAREHOUSES_PER_STORE, "a store is refused more warehouses"),
    "Employee.stores": ListCap(partners.MAX_STORES_PER_EMPLOYEE, "an employee is refused more stores"),
    "StockPayload.moves": ListCap(MAX_LOTS_PER_POSTING, "one move per lot a posting draws from, at most that many"),
    "Subscription.stockLevels": ListCap(PAGE, "each event reads one page of the product's levels"),
    # Every payload implements Payload: its errors are declared once, for the interface and all of them.
    "Payload.errors": ListCap(MAX_ERRORS, "schema.mutations.answer reports at most MAX_ERRORS problems of a call"),
    "Revaluation.adjustments": ListCap(2, "a revaluation writes at most a revaluation and a cost-of-goods entry"),
    "Query.documentTypes": ListCap(50, "the document types declared in server/documents/registry.py"),
    "DocumentType.states": ListCap(MAX_STATES, "a document type declares a few states"),
    "DocumentType.reasons": ListCap(MAX_REASONS, "a document type declares a few reasons"),
    "Document.lines": ListCap(MAX_LINES, "a document is refused more lines"),
    "ReceiptPayload.orders": ListCap(MAX_RECEIPT_ORDERS, "a receipt is refused lines of more orders"),
    "SupplierReturnPayload.orders": ListCap(MAX_RECEIPT_ORDERS, "a return's receipt filled lines of at most as many"),
    "Query.periodLocks": ListCap(PAGE, "the resolver lists at most the server's page size"),
    "Query.stockLosses": ListCap(MAX_LOSS_LINES, "kinds of loss location x reasons, cut at that many lines"),
    "Document.marks": ListCap(MAX_MARKS, "a document is refused more marks"),
    "Document.attachments": ListCap(MAX_ATTACHMENTS, "a document is refused more files"),
    "Document.actions": ListCap(MAX_STATES, "a document type declares a few transitions"),
    "Document.deliveries": ListCap(MAX_DELIVERIES_SHOWN, "the latest messages that sent the document"),
    "Delivery.to": ListCap(MAX_RECIPIENTS, "the outbox refuses more recipients per message"),
    "PrintTemplate.columns": ListCap(len(Column), "a template shows each column at most once"),
    "StockCount.binList": ListCap(PAGE, "the resolver lists at most the server's page size"),
    "Query.openCounts": ListCap(PAGE, "the resolver lists at most the server's page size"),
    "StockCount.lines": ListCap(PAGE, "the resolver lists at most the server's page size"),
    "StockCount.problems": ListCap(MAX_ERRORS, "the resolver reports at most MAX_ERRORS problems"),
    "Kit.components": ListCap(MAX_KIT_COMPONENTS, "a kit is refused more components"),
    "KitAssemblyPayload.moves": ListCap(MAX_MOVES, "an assembly taking stock from more lots is refused"),
    "PurchaseInquiry.suppliers": ListCap(MAX_INQUIRY_SUPPLIERS, "an inquiry is refused more suppliers"),
    "InquiryLineComparison.quotes": ListCap(MAX_INQUIRY_SUPPLIERS, "one quote per supplier the inquiry asked"),
    "InquiryLineComparison.awaiting": ListCap(MAX_INQUIRY_SUPPLIERS, "some of the suppliers the inquiry asked"),
    "ChoosePurchaseQuotesPayload.orders": ListCap(MAX_INQUIRY_SUPPLIERS, "one order per supplier the inquiry asked"),
    "SalesOrderDetails.fulfillmentGroups": ListCap(
        partners.MAX_WAREHOUSES_PER_STORE, "one per warehouse of the store that ships part of the order"
    ),
    "Bundle.components": ListCap(bundles.MAX_BUNDLE_COMPONENTS, "a bundle is refused more components"),
    "BundleAvailability.warehouses": ListCap(
        max(bundles.MAX_WAREHOUSES_SHOWN, partners.MAX_WAREHOUSES_PER_STORE), "a store's warehouses, else cut there"
    ),
    "BundleWarehouseAvailability.components": ListCap(bundles.MAX_BUNDLE_COMPONENTS, "one per component"),
    "SalesAvailability.warehouses": ListCap(partners.MAX_WAREHOUSES_PER_STORE, "one per warehouse of the store"),
    "SalesWarehouseAvailability.supplies": ListCap(bundles.MAX_BUNDLE_COMPONENTS, "the product, or a bundle's parts"),
    "UserError.field": ListCap(8, "a path to an input: input, a field, a list's index, ... a few steps deep"),
}


def declared_cap(parent: Any, name: str) -> ListCap | None:
    """The cap declared for ``parent.name``, on the type itself or on an interface it implements."""
    for owner in (parent, *getattr(parent, "interfaces", ())):
        if (cap := LIST_CAPS.get(f"{owner.name}.{name}")) is not None:
            return cap
    return None


@dataclass(frozen=True)
class OperationCost:
    total: int
    fields_walked: int  # field nodes visited to compute it: bounded by the document, not by the total


class _Unrunnable(Exception):
    """Variables or arguments graphql-core will refuse before running anything."""


def is_connection(type_: GraphQLNamedType) -> bool:
    """A Relay connection: an object type with ``edges`` and ``pageInfo``."""
    return is_object_type(type_) and {"edges", "pageInfo"} <= type_.fields.keys()  # type: ignore[attr-defined]


def operation_cost(
    schema: GraphQLSchema,
    document: DocumentNode,
    operation_name: str | None,
    variables: dict[str, Any] | None,
    *,
    max_page_size: int,
) -> OperationCost | None:
    """The cost of the operation that would run, or None when graphql-core will refuse to run it
    anyway (no such operation, variables of the wrong type)."""
    key = (id(document), operation_name, max_page_size)
    known = _costs_of_documents.get(key)
    if known is not None and known[0] is document:
        return known[1]
    operation = get_operation_ast(document, operation_name)
    root = schema.get_root_type(operation.operation) if operation is not None else None
    if operation is None or root is None:
        return None
    walk = _Walk(schema, document, operation, variables or {}, max_page_size)
    try:
        total = walk.selections(root, operation.selection_set, None)
    except _Unrunnable:
        return None
    cost = OperationCost(total, walk.fields_walked)
    if walk.variables is None:  # no page size came from a variable: the same for every request of the document
        if len(_costs_of_documents) >= _KNOWN_DOCUMENTS:
            _costs_of_documents.pop(next(iter(_costs_of_documents)))
        _costs_of_documents[key] = (document, cost)
    return cost


# Costs that depend on the document alone, by the parsed document (schema/query_cache.py hands the same
# object to every request of a query) and kept with it, so an id reused by another object never matches.
_KNOWN_DOCUMENTS = 512
_costs_of_documents: dict[tuple[int, str | None, int], tuple[DocumentNode, OperationCost]] = {}


class _Walk:
    def __init__(
        self,
        schema: GraphQLSchema,
        document: DocumentNode,
        operation: OperationDefinitionNode,
        variables: dict[str, Any],
        max_page_size: int,
    ) -> None:
        self.schema = schema
        self.fragments = {d.name.value: d for d in document.definitions if isinstance(d, FragmentDefinitionNode)}
        self.operation = operation
        self.raw_variables = variables
        self.max_page_size = max_page_size
        self.variables: VariableValues | None = None  # coerced when a page size first needs them
        self.fragment_costs: dict[tuple[str, int | None], int] = {}
        self.fields_walked = 0

    def selections(self, parent: Any, selection_set: SelectionSetNode, page: int | None) -> int:
        """``page``: the page size, when ``parent`` is a connection."""
        total = 0
        for selection in selection_set.selections:
            if isinstance(selection, FieldNode):
                total += self.field(parent, selection, page)
            elif isinstance(selection, InlineFragmentNode):
                condition = selection.type_condition
                target = self.schema.get_type(condition.name.value) if condition else parent
                total += self.selections(target, selection.selection_set, page)
            elif isinstance(selection, FragmentSpreadNode):
                total += self.fragment(selection.name.value, page)
        return total

    def fragment(self, name: str, page: int | None) -> int:
        key = (name, page)
        if key not in self.fragment_costs:
            self.fragment_costs[key] = 0  # a cycle (refused by validation) adds nothing
            definition = self.fragments.get(name)
            if definition is not None:
                target = self.schema.get_type(definition.type_condition.name.value)
                self.fragment_costs[key] = self.selections(target, definition.selection_set, page)
        return self.fragment_costs[key]

    def field(self, parent: Any, node: FieldNode, page: int | None) -> int:
        name = node.name.value
        definition: GraphQLField | None = getattr(parent, "fields", {}).get(name)
        if name.startswith("__") or definition is None:
            return 0
        self.fields_walked += 1
        child = get_named_type(definition.type)
        items = self.items(parent, name, definition, node, page)
        if node.selection_set is None:
            return 1 + items if is_list_type(get_nullable_type(definition.type)) else 1
        child_page = self.page_size(definition, node, "last", "first") if is_connection(child) else None
        # Every item is built, whatever is asked of it: one with only free fields (__typename) counts 1.
        return 1 + items * max(1, self.selections(child, node.selection_set, child_page))

    def items(self, parent: Any, name: str, definition: GraphQLField, node: FieldNode, page: int | None) -> int:
        if not is_list_type(get_nullable_type(definition.type)):
            return 1
        if name in CONNECTION_LISTS and is_connection(parent):
            return page if page is not None else self.max_page_size
        if "first" in definition.args:
            return self.page_size(definition, node, "first")
        cap = declared_cap(parent, name)
        # An undeclared list (test_every_list_field_is_paged_or_capped fails for it) counts as a page.
        return self.max_page_size if cap is None or cap.items is None else cap.items

    def page_size(self, definition: GraphQLField, node: FieldNode, *names: str) -> int:
        """The first of ``names`` given, capped at the page size as ``schema.relay.Window`` caps it."""
        if self.variables is None:
            coerced = get_variable_values(self.schema, self.operation.variable_definitions or (), self.raw_variables)
            if isinstance(coerced, list):  # graphql-core refuses these variables before executing
                raise _Unrunnable
            self.variables = coerced
        try:
            arguments = get_argument_values(definition, node, self.variables)
        except GraphQLError:
            raise _Unrunnable from None
        size = next((arguments[n] for n in names if arguments.get(n) is not None), None)
        return self.max_page_size if size is None else max(0, min(size, self.max_page_size))
