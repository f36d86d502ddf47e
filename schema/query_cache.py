"""Parsed and validated documents, cached for the operations clients send again and again.

The cache holds a bounded amount of text, not a number of entries: a parsed document keeps every
token, some 60 bytes of memory for each character of text, so a thousand entries of 16 KiB each
(anyone may send them, token or not) would pin a gigabyte. Documents above ``CACHED_DOCUMENT_LENGTH``
are not kept at all (those above ``MAX_DOCUMENT_LENGTH`` are refused unread), and the oldest entries
leave once the texts kept reach ``CACHED_TEXT``.
A document's validation is kept with it, so evicting it frees both. The schema's one extension
(schema/extension.py) asks it at parse and at validation.
"""

from __future__ import annotations

from collections import OrderedDict
from dataclasses import dataclass, field
from typing import Any

from graphql import DocumentNode, GraphQLError
from graphql.language.parser import parse
from strawberry.schema.schema import validate_document
from strawberry.types import ExecutionContext

# A document longer than this is refused before it is parsed: real operations are a few kilobytes,
# and parsing a megabyte holds the event loop a tenth of a second. Large values go in variables.
MAX_DOCUMENT_LENGTH = 64 * 1024
CACHED_DOCUMENT_LENGTH = 8 * 1024
CACHED_TEXT = 1024 * 1024  # about 60 MB of parsed documents at most


@dataclass
class _Entry:
    document: DocumentNode
    validated: dict[Any, list[GraphQLError]] = field(default_factory=dict)  # by the rules in force


class DocumentCache:
    entries: OrderedDict[str, _Entry] = OrderedDict()  # one for the process, least recently used first
    text_kept = 0

    @classmethod
    def parse(cls, context: ExecutionContext) -> None:
        """Before Strawberry parses: the document, parsed before (else Strawberry parses it, and nothing is kept)."""
        query = context.query
        if query is not None and len(query) <= CACHED_DOCUMENT_LENGTH:
            entry = cls._entry(query, context.parse_options)
            context.graphql_document = entry.document

    @classmethod
    def validate(cls, context: ExecutionContext) -> None:
        """Before Strawberry validates: the errors found before, with the same rules (else Strawberry validates)."""
        entry = cls.entries.get(context.query or "")
        if entry is not None and entry.document is context.graphql_document:
            rules = context.validation_rules
            if rules not in entry.validated:
                entry.validated[rules] = validate_document(context.schema._schema, entry.document, rules)
            context.pre_execution_errors = entry.validated[rules]

    @classmethod
    def _entry(cls, query: str, parse_options: dict[str, Any]) -> _Entry:
        entry = cls.entries.get(query)
        if entry is not None:
            cls.entries.move_to_end(query)
            return entry
        entry = _Entry(parse(query, **parse_options))  # a syntax error is raised, and nothing kept
        cls.entries[query] = entry
        cls.text_kept += len(query)
        while cls.text_kept > CACHED_TEXT:
            evicted, _ = cls.entries.popitem(last=False)
            cls.text_kept -= len(evicted)
        return entry
