"""A served version's objects are kept out of the garbage collector's full collections
once it is swapped in, and a replaced version is freed all the same
(:mod:`service.heap`), on both databases."""

from __future__ import annotations

import gc
import weakref
from collections.abc import Iterator
from pathlib import Path

import pytest

from service.model_holder import ModelHolder
from service.settings import Settings
from service.store import Store
from tests.service.test_recommendations_api import recs_settings, synth_history, train


@pytest.fixture
def settings(db_url: str, tmp_path: Path) -> Settings:
    return recs_settings(db_url, tmp_path)


@pytest.fixture
def history(store: Store) -> Store:
    return synth_history(store)


@pytest.fixture
def thawed() -> Iterator[None]:
    """Thaw the heap after the test, so the rest of the suite's objects stay within the
    garbage collector's reach (the suite runs with ``ENCORE_RECS__FREEZE_HEAP=false``)."""
    yield
    gc.unfreeze()


def test_a_swapped_in_version_is_frozen_and_the_replaced_one_freed(
    history: Store, settings: Settings, tmp_path: Path, thawed: None
) -> None:
    holder = ModelHolder(history.sessions, reload_seconds=0, cache_dir=tmp_path, freeze_heap=True)
    train(history, settings, "als")
    first = holder.current()
    assert first is not None
    assert first.top.done.wait(60)
    fragments = first.catalog.item_json_score
    tracked = {id(o) for o in gc.get_objects()}  # the collector's generations, not frozen ones
    assert id(fragments) not in tracked and id(first.users) not in tracked
    gone = weakref.ref(first)
    del first, fragments, tracked
    train(history, settings, "itemknn")
    second = holder.current()
    assert second is not None and gone() is None
    assert id(second.catalog.item_json_score) not in {id(o) for o in gc.get_objects()}
