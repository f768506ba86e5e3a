"""DynamoDB access patterns of the built-in catalog (CatalogTable).

Item layout (pk / sk → attributes):
- `MERCHANT#<merchant_id>` / `MERCHANT` → the merchant.
- `PRODUCT#<product_id>` / `PRODUCT` → the offer, its `revision` and the `index_keys` it owns.
- `KW#<token>` / `<rank>#<product_id>` → a search projection of the offer; `rank` sorts the best
  offers first (in stock, then rating), so one bounded Query reads a token's best candidates.
- `MATCH#<match_key>` / `<product_id>` → the same projection, grouping one product's offers
  across merchants for compare.
An offer and its index entries change in one transaction, so the index never drifts.

Index `CatalogByKind` (sparse): merchants and offers carry `kind` (`MERCHANT` or `PRODUCT`) and
`kind_id` (their id), so an admin lists either in id order with one bounded Query a page, never a
Scan over the keyword index. One partition per kind: an admin listing, not a hot path.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator, Mapping
from typing import Any

from botocore.exceptions import BotoCoreError, ClientError

from cashback.errors import Conflict
from cashback.settings import get_settings
from cashback.store import dynamo
from cashback.store.dynamo import dump, dynamodb, key, load, unavailable

IndexEntry = tuple[str, str, dict[str, Any]]  # pk, sk, projection
LISTING_INDEX = "CatalogByKind"
MERCHANT_KIND = "MERCHANT"
PRODUCT_KIND = "PRODUCT"


def keyword_entry(token: str, sort_key: str, projection: dict[str, Any]) -> IndexEntry:
    """An offer's posting under one search token."""
    return (f"KW#{token}", sort_key, projection)


def match_entry(match_key: str, product_id: str, projection: dict[str, Any]) -> IndexEntry:
    """An offer's entry among the offers of its product (same match key)."""
    return (f"MATCH#{match_key}", product_id, projection)


def keyword_postings(token: str, limit: int) -> tuple[list[dict[str, Any]], bool]:
    """The best `limit` postings of a token, best first; and whether more remain."""
    return query_index(f"KW#{token}", limit)


def offers_of(match_key: str, limit: int) -> list[dict[str, Any]]:
    """Up to `limit` offers of one product across merchants."""
    return query_index(f"MATCH#{match_key}", limit)[0]


def _table() -> str:
    return get_settings().catalog_table


def _product_key(product_id: str) -> dict[str, Any]:
    return key(f"PRODUCT#{product_id}", "PRODUCT")


def _product_kind(product: Mapping[str, Any]) -> dict[str, str]:
    """What puts an offer in the listing index."""
    return {"kind": PRODUCT_KIND, "kind_id": product["product_id"]}


def _call(operation: str, **kwargs: Any) -> dict[str, Any]:
    try:
        result: dict[str, Any] = getattr(dynamodb(), operation)(**kwargs)
        return result
    except ClientError as exc:
        if exc.response["Error"]["Code"] in ("TransactionCanceledException", "ConditionalCheckFailedException"):
            raise Conflict("The product changed concurrently; read it again and retry.") from exc
        raise unavailable(exc) from exc
    except BotoCoreError as exc:
        raise unavailable(exc) from exc


# ---------------------------------------------------------------- merchants


def put_merchants(merchants: Iterable[Mapping[str, Any]]) -> None:
    batch_write([{**_merchant_key(m["merchant_id"]), **m} for m in merchants])


def _merchant_key(merchant_id: str) -> dict[str, str]:
    return {"pk": f"MERCHANT#{merchant_id}", "sk": "MERCHANT", "kind": MERCHANT_KIND, "kind_id": merchant_id}


def list_merchants(limit: int, after: str | None) -> tuple[list[dict[str, Any]], str | None]:
    """Up to `limit` merchants in id order after the merchant id `after`; and the last id read
    when more remain, else None."""
    start = _merchant_key(after) if after else None
    return _list_kind(MERCHANT_KIND, limit, start)


def list_products(limit: int, after: str | None) -> tuple[list[dict[str, Any]], str | None]:
    """Up to `limit` offers in product id order after the product id `after`; and the last id
    read when more remain, else None."""
    start = {"pk": f"PRODUCT#{after}", "sk": "PRODUCT", "kind": PRODUCT_KIND, "kind_id": after} if after else None
    return _list_kind(PRODUCT_KIND, limit, start)


def _list_kind(kind: str, limit: int, start: dict[str, str] | None) -> tuple[list[dict[str, Any]], str | None]:
    response = _call(
        "query",
        TableName=_table(),
        IndexName=LISTING_INDEX,
        KeyConditionExpression="#kind = :kind",
        ExpressionAttributeNames={"#kind": "kind"},
        ExpressionAttributeValues=dump({":kind": kind}),
        Limit=limit,
        **({"ExclusiveStartKey": dump(start)} if start else {}),
    )
    last = response.get("LastEvaluatedKey")
    return [load(i) for i in response["Items"]], load(last)["kind_id"] if last else None


def get_merchants(merchant_ids: Iterable[str]) -> dict[str, dict[str, Any]]:
    """Merchants by id with BatchGetItem."""
    keys = [(f"MERCHANT#{i}", "MERCHANT") for i in sorted(set(merchant_ids))]
    return {m["merchant_id"]: m for m in dynamo.batch_get(_table(), keys)}


