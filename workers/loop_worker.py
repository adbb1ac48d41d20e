"""A dramatiq worker that runs each message as a task on the AsyncIO middleware's event loop.

dramatiq's own worker hands every message to a thread, and for an ``async`` actor that thread
only waits while the coroutine runs on the event loop thread: four hand-offs between threads
per message, which cost more than the no-op job itself (about 0.7 ms of CPU a message here,
against about 0.35 ms without them, ``benchmarks/jobs.py``). Usina's actors are all
coroutines, so this worker keeps dramatiq's consumers (fetching, heartbeats, delayed messages,
redelivery of a dead worker's messages) and its middleware (retries with backoff, age limits,
the current message), and replaces the threads:

- the consumer threads put each message straight onto the event loop, where it runs as a task;
  at most ``concurrency`` run at once, the others wait for a slot (what the threads bounded);
- what follows a message (the ``after_process_message`` hooks, which may enqueue a retry,
  then the ack or nack) runs on one thread of its own, in the order the messages finished,
  so the event loop never waits on Redis.

Two of dramatiq's default middleware act on the thread that runs a message (``TimeLimit``
raises in it, ``ShutdownNotifications`` interrupts it); on the event loop's thread they would
hit every job at once, so this worker leaves them out. The runtime bounds each job with the
spec's own time limit (``asyncio.timeout``), and stopping lets the jobs in hand finish.

Stopping: messages not yet started go back to their queue, the running ones finish, their acks
are sent, then the consumers stop, as dramatiq's worker does.
"""

from __future__ import annotations

import asyncio
import logging
import queue
import threading
import time
from collections import defaultdict
from collections.abc import Callable
from queue import PriorityQueue
from typing import Any

import dramatiq
import redis
from dramatiq.asyncio import get_event_loop_thread
from dramatiq.broker import MessageProxy
from dramatiq.brokers.redis import RedisBroker
from dramatiq.common import current_millis, join_all
from dramatiq.errors import BrokerConnectionError, RateLimitExceeded, Retry
from dramatiq.middleware import MiddlewareError, ShutdownNotifications, SkipMessage, TimeLimit

log = logging.getLogger("usina.workers")

#: At most this many finished messages are acknowledged together.
ACK_BATCH = 64
#: The acks wait this long (seconds) for the messages finishing meanwhile, which then share
#: their round trip to Redis: on a busy worker, scoring jobs spent 0.5 ms of CPU each on acks
#: sent two or three at a time, and gained 15-20 % throughput with this wait
#: (``benchmarks/jobs.py``); an idle worker's ack is 5 ms later, which nobody sees.
ACK_WAIT = 0.005

#: Middleware bound to the thread that runs a message: not for a message on the event loop.
THREAD_BOUND = (TimeLimit, ShutdownNotifications)


