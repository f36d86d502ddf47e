"""Input objects built from their GraphQL values by a plan made once per type.

Strawberry converts an input object field by field, resolving each field's type again for every
request: for a mutation like ``receiveStock`` that was a tenth of the server's CPU per request
(bench/scan_to_commit.py, docs/performance.md). Its ``from_input`` hook (on the type's definition, made
for integrations like this one) lets a type build itself: here each field's GraphQL name, type and
whether its value needs converting at all are worked out on first use. Scalars pass through as
Strawberry passes them; enums, lists and nested inputs still go through Strawberry's own conversion
(``InputContext.convert``), so what a resolver receives does not change.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import MISSING, dataclass
from typing import Any

from strawberry import Schema
from strawberry.relay import GlobalID
from strawberry.scalars import is_scalar
from strawberry.types.arguments import InputContext
from strawberry.types.base import StrawberryMaybe, StrawberryObjectDefinition, StrawberryOptional, StrawberryType


@dataclass(frozen=True)
class _Field:
    graphql_name: str
    python_name: str
    type_: StrawberryType | type
    passes_through: bool  # a scalar (or an optional one): its value is the Python value already


@dataclass(frozen=True)
class _Plan:
    implicit: dict[str, None]  # fields without a default: None unless given (graphql-core checked the required)
    fields: tuple[_Field, ...]


_plans: dict[type, _Plan] = {}


def _plan(cls: type, context: InputContext) -> _Plan:
    definition: StrawberryObjectDefinition = cls.__strawberry_definition__  # type: ignore[attr-defined]
    implicit = {
        field.python_name: None
        for field in definition.fields
        if field.default_value is MISSING and field.default_factory is MISSING
    }
    fields = []
    for field in definition.fields:
        type_ = field.resolve_type(type_definition=definition)
        inner = type_.of_type if isinstance(type_, StrawberryOptional) else type_
        scalar = is_scalar(inner, context.scalar_registry) and inner is not GlobalID
        fields.append(_Field(context.config.name_converter.from_field(field), field.python_name, type_, scalar))
    return _Plan(implicit, tuple(fields))


def _from_input(cls: type, value: Mapping[str, Any], context: InputContext) -> Any:
    plan = _plans.get(cls)
    if plan is None:
        plan = _plans[cls] = _plan(cls, context)
    kwargs: dict[str, Any] = dict(plan.implicit)
    for field in plan.fields:
        if field.graphql_name in value:
            given = value[field.graphql_name]
            kwargs[field.python_name] = (
                given if field.passes_through else context.convert(given, field.type_, field.graphql_name)
            )
    return cls(**kwargs)


def build_inputs_by_plan(schema: Schema) -> None:
    """Let every input object of ``schema`` build itself by its plan (not those with ``Maybe`` fields,
    whose nulls Strawberry checks only for inputs it converts itself)."""
    for concrete in schema.schema_converter.type_map.values():
        definition = concrete.definition
        if not isinstance(definition, StrawberryObjectDefinition) or not definition.is_input:
            continue
        if definition.from_input is not None:
            continue
        if any(isinstance(field.type, StrawberryMaybe) for field in definition.fields):
            continue
        definition.from_input = _from_input
