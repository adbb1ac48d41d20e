"""``Loader``: strawberry's ``DataLoader`` whose primed values stay values (no future per key)
and answer exactly as the stock loader's would."""

from __future__ import annotations

from typing import Any

from graphql_schema.loaders import MISSING, Loader


def _loader(calls: list[list[Any]]) -> Loader[str, str]:
    async def batch(keys: list[str]) -> list[str]:
        calls.append(keys)
        return [f"loaded {key}" for key in keys]

    return Loader(batch)


async def test_a_primed_value_is_ready_and_loads_without_a_batch() -> None:
    calls: list[list[Any]] = []
    loader = _loader(calls)
    loader.prime_many({"a": "primed a"})
    assert loader.values == {"a": "primed a"}
    assert loader.ready("a") == "primed a"
    assert loader.asked("a") and not loader.asked("b")
    assert loader.ready("b") is MISSING
    assert await loader.load("a") == "primed a"
    assert await loader.load("b") == "loaded b"
    assert calls == [["b"]]
    assert loader.ready("b") == "loaded b"  # loaded through a future: ready as well


async def test_priming_keeps_what_is_known_unless_forced() -> None:
    calls: list[list[Any]] = []
    loader = _loader(calls)
    assert await loader.load("a") == "loaded a"
    loader.prime("a", "other")  # strawberry's rule: a loaded key is not primed over
    loader.prime("b", "first")
    loader.prime("b", "second")
    assert loader.ready("a") == "loaded a" and loader.ready("b") == "first"
    loader.prime("a", "forced", force=True)
    assert loader.ready("a") == "forced" and await loader.load("a") == "forced"


async def test_clearing_forgets_primed_and_loaded_values() -> None:
    calls: list[list[Any]] = []
    loader = _loader(calls)
    loader.prime("a", "primed a")
    await loader.load("b")
    loader.clear("a")
    assert loader.ready("a") is MISSING and await loader.load("a") == "loaded a"
    loader.prime("c", "primed c")
    loader.clear_all()
    assert loader.ready("b") is MISSING and loader.ready("c") is MISSING
    assert await loader.load("c") == "loaded c"
    assert calls == [["b"], ["a"], ["c"]]


async def test_a_key_waiting_in_a_batch_takes_the_primed_value() -> None:
    calls: list[list[Any]] = []
    loader = _loader(calls)
    pending = loader.load("a")
    loader.prime("a", "primed a")  # before the batch runs: strawberry's own priming
    assert await pending == "primed a"
    assert calls == []
