"""The stockLevels subscription reads a product's levels once per change, however many subscribe to it."""

from __future__ import annotations

import asyncio

from schema import build_schema
from schema.websocket import SubscriptionApp
from server.settings import Settings
from tests.conftest import Actor, GraphQLClient, Place, SQLLog
from tests.schema.test_subscriptions_limits import STOCK_SUBSCRIPTION, Socket, levels_of, receive_stock

SUBSCRIBERS = 6


def _level_reads(sql_log: SQLLog) -> list[str]:
    """The statements that read stock levels: quants (with their product) looked up by SKU."""
    squeezed = [(s, s.lower().replace('"', "").replace(" ", "")) for s in sql_log.statements]
    return [
        s
        for s, bare in squeezed
        if bare.startswith("select") and "fromquant" in bare and ".sku=" in bare
        and "fromproduct,location" not in bare  # a receipt's own lookup (it reads its quant's on-hand)
    ]  # fmt: skip


async def _settle() -> None:
    """Give any reader still at work the time to read (a feed that did not stop would read now)."""
    await asyncio.sleep(0.3)


async def test_subscribers_of_one_product_share_one_read_per_change(
    graphql: GraphQLClient, settings: Settings, admin: Actor, viewer: Actor, place: Place, sql_log: SQLLog
) -> None:
    app = SubscriptionApp(build_schema(), settings)
    mine, theirs = await Socket(app).open(admin.token), await Socket(app).open(viewer.token)
    try:
        half = SUBSCRIBERS // 2
        on_mine = {await mine.subscribe(STOCK_SUBSCRIPTION, {"sku": place.sku}) for _ in range(half)}
        on_theirs = {await theirs.subscribe(STOCK_SUBSCRIPTION, {"sku": place.sku}) for _ in range(half)}
        assert set(map(len, (await levels_of(mine, on_mine)).values())) == {0}
        assert set(map(len, (await levels_of(theirs, on_theirs)).values())) == {0}
        assert len(_level_reads(sql_log)) == 1  # the later subscribers were handed the first one's read

        sql_log.statements.clear()
        await receive_stock(graphql, admin, place, "3")
        expected = [{"locationCode": place.bin_a, "onHand": "3.0000"}]
        assert list((await levels_of(mine, on_mine)).values()) == [expected] * half
        assert list((await levels_of(theirs, on_theirs)).values()) == [expected] * half
        await _settle()
        assert len(_level_reads(sql_log)) == 1, _level_reads(sql_log)

        # A subscriber that leaves hears nothing more; the others go on.
        leaving = sorted(on_mine)[0]
        await mine.complete(leaving)
        await receive_stock(graphql, admin, place, "1")
        expected = [{"locationCode": place.bin_a, "onHand": "4.0000"}]
        assert list((await levels_of(mine, on_mine - {leaving})).values()) == [expected] * (half - 1)
        assert list((await levels_of(theirs, on_theirs)).values()) == [expected] * half
        await _settle()
        assert mine.pending() == 0

        # When the last subscriber leaves, nothing reads the product's levels any more.
        for operation_id in on_mine - {leaving}:
            await mine.complete(operation_id)
        await theirs.close()
        await _settle()
        sql_log.statements.clear()
        await receive_stock(graphql, admin, place, "1")
        await _settle()
        assert _level_reads(sql_log) == [] and mine.pending() == 0
    finally:
        await mine.close()
        if not theirs.task.done():
            await theirs.close()
