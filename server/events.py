"""Events for subscribers (stock level changes), published only after commit.

In one process a publish reaches local subscribers directly. With ``STOREKEEPER_REDIS_URL`` set,
every publish goes through a Redis channel and each process relays it to its own subscribers,
so a server replica sees what another replica or a worker changed. The channel is the
deployment's own (``Settings.namespace``): deployments sharing a Redis do not hear each other.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections import defaultdict
from collections.abc import Iterator
from typing import Any

import orjson
from redis.exceptions import RedisError

log = logging.getLogger(__name__)
_QUEUE_SIZE = 1000
_FIRST_PAUSE, _LONGEST_PAUSE = 0.1, 5.0


def channel(namespace: str) -> str:
    """The Redis channel of one deployment's events."""
    return f"storekeeper:{namespace}:events"


class Broker:
    def __init__(self) -> None:
        self._subscribers: dict[str, set[asyncio.Queue[dict[str, Any]]]] = defaultdict(set)
        self._redis: Any = None
        self._channel = ""
        self._relay: asyncio.Task[None] | None = None

    def publish(self, topic: str, payload: dict[str, Any]) -> None:
        if self._redis is not None:
            message = orjson.dumps({"topic": topic, "payload": payload})
            task = asyncio.get_running_loop().create_task(self._redis.publish(self._channel, message))
            task.add_done_callback(_log_failure)
        else:
            self._deliver(topic, payload)

    def _deliver(self, topic: str, payload: dict[str, Any]) -> None:
        for queue in list(self._subscribers.get(topic, ())):
            if queue.full():  # a slow subscriber loses the oldest event rather than stalling everyone
                queue.get_nowait()
            queue.put_nowait(payload)

    @contextlib.contextmanager
    def subscribe(self, topic: str) -> Iterator[asyncio.Queue[dict[str, Any]]]:
        """A queue that receives every event of ``topic`` from now on, until the block ends."""
        queue: asyncio.Queue[dict[str, Any]] = asyncio.Queue(_QUEUE_SIZE)
        self._subscribers[topic].add(queue)
        try:
            yield queue
        finally:
            self._subscribers[topic].discard(queue)

    async def connect(self, redis_url: str, namespace: str) -> None:
        from redis.asyncio import Redis

        self._channel = channel(namespace)
        # Named, so an operator (and a test) can tell this process's event connection in CLIENT LIST.
        self._redis = Redis.from_url(redis_url, client_name=f"storekeeper-events-{namespace}")
        listening = asyncio.get_running_loop().create_future()
        self._relay = asyncio.create_task(self._relay_while_open(listening))
        await listening  # subscribed: a publish from now on is heard

    async def _relay_while_open(self, listening: asyncio.Future[None]) -> None:
        """Relay the channel to this process's subscribers, and listen again after Redis drops the
        connection (a restart, a failover, an idle timeout), backing off while it is away."""
        pause = _FIRST_PAUSE
        while True:
            pubsub = self._redis.pubsub()
            try:
                await pubsub.subscribe(self._channel)
                if listening.done():  # again, after a drop: changes made meanwhile were not heard
                    log.warning("listening to %s again", self._channel)
                    self._deliver_to_all({"missed": True})
                else:
                    listening.set_result(None)
                pause = _FIRST_PAUSE
                await self._relay_from(pubsub)
            except (ConnectionError, OSError, RedisError) as error:
                if not listening.done():
                    listening.set_exception(error)
                    return
                log.warning("the event connection to Redis dropped (%s): listening again in %.1f s", error, pause)
                await asyncio.sleep(pause)
                pause = min(pause * 2, _LONGEST_PAUSE)
            finally:
                with contextlib.suppress(Exception):
                    await pubsub.aclose()

    def _deliver_to_all(self, payload: dict[str, Any]) -> None:
        for topic in list(self._subscribers):
            self._deliver(topic, payload)

    async def _relay_from(self, pubsub: Any) -> None:
        async for message in pubsub.listen():
            if message.get("type") != "message":
                continue
            try:  # anyone who can write to Redis can publish here: one bad message must not end the relay
                event = orjson.loads(message["data"])
                topic, payload = event["topic"], event["payload"]
                if not isinstance(topic, str) or not isinstance(payload, dict):
                    raise TypeError("topic must be text and payload an object")
            except (orjson.JSONDecodeError, KeyError, TypeError) as error:
                log.warning("ignored a malformed event on %s: %s", self._channel, error)
                continue
            self._deliver(topic, payload)
        raise ConnectionError("the subscription ended")

    async def close(self) -> None:
        if self._relay is not None:
            self._relay.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._relay
            self._relay = None
        if self._redis is not None:
            await self._redis.aclose()
            self._redis = None


def _log_failure(task: asyncio.Task[Any]) -> None:
    if not task.cancelled() and task.exception() is not None:
        log.warning("could not publish an event: %s", task.exception())


broker = Broker()


def stock_topic(product_id: int) -> str:
    return f"stock:{product_id}"


def publish_stock_changed(product_id: int) -> None:
    broker.publish(stock_topic(product_id), {"product_id": product_id})


def document_topic(document_id: int) -> str:
    return f"document:{document_id}"


def publish_document_changed(document_id: int, state: str, version: int) -> None:
    broker.publish(document_topic(document_id), {"document_id": document_id, "state": state, "version": version})