class LoopWorker(dramatiq.Worker):
    """dramatiq's worker with a task per message on the event loop instead of a thread."""

    def __init__(self, broker: dramatiq.Broker, *, concurrency: int) -> None:
        super().__init__(broker, worker_threads=concurrency)
        self.concurrency = concurrency
        self.work_queue = _ToLoop(self)
        self._after: queue.SimpleQueue[Any] = queue.SimpleQueue()
        self._after_thread = threading.Thread(
            target=self._after_messages, name="usina-acks", daemon=True
        )
        self._slots: asyncio.Semaphore | None = None
        self._tasks: set[asyncio.Task[None]] = set()
        self._unstarted: list[MessageProxy] = []
        self._stopping = False
        self._hook_lists: dict[str, list[Callable[..., Any]]] = {}

    def start(self) -> None:
        self._after_thread.start()
        super().start()  # the AsyncIO middleware starts the loop, then the consumers start

    def _add_worker(self) -> None:
        """No worker threads: the messages run on the event loop."""

    @property
    def loop(self) -> asyncio.AbstractEventLoop:
        thread = get_event_loop_thread()
        if thread is None:
            raise RuntimeError("the AsyncIO middleware is not on the broker")
        return thread.loop

    def stop(self, timeout: int = 600_000) -> None:
        self.broker.emit_before("worker_shutdown", self)
        seconds = timeout / 1000
        self._stopping = True
        # The consumers keep running (their calls are the worker's heartbeat) while the jobs in
        # hand finish and their acks go out.
        self._settle(seconds)
        self._after.put(None)
        self._after_thread.join(seconds)
        for consumer in self.consumers.values():
            consumer.stop()
        join_all(self.consumers.values(), timeout)
        self._settle(seconds)  # messages the consumers handed over meanwhile: not started
        by_queue: dict[str, list[MessageProxy]] = defaultdict(list)
        for message in self._unstarted:
            by_queue[message.queue_name].append(message)
        self._unstarted.clear()
        for queue_name, messages in by_queue.items():
            try:
                self.consumers[queue_name].requeue_messages(messages)
            except BrokerConnectionError:
                log.warning("could not requeue %d messages of %r", len(messages), queue_name)
        for consumer in self.consumers.values():
            consumer.close()
        self.broker.emit_after("worker_shutdown", self)

    def _settle(self, seconds: float) -> None:
        """Wait until no task runs on the loop (the ones scheduled so far included)."""
        if not self.loop.is_running():
            return
        asyncio.run_coroutine_threadsafe(self._idle(), self.loop).result(seconds)

    async def _idle(self) -> None:
        await asyncio.sleep(0)  # the hand-overs already scheduled become tasks first
        while self._tasks:
            await asyncio.gather(*self._tasks, return_exceptions=True)

    def _hooks(self, name: str) -> list[Callable[..., Any]]:
        """The broker's ``name`` hooks, thread-bound middleware left out, in the broker's order
        (looked up once: the middleware is set before the worker starts)."""
        hooks = self._hook_lists.get(name)
        if hooks is None:
            hooks = self._hook_lists[name] = [
                getattr(m, name) for m in self.broker.middleware if not isinstance(m, THREAD_BOUND)
            ]
        return hooks

    # On the event loop.

    def _spawn(self, message: MessageProxy) -> None:
        task = self.loop.create_task(self._process(message))
        self._tasks.add(task)
        task.add_done_callback(self._tasks.discard)

    async def _process(self, message: MessageProxy) -> None:
        if self._slots is None:
            self._slots = asyncio.Semaphore(self.concurrency)
        async with self._slots:
            if self._stopping:
                self._unstarted.append(message)
                self.work_queue.task_done()
                return
            outcome: dict[str, Any] = {}
            actor = None
            try:
                for hook in self._hooks("before_process_message"):
                    try:
                        hook(self.broker, message)
                    except MiddlewareError:  # SkipMessage (too old, ...)
                        raise
                    except Exception:  # as dramatiq does: said, and the message runs
                        log.critical("before_process_message of %r failed", hook, exc_info=True)
                if not message.failed:
                    actor = self.broker.get_actor(message.actor_name)
                    run = getattr(actor.fn, "__wrapped__", None)
                    if run is None:  # a synchronous actor: not on the event loop's thread
                        result = await asyncio.to_thread(actor.fn, *message.args, **message.kwargs)
                    else:
                        result = await run(*message.args, **message.kwargs)
                    outcome = {"result": result}
            except SkipMessage:
                log.warning("message %s was skipped", message)
                self._after.put((message, "after_skip_message", {}))
                return
            except asyncio.CancelledError:
                # The loop is going away under the job: no ack, Redis redelivers it.
                raise
            except BaseException as error:
                message.stuff_exception(error)
                throws = message.options.get("throws") or (actor and actor.options.get("throws"))
                if not isinstance(error, RateLimitExceeded | Retry) and not (
                    throws and isinstance(error, throws)
                ):
                    log.error("message %s failed", message, exc_info=True)
                outcome = {"exception": error}
            self._after.put((message, "after_process_message", outcome))

    # On the thread that follows messages up.

    def _after_messages(self) -> None:
        """Follows the finished messages up, as many at once as have finished: their
        ``after_*`` hooks one by one, then their acks together (one round trip to Redis)."""
        stopping = False
        while not stopping:
            batch = [self._after.get()]
            time.sleep(ACK_WAIT)
            while len(batch) < ACK_BATCH:
                try:
                    batch.append(self._after.get_nowait())
                except queue.Empty:
                    break
            if None in batch:  # the worker stops once these are followed up
                stopping = True
                batch = [item for item in batch if item is not None]
            for message, signal, outcome in batch:
                for hook in reversed(self._hooks(signal)):
                    try:
                        hook(self.broker, message, **outcome)
                    except Exception:
                        log.critical("%s of %r failed", signal, hook, exc_info=True)
            self._acknowledge([message for message, _, _ in batch])

    def _acknowledge(self, messages: list[MessageProxy]) -> None:
        """Acks the messages that succeeded, together where the broker is Redis, and nacks the
        failed ones (they go to the dead-letter queue), one by one as dramatiq does."""
        try:
            one_by_one = messages
            if isinstance(self.broker, RedisBroker):
                succeeded = [message for message in messages if not message.failed]
                one_by_one = [message for message in messages if message.failed]
                try:
                    _ack_together(self.broker, self.consumers, succeeded)
                except (BrokerConnectionError, redis.RedisError):
                    log.warning("acknowledging %d messages together failed", len(succeeded))
                    one_by_one = messages  # dramatiq's own way retries until Redis is back
            for message in one_by_one:
                try:
                    self.consumers[message.queue_name].post_process_message(message)
                except Exception:  # the message comes back after the worker stops: not lost
                    log.exception("could not acknowledge message %s", message)
        finally:
            for message in messages:
                self.work_queue.task_done()
                message.clear_exception()


