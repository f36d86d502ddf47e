"""Parsed and validated documents, cached for the operations clients send again and again.

Only small documents are cached. The caches are keyed by the document's text: a cache of
thousand-entry size holding documents padded to a megabyte each (a comment passes the token
limit) would pin gigabytes, for anyone, token or not. Real operations are a few kilobytes; a
larger one is parsed and validated anew each time, at its sender's expense.
"""

from __future__ import annotations

from collections.abc import Iterator
from functools import lru_cache

from graphql.language.parser import parse
from strawberry.extensions import SchemaExtension
from strawberry.schema.schema import validate_document

CACHED_DOCUMENT_LENGTH = 16 * 1024
_ENTRIES = 1024

_parse = lru_cache(maxsize=_ENTRIES)(parse)
_validate = lru_cache(maxsize=_ENTRIES)(validate_document)


class DocumentCache(SchemaExtension):
    def _cacheable(self) -> bool:
        query = self.execution_context.query
        return query is not None and len(query) <= CACHED_DOCUMENT_LENGTH

    def on_parse(self) -> Iterator[None]:
        context = self.execution_context
        if self._cacheable():  # else Strawberry parses it, uncached
            context.graphql_document = _parse(context.query, **context.parse_options)
        yield

    def on_validate(self) -> Iterator[None]:
        context = self.execution_context
        if self._cacheable() and context.graphql_document is not None:  # else Strawberry validates it
            context.pre_execution_errors = _validate(
                context.schema._schema, context.graphql_document, context.validation_rules
            )
        yield
