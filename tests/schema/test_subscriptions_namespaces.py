"""Stock events between processes go through Redis: to every process of the same deployment, and to
none of another deployment sharing that Redis."""

from __future__ import annotations

import asyncio
import os
import uuid
from collections.abc import AsyncIterator

import pytest

from server.events import Broker, stock_topic
from tests.conftest import skip_or_fail


@pytest.fixture
async def brokers() -> AsyncIterator[dict[str, Broker]]:
    """Three server processes on one Redis: two of one deployment, one of another."""
    redis_url = os.environ.get("STOREKEEPER_TEST_REDIS_URL")
    if not redis_url:
        skip_or_fail("STOREKEEPER_TEST_REDIS_URL is not set")
    assert redis_url is not None
    ours, theirs = f"ours-{uuid.uuid4().hex[:8]}", f"theirs-{uuid.uuid4().hex[:8]}"
    processes = {"writer": Broker(), "reader": Broker(), "other deployment": Broker()}
    for broker, namespace in zip(processes.values(), (ours, ours, theirs), strict=True):
        await broker.connect(redis_url, namespace)
    yield processes
    for broker in processes.values():
        await broker.close()


async def test_a_stock_change_reaches_its_own_deployment_and_no_other(brokers: dict[str, Broker]) -> None:
    topic = stock_topic(42)
    with brokers["reader"].subscribe(topic) as heard, brokers["other deployment"].subscribe(topic) as overheard:
        brokers["writer"].publish(topic, {"product_id": 42})
        assert await asyncio.wait_for(heard.get(), 5) == {"product_id": 42}

        # Redis hands a message to every subscriber when it is published, in order: once the other
        # deployment hears its own next event, it would have heard ours before.
        brokers["other deployment"].publish(topic, {"product_id": 7})
        assert await asyncio.wait_for(overheard.get(), 5) == {"product_id": 7}
        assert overheard.empty()


async def test_a_malformed_message_on_the_channel_does_not_end_the_relay(brokers: dict[str, Broker]) -> None:
    topic = stock_topic(43)
    writer = brokers["writer"]
    with brokers["reader"].subscribe(topic) as heard:
        for garbage in (b"not json", b"[1, 2]", b'"text"', b'{"topic": 5, "payload": {}}', b'{"payload": {}}'):
            await writer._redis.publish(writer._channel, garbage)
        writer.publish(topic, {"product_id": 43})
        assert await asyncio.wait_for(heard.get(), 5) == {"product_id": 43}


async def test_after_redis_drops_the_connection_subscribers_hear_again_and_read_afresh(
    brokers: dict[str, Broker],
) -> None:
    from redis.asyncio import Redis

    topic = stock_topic(44)
    reader, writer = brokers["reader"], brokers["writer"]
    admin = Redis.from_url(str(os.environ.get("STOREKEEPER_TEST_REDIS_URL")))
    try:
        with reader.subscribe(topic) as heard:
            name = f"storekeeper-events-{reader._channel.split(':')[1]}"
            listeners = [c["id"] for c in await admin.client_list() if c.get("name") == name and c.get("sub") != "0"]
            assert listeners
            for client_id in listeners:  # as a Redis restart or an idle timeout would
                await admin.execute_command("CLIENT", "KILL", "ID", client_id)
            # Changes made while it was away were not heard: every subscriber is told to read afresh.
            assert await asyncio.wait_for(heard.get(), 10) == {"missed": True}
            writer.publish(topic, {"product_id": 44})
            assert await asyncio.wait_for(heard.get(), 10) == {"product_id": 44}
    finally:
        await admin.aclose()
