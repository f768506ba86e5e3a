"""Load the seed catalog (data/seed/) into the catalog table, once, with a progress bar.

`make dev` runs this on start; it does nothing when the same seed is already loaded (a marker
item records the seed files' hash, read with one GetItem). `python -m scripts.seed_catalog --force`
reloads.

Items go in transactions of 100 puts: DynamoDB Local commits (and fsyncs) a transaction once but a
BatchWriteItem once per item, so on disk the seed took 253 s in batches and 80 s in transactions
(5,000 offers, ~50,000 items, 2 busy cores). In AWS a transactional put costs two write units
instead of one; for a one-off seed that is cents.
"""

from __future__ import annotations

import argparse
import gzip
import hashlib
import json
import sys
from collections.abc import Iterator
from pathlib import Path

from tqdm import tqdm

from cashback.auth import Caller
from cashback.catalog import admin as catalog_admin
from cashback.catalog import dynamodb as catalog_dynamodb
from cashback.models import Merchant, Product
from cashback.store import catalog as catalog_store

SEED_DIR = Path(__file__).resolve().parent.parent / "data" / "seed"
MARKER_PK = "SEED#catalog"
TRANSACTION_SIZE = 100  # DynamoDB's limit of actions per TransactWriteItems


def seed_fingerprint(seed_dir: Path = SEED_DIR) -> str:
    digest = hashlib.sha256()
    for name in ("merchants.json", "products.jsonl.gz"):
        digest.update((seed_dir / name).read_bytes())
    return digest.hexdigest()


def read_products(seed_dir: Path = SEED_DIR) -> Iterator[Product]:
    with gzip.open(seed_dir / "products.jsonl.gz", "rt", encoding="utf-8") as lines:
        for line in lines:
            yield Product.model_validate_json(line)


def read_merchants(seed_dir: Path = SEED_DIR) -> list[Merchant]:
    return [Merchant.model_validate(m) for m in json.loads((seed_dir / "merchants.json").read_text())]


def loaded_fingerprint() -> str | None:
    marker = catalog_store.get_item(MARKER_PK, "SEED")
    return str(marker["fingerprint"]) if marker else None


def seed(seed_dir: Path = SEED_DIR, force: bool = False, progress: bool = True) -> int:
    """Load the seed unless already loaded; returns the number of offers written."""
    fingerprint = seed_fingerprint(seed_dir)
    if not force and loaded_fingerprint() == fingerprint:
        return 0
    merchants = {m.merchant_id: m for m in read_merchants(seed_dir)}
    catalog_admin.upsert_merchants(list(merchants.values()), Caller.operator())
    products = list(read_products(seed_dir))
    rows = (
        (p.model_dump(mode="python", exclude_none=True), catalog_dynamodb.index_entries(p, merchants[p.merchant_id]))
        for p in products
    )
    written = 0
    with tqdm(total=len(products), desc="seeding catalog", unit="offer", disable=not progress, file=sys.stderr) as bar:
        for written in catalog_store.bulk_load(rows, write=catalog_store.put_in_transactions):
            bar.update(written - bar.n)
    catalog_store.batch_write([{"pk": MARKER_PK, "sk": "SEED", "fingerprint": fingerprint}])
    return written


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--force", action="store_true", help="reload even if this seed is already loaded")
    args = parser.parse_args()
    written = seed(force=args.force)
    print(f"seeded {written} offers" if written else "seed catalog already loaded", file=sys.stderr)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
