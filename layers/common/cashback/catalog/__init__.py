"""Product sources behind one interface (`interface`): the built-in DynamoDB catalog (`dynamodb`)
and the upstream product API (`upstream`); `admin` holds the catalog's write rules.
`source()` picks the source the settings name.
"""

from __future__ import annotations

from cashback.catalog.dynamodb import DynamoDBCatalog, pool
from cashback.catalog.interface import Candidates, Listing, ProductNotFound, ProductSource
from cashback.settings import get_settings

__all__ = ["Candidates", "Listing", "ProductNotFound", "ProductSource", "source"]


def source() -> ProductSource:
    """The product source the settings choose (CATALOG_SOURCE)."""
    if get_settings().catalog_source == "upstream":
        # Deferred: httpx and the upstream client load only where CATALOG_SOURCE names them.
        from cashback.catalog.upstream import upstream_catalog  # noqa: PLC0415

        return upstream_catalog()
    return DynamoDBCatalog(pool())
