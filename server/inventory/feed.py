"""A product's stock levels for every subscriber in this process: read once per change, handed to each.

Each subscriber reading the levels itself made one change cost one read per subscriber (ten sockets
of a hundred subscriptions: a thousand reads). A feed reads once and hands the result out; the
first subscriber of a product starts it, the last one to leave stops it. Whether a subscriber may
still see the result is its own business, checked before it passes the levels on.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import Iterator

from server import events
from server.inventory.stock import StockLevel, stock_levels

log = logging.getLogger(__name__)
Levels = list[StockLevel]


class FeedFailed(Exception):
    """The feed could not read the levels; its subscribers end, the next one starts a new feed."""


class Watcher:
    """One subscriber's place at a feed: the newest levels it has not taken yet.

    Holds one result, not a queue: a subscriber too slow for a burst of changes skips to the newest.
    """

    def __init__(self) -> None:
        self._latest: Levels | None = None
        self._failed = False
        self._ready = asyncio.Event()

    def offer(self, levels: Levels) -> None:
        self._latest = levels
        self._ready.set()

    def fail(self) -> None:
        self._failed = True
        self._ready.set()

    async def next(self) -> Levels:
        """The levels, as read after the last change; waits for a change when they were taken already."""
        await self._ready.wait()
        self._ready.clear()
        if self._failed:
            raise FeedFailed("The stock levels could not be read; subscribe again.")
        assert self._latest is not None
        return self._latest


class StockFeed:
    def __init__(self, product_id: int, sku: str, limit: int) -> None:
        self.watchers: set[Watcher] = set()
        self.latest: Levels | None = None
        self.task = asyncio.get_running_loop().create_task(
            self._run(product_id, sku, limit), name=f"stock-feed:{product_id}"
        )

    async def _run(self, product_id: int, sku: str, limit: int) -> None:
        # Listening starts inside the task, so a feed stopped before it ran leaves no listener behind;
        # and before the first read, so a change between the two is not lost.
        with events.broker.subscribe(events.stock_topic(product_id)) as changes:
            try:
                while True:
                    self.latest = await stock_levels(sku=sku, limit=limit)
                    for watcher in list(self.watchers):
                        watcher.offer(self.latest)
                    await changes.get()
                    while not changes.empty():  # a burst of changes needs one fresh read
                        changes.get_nowait()
            except Exception:
                log.exception("the stock feed of product %s stopped", product_id)
                for watcher in list(self.watchers):
                    watcher.fail()

    def join(self) -> Watcher:
        watcher = Watcher()
        self.watchers.add(watcher)
        if self.latest is not None:  # read already, and read again at every change from now on
            watcher.offer(self.latest)
        return watcher

    def stop(self) -> None:
        self.task.cancel()


_feeds: dict[tuple[int, int], StockFeed] = {}


@contextlib.contextmanager
def watch_stock(product_id: int, sku: str, *, limit: int) -> Iterator[Watcher]:
    """The product's stock levels (at most ``limit``) now and after every change, until the block ends."""
    key = (product_id, limit)
    feed = _feeds.get(key)
    if feed is None or feed.task.done():  # a failed feed is replaced, not joined
        feed = _feeds[key] = StockFeed(product_id, sku, limit)
    watcher = feed.join()
    try:
        yield watcher
    finally:
        feed.watchers.discard(watcher)
        if not feed.watchers:
            feed.stop()
            if _feeds.get(key) is feed:
                del _feeds[key]
