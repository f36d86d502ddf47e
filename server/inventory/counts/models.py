"""What a count holds: its bins, the expected quantities snapshotted when each bin was started, and
what every counter counted.

A count's header is its document (``stock_count.id`` is the document's id). The expected quantity of a
line is the on hand of its (bin, product, lot, package) when the bin was started; what was counted is
the sum of every counter's tally (none: 0 once the bin is finished), or the recount when one was asked for.
"""

from __future__ import annotations

from typing import Any

from tortoise import fields
from tortoise.models import Model

from server.auth.models import User
from server.catalog.models import Product
from server.inventory.models import QUANTITY_DIGITS, QUANTITY_PLACES, Location, Warehouse


def _quantity(*, null: bool = False, default: int | None = None) -> Any:
    return fields.DecimalField(  # type: ignore[call-overload]
        max_digits=QUANTITY_DIGITS, decimal_places=QUANTITY_PLACES, null=null, default=default
    )


class StockCount(Model):
    """What a count covers and how it is counted (its document holds its state, number and version)."""

    id = fields.BigIntField(primary_key=True, generated=False)  # the document's id
    warehouse: fields.ForeignKeyRelation[Warehouse] = fields.ForeignKeyField(
        "storekeeper.Warehouse", related_name="counts", on_delete=fields.RESTRICT
    )
    scope = fields.CharField(max_length=16)  # warehouse | zone | abc | stale_bins (server/inventory/counts/plans.py)
    zone: fields.ForeignKeyNullableRelation[Location] = fields.ForeignKeyField(
        "storekeeper.Location", related_name="counts", null=True, on_delete=fields.RESTRICT
    )
    plan: dict[str, Any] = fields.JSONField(default=dict)  # type: ignore[assignment]  # how the bins were chosen
    blind = fields.BooleanField(default=True)  # counters never see what is expected
    # A difference above either asks for a recount by another user (None: no limit of that kind).
    recount_units = _quantity(null=True)
    recount_value = fields.DecimalField(max_digits=18, decimal_places=4, null=True)

    class Meta:
        table = "stock_count"


class CountBin(Model):
    """A bin of a count: started by its first scan (the expected quantities are read then), finished explicitly."""

    id = fields.BigIntField(primary_key=True)
    count: fields.ForeignKeyRelation[StockCount] = fields.ForeignKeyField(
        "storekeeper.StockCount", related_name="bins", on_delete=fields.CASCADE
    )
    location: fields.ForeignKeyRelation[Location] = fields.ForeignKeyField(
        "storekeeper.Location", related_name="count_bins", on_delete=fields.RESTRICT
    )
    started_at = fields.DatetimeField(null=True)
    started_by: fields.ForeignKeyNullableRelation[User] = fields.ForeignKeyField(
        "storekeeper.User", related_name="started_count_bins", null=True, on_delete=fields.RESTRICT
    )
    finished_at = fields.DatetimeField(null=True)
    finished_by: fields.ForeignKeyNullableRelation[User] = fields.ForeignKeyField(
        "storekeeper.User", related_name="finished_count_bins", null=True, on_delete=fields.RESTRICT
    )

    class Meta:
        table = "count_bin"
        unique_together = (("count", "location"),)


class BinUnderCount(Model):
    """A bin in a count not yet approved or cancelled: the unique key keeps it in one such count at a time."""

    id = fields.BigIntField(primary_key=True)
    location: fields.OneToOneRelation[Location] = fields.OneToOneField(
        "storekeeper.Location", related_name="under_count", on_delete=fields.RESTRICT
    )
    count: fields.ForeignKeyRelation[StockCount] = fields.ForeignKeyField(
        "storekeeper.StockCount", related_name="claimed_bins", on_delete=fields.CASCADE
    )

    class Meta:
        table = "bin_under_count"


class CountProduct(Model):
    """A count of only some products (a cycle count by ABC class): none listed means every product."""

    id = fields.BigIntField(primary_key=True)
    count: fields.ForeignKeyRelation[StockCount] = fields.ForeignKeyField(
        "storekeeper.StockCount", related_name="products", on_delete=fields.CASCADE
    )
    product: fields.ForeignKeyRelation[Product] = fields.ForeignKeyField(
        "storekeeper.Product", related_name="count_products", on_delete=fields.RESTRICT
    )

    class Meta:
        table = "count_product"
        unique_together = (("count", "product"),)


class CountLine(Model):
    """One (bin, product, lot, package) of a count: expected when the bin was started, and counted."""

    id = fields.BigIntField(primary_key=True)
    bin: fields.ForeignKeyRelation[CountBin] = fields.ForeignKeyField(
        "storekeeper.CountBin", related_name="lines", on_delete=fields.CASCADE
    )
    product: fields.ForeignKeyRelation[Product] = fields.ForeignKeyField(
        "storekeeper.Product", related_name="count_lines", on_delete=fields.RESTRICT
    )
    lot_id = fields.IntField(default=0)  # 0: none
    package_id = fields.BigIntField(default=0)  # 0: loose
    expected = _quantity(default=0)
    recount_needed = fields.BooleanField(default=False)
    recounted = _quantity(null=True)  # what the recount found: it replaces ``counted``
    recounted_by: fields.ForeignKeyNullableRelation[User] = fields.ForeignKeyField(
        "storekeeper.User", related_name="count_recounts", null=True, on_delete=fields.RESTRICT
    )

    class Meta:
        table = "count_line"
        unique_together = (("bin", "product", "lot_id", "package_id"),)


class CountTally(Model):
    """What one counter counted of one line: several counters of a bin add up."""

    id = fields.BigIntField(primary_key=True)
    line: fields.ForeignKeyRelation[CountLine] = fields.ForeignKeyField(
        "storekeeper.CountLine", related_name="tallies", on_delete=fields.CASCADE
    )
    user: fields.ForeignKeyRelation[User] = fields.ForeignKeyField(
        "storekeeper.User", related_name="count_tallies", on_delete=fields.RESTRICT
    )
    quantity = _quantity(default=0)
    updated_at = fields.DatetimeField(auto_now=True)

    class Meta:
        table = "count_tally"
        unique_together = (("line", "user"),)
