"""The public agent directory: agents that opted in (`public: true`), from a sparse index, never a Scan."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from cashback.models import DirectoryEntry, DirectoryPage, DirectorySort
from cashback.store import reputation as reputation_store
from cashback.text import fold


def listing(
    query: str | None, min_reputation: Decimal | None, sort: DirectorySort, limit: int, cursor: str | None
) -> DirectoryPage:
    """A page of the directory; `query` matches a case- and accent-insensitive part of the name or
    description, `min_reputation` leaves out agents below it (and unscored ones)."""
    text = fold(query.strip()) if query and query.strip() else None
    items, next_cursor = reputation_store.directory_page(sort.value, limit, cursor, min_reputation, text)
    return DirectoryPage(agents=[public_entry(i) for i in items], next_cursor=next_cursor)


def public_agent_ids() -> set[str]:
    """Every agent that opted in (`public: true`): the only agents public boards may name."""
    return reputation_store.public_agent_ids()


def public_entry(item: dict[str, Any]) -> DirectoryEntry:
    rank = Decimal(item.get("reputation_rank", reputation_store.UNSCORED_RANK))
    return DirectoryEntry(
        **{name: item[name] for name in reputation_store.PUBLISHED if name in item},
        reputation_score=rank if rank >= 0 else None,
        confirmed_conversions=int(item.get("confirmed_conversions", 0)),
    )
