"""Seed 000's "locks and rate limiters for external resources": parallel tasks share one API.

``plan`` sends each page to its own ``fetch`` task (``Send``), so all of them run in one
super-step. Graph state needs no lock (``results`` has an ``operator.add`` reducer, applied in
the order the pages were sent); the external API does: :class:`SharedAPI` lets a caller in only
with a token from a :class:`TokenBucket` (a burst of ``capacity`` calls, then ``rate_per_s``
a second) and a free connection slot (``capacity`` of them, the seed's ``asyncio.Lock`` with
more than one holder), and records the most callers it ever had at once.

In the debugger: the ``fetch`` step of ``rate-limited`` has one task per page. The engine
times a task from its start, so all four start together and the wait for a token is part of
their durations (the step's timing bars): two take ~10 ms, the others ~60 and ~110 ms, as
tokens refill 20 a second (one every 50 ms). ``results`` still lists the pages in the order
they were sent, not the order they finished.
"""

from __future__ import annotations

import asyncio
import operator
import time
from collections.abc import Awaitable, Callable
from typing import Annotated, Any, TypedDict

from engine.graph import END, START, StateGraph
from engine.types import Send


class _PerLoop:
    """An asyncio primitive made anew in each event loop (a module-level graph runs in many)."""

    def __init__(self, make: Callable[[], object]) -> None:
        self.make, self.loop, self.value = make, None, None

    def get(self) -> Any:
        loop = asyncio.get_running_loop()
        if loop is not self.loop:
            self.loop, self.value = loop, self.make()
        return self.value


class TokenBucket:
    """Bursts of up to ``capacity`` calls, then ``rate_per_s`` calls a second (tokens refill).

    ``clock`` (monotonic seconds) and ``sleep`` are injectable so tests run on a fake clock.
    Waiters are served in arrival order (an ``asyncio.Lock`` per event loop).
    """

    def __init__(
        self,
        rate_per_s: float,
        capacity: int,
        clock: Callable[[], float] = time.monotonic,
        sleep: Callable[[float], Awaitable[object]] = asyncio.sleep,
    ) -> None:
        if rate_per_s <= 0 or capacity < 1:
            raise ValueError("a token bucket needs rate_per_s > 0 and capacity >= 1")
        self.rate, self.capacity, self.clock, self.sleep = rate_per_s, capacity, clock, sleep
        self.tokens, self.updated = float(capacity), clock()
        self._lock = _PerLoop(asyncio.Lock)

    def _refill(self) -> None:
        now = self.clock()
        self.tokens = min(self.capacity, self.tokens + (now - self.updated) * self.rate)
        self.updated = now

    async def acquire(self) -> None:
        """Take one token, waiting for it to refill if there is none."""
        async with self._lock.get():
            self._refill()
            while self.tokens < 1:
                await self.sleep((1 - self.tokens) / self.rate)
                self._refill()
            self.tokens -= 1


class SharedAPI:
    """A pretend external API behind a :class:`TokenBucket` and ``capacity`` connection slots.

    ``started`` records when each call got in (the bucket's clock), ``max_in_flight`` the most
    callers inside at once: tests assert the limiter held.
    """

    def __init__(self, bucket: TokenBucket, latency_s: float = 0.01) -> None:
        self.bucket, self.latency_s = bucket, latency_s
        self.in_flight = self.max_in_flight = 0
        self.started: list[tuple[str, float]] = []
        self._slots = _PerLoop(lambda: asyncio.Semaphore(bucket.capacity))

    async def get(self, page: str) -> dict:
        await self.bucket.acquire()
        async with self._slots.get():
            self.in_flight += 1
            self.max_in_flight = max(self.max_in_flight, self.in_flight)
            self.started.append((page, self.bucket.clock()))
            try:
                await self.bucket.sleep(self.latency_s)
                return {"page": page, "status": 200, "items": CATALOGUE.get(page, 0)}
            finally:
                self.in_flight -= 1


CATALOGUE = {"/users": 12, "/orders": 30, "/invoices": 7, "/products": 45}
"""Items on each page of the pretend API."""


class Crawl(TypedDict, total=False):
    pages: list[str]  # SAFE: the input, never written by a node
    results: Annotated[list[dict], operator.add]  # PARALLEL-SAFE: every fetch appends
    report: str  # SAFE: only report writes


class Page(TypedDict):
    page: str


def make_graph(api: SharedAPI) -> StateGraph:
    """plan -> a ``fetch`` task per page, all through ``api`` -> report."""

    async def fetch(item: Page) -> dict:
        return {"results": [await api.get(item["page"])]}

    def fan_out(state: Crawl) -> list[Send]:
        return [Send("fetch", Page(page=p)) for p in state["pages"]]

    def report(state: Crawl) -> dict:
        items = sum(r["items"] for r in state["results"])
        return {"report": f"{len(state['results'])} pages fetched, {items} items: "
                + ", ".join(r["page"] for r in state["results"])}

    builder = StateGraph(Crawl)
    builder.add_node("plan", lambda state: {}).add_node("fetch", fetch).add_node("report", report)
    builder.add_edge(START, "plan")
    builder.add_conditional_edges("plan", fan_out, ["fetch"])
    return builder.add_edge("fetch", "report").add_edge("report", END)


def demo_api() -> SharedAPI:
    """The demo's API: bursts of 2, 20 calls a second, 10 ms a call (four pages in ~0.12 s)."""
    return SharedAPI(TokenBucket(rate_per_s=20, capacity=2))


PAGES = {"pages": ["/users", "/orders", "/invoices", "/products"]}

graph = make_graph(demo_api())