def _ack_together(
    broker: RedisBroker, consumers: dict[str, Any], messages: list[MessageProxy]
) -> None:
    """Acks ``messages`` in one round trip: dramatiq's own ack (its ``dispatch`` script, with
    the arguments its ``RedisBroker._dispatch`` passes, documented at the top of
    ``dispatch.lua``), pipelined. A Redis that lost the script answers ``NOSCRIPT`` and the
    caller acks one by one, which loads it again. Each message emits ``before_ack`` and
    ``after_ack`` as dramatiq's ack does."""
    if not messages:
        return
    dispatch = broker.scripts["dispatch"]
    pipeline = broker.client.pipeline(transaction=False)
    for message in messages:
        broker.emit_before("ack", message)
        consumer = consumers[message.queue_name].consumer
        pipeline.evalsha(  # by its digest: a pipeline of a Script would first ask Redis for it
            dispatch.sha,
            1,
            broker.namespace,
            "ack",
            current_millis(),
            consumer.queue_name,  # the queue it came from (a delayed message's own)
            broker.broker_id,
            broker.heartbeat_timeout,
            broker.dead_message_ttl,
            0,  # acks never do maintenance
            broker._max_unpack_size(),
            message.options["redis_message_id"],
        )
    try:
        pipeline.execute()
    finally:
        for message in messages:
            consumers[message.queue_name].consumer.queued_message_ids.discard(message.message_id)
    for message in messages:
        broker.emit_after("ack", message)


class _ToLoop(PriorityQueue[Any]):
    """Where the consumer threads put messages: onto the event loop, at once. Counts them like
    a queue, so ``Worker.join`` waits for them."""

    def __init__(self, worker: LoopWorker) -> None:
        super().__init__()
        self.worker = worker

    def put(self, item: Any, block: bool = True, timeout: float | None = None) -> None:
        with self.mutex:
            self.unfinished_tasks += 1
        self.worker.loop.call_soon_threadsafe(self.worker._spawn, item.message)