def unlisted() -> Iterator[list[dict[str, Any]]]:
    """Merchants and offers written before `CatalogByKind` existed (no `kind`), a page at a time
    (a Scan: the offline backfill only; keyword and match entries are filtered out)."""
    return dynamo.scan_pages(
        _table(),
        "attribute_not_exists(#kind) AND (#sk = :merchant OR #sk = :product)",
        {"#kind": "kind", "#sk": "sk"},
        {":merchant": MERCHANT_KIND, ":product": PRODUCT_KIND},
    )


def add_kind(item: Mapping[str, Any]) -> bool:
    """Put a merchant or an offer in the listing index (`kind`, `kind_id`) if it is not there yet
    and still exists: False when there was nothing to do. Nothing else of the item changes."""
    kind = str(item["sk"])
    kind_id = str(item["pk"]).split("#", 1)[1]  # the merchant or product id its key names
    done = dynamo.update_if(
        _table(),
        key(str(item["pk"]), kind),
        UpdateExpression="SET #kind = :kind, #id = :id",
        ConditionExpression="attribute_exists(pk) AND attribute_not_exists(#kind)",
        ExpressionAttributeNames={"#kind": "kind", "#id": "kind_id"},
        ExpressionAttributeValues=dump({":kind": kind, ":id": kind_id}),
    )
    return done is not None


# ---------------------------------------------------------------- offers and their index


def get_product(product_id: str) -> dict[str, Any] | None:
    return dynamo.get_item(_table(), f"PRODUCT#{product_id}", "PRODUCT", consistent=True)


def write_product(product: Mapping[str, Any], entries: list[IndexEntry], previous: Mapping[str, Any] | None) -> None:
    """Put the offer and its index entries, deleting the entries it no longer owns, atomically.

    Optimistic concurrency: the write only applies if the stored revision is still the one read.
    """
    new_keys = {f"{pk}|{sk}" for pk, sk, _ in entries}
    old_keys = set(previous.get("index_keys", [])) if previous else set()
    revision = int(previous["revision"]) + 1 if previous else 1
    condition: dict[str, Any] = (
        {"ConditionExpression": "revision = :seen", "ExpressionAttributeValues": dump({":seen": previous["revision"]})}
        if previous
        else {"ConditionExpression": "attribute_not_exists(pk)"}
    )
    item = {**_product_key(product["product_id"]), **dump({**product, **_product_kind(product), "revision": revision})}
    item["index_keys"] = {"L": [{"S": k} for k in sorted(new_keys)]}
    actions: list[dict[str, Any]] = [{"Put": {"TableName": _table(), "Item": item, **condition}}]
    actions += [{"Delete": {"TableName": _table(), "Key": key(*k.split("|", 1))}} for k in sorted(old_keys - new_keys)]
    actions += [{"Put": {"TableName": _table(), "Item": {**key(pk, sk), **dump(p)}}} for pk, sk, p in entries]
    _call("transact_write_items", TransactItems=actions)


def delete_product(previous: Mapping[str, Any]) -> None:
    actions: list[dict[str, Any]] = [
        {
            "Delete": {
                "TableName": _table(),
                "Key": _product_key(previous["product_id"]),
                "ConditionExpression": "revision = :seen",
                "ExpressionAttributeValues": dump({":seen": previous["revision"]}),
            }
        }
    ]
    actions += [{"Delete": {"TableName": _table(), "Key": key(*k.split("|", 1))}} for k in previous["index_keys"]]
    _call("transact_write_items", TransactItems=actions)


def bulk_load(
    products: Iterable[tuple[Mapping[str, Any], list[IndexEntry]]],
    write: Callable[[list[dict[str, Any]]], None] | None = None,
) -> Iterator[int]:
    """Seed an empty catalog fast (BatchWriteItem unless `write` is given); yields offers written so far."""
    write = write or batch_write
    buffer: list[dict[str, Any]] = []
    written = 0
    for product, entries in products:
        index_keys = [f"{pk}|{sk}" for pk, sk, _ in entries]
        buffer.append(
            {
                "pk": f"PRODUCT#{product['product_id']}",
                "sk": "PRODUCT",
                **product,
                **_product_kind(product),
                "revision": 1,
                "index_keys": index_keys,
            }
        )
        buffer += [{"pk": pk, "sk": sk, **p} for pk, sk, p in entries]
        written += 1
        if len(buffer) >= 500:
            write(buffer)
            buffer = []
            yield written
    write(buffer)
    yield written


def put_in_transactions(items: list[dict[str, Any]], size: int = 100) -> None:
    """Put items (distinct keys) in transactions of `size`: one commit each, where an engine on disk
    (DynamoDB Local) commits every item of a batch write on its own. A transaction costs twice a
    batch write on AWS: for a one-off seed, cents."""
    for start in range(0, len(items), size):
        chunk = items[start : start + size]
        cancelled = dynamo.transact([{"Put": {"TableName": _table(), "Item": dump(item)}} for item in chunk])
        if cancelled:
            raise dynamo.StoreUnavailable(details={"reason": "transaction cancelled", "reasons": cancelled})


def batch_write(items: list[dict[str, Any]]) -> None:
    dynamo.batch_put(_table(), items)


def query_index(pk: str, limit: int) -> tuple[list[dict[str, Any]], bool]:
    """Up to `limit` entries of one index partition, best first; and whether more exist."""
    items, last = dynamo.query_partition(_table(), pk, limit)
    return items, last is not None


def get_item(pk: str, sk: str) -> dict[str, Any] | None:
    return dynamo.get_item(_table(), pk, sk)
