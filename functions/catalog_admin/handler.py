"""/catalog/...: admin keys upsert, list and read products and merchants (scopes catalog:write, catalog:read)."""

from cashback import init_phase  # first: what the imports below build loads with the collector off

# isort: split
from typing import Annotated

from aws_lambda_powertools.event_handler import APIGatewayRestResolver
from aws_lambda_powertools.event_handler.openapi.params import Path, Query
from aws_lambda_powertools.logging import correlation_paths

from cashback.api import http
from cashback.catalog import admin as catalog_admin
from cashback.models import (
    CatalogId,
    Deleted,
    MerchantBatch,
    MerchantPage,
    Product,
    ProductBatch,
    ProductPage,
    UpsertResult,
)
from cashback.observability import logger, metrics, tracer

app = APIGatewayRestResolver(enable_validation=True)
http.configure(app)

NO_SCOPE = {403: "FORBIDDEN (no catalog:write scope)"}
NO_READ_SCOPE = {403: "FORBIDDEN (no catalog:read or catalog:write scope)", 400: "INVALID_CURSOR"}
PageSize = Annotated[int, Query(ge=1, le=100)]
Cursor = Annotated[str | None, Query(max_length=1024)]


@app.get(
    "/catalog/merchants",
    summary="List merchants, by id, a page at a time",
    tags=["Catalog"],
    responses=http.responses(errors=NO_READ_SCOPE),
    security=http.ADMIN_KEY,
)
def list_merchants(limit: PageSize = 50, cursor: Cursor = None) -> MerchantPage:
    return catalog_admin.list_merchants(limit, cursor, http.caller(app))


@app.get(
    "/catalog/products",
    summary="List products (offers), by product id, a page at a time",
    tags=["Catalog"],
    responses=http.responses(errors=NO_READ_SCOPE),
    security=http.ADMIN_KEY,
)
def list_products(limit: PageSize = 50, cursor: Cursor = None) -> ProductPage:
    return catalog_admin.list_products(limit, cursor, http.caller(app))


@app.put(
    "/catalog/merchants",
    summary="Upsert up to 25 merchants",
    tags=["Catalog"],
    responses=http.responses(errors=NO_SCOPE),
    security=http.ADMIN_KEY,
)
def put_merchants(batch: MerchantBatch) -> UpsertResult:
    ids = catalog_admin.upsert_merchants(batch.merchants, http.caller(app))
    return UpsertResult(upserted=len(ids), ids=ids)


@app.put(
    "/catalog/products",
    summary="Upsert up to 25 products",
    description="Each product and its keyword index entries change in one transaction.",
    tags=["Catalog"],
    responses=http.responses(errors={**NO_SCOPE, 409: "CONFLICT", 422: "UNKNOWN_MERCHANT"}),
    security=http.ADMIN_KEY,
)
def put_products(batch: ProductBatch) -> UpsertResult:
    ids = catalog_admin.upsert_products(batch.products, http.caller(app))
    return UpsertResult(upserted=len(ids), ids=ids)


@app.get(
    "/catalog/products/<product_id>",
    summary="Read a product",
    tags=["Catalog"],
    responses=http.responses(
        errors={403: "FORBIDDEN (no catalog:read scope)", 404: f"PRODUCT_NOT_FOUND; {http.UNROUTABLE_ID}"}
    ),
    security=http.ADMIN_KEY,
)
def get_product(product_id: Annotated[CatalogId, Path()]) -> Product:
    return catalog_admin.get_product(product_id, http.caller(app))


@app.delete(
    "/catalog/products/<product_id>",
    summary="Delete a product and its index entries",
    tags=["Catalog"],
    responses=http.responses(errors={**NO_SCOPE, 404: f"PRODUCT_NOT_FOUND; {http.UNROUTABLE_ID}"}),
    security=http.ADMIN_KEY,
)
def delete_product(product_id: Annotated[CatalogId, Path()]) -> Deleted:
    catalog_admin.delete_product(product_id, http.caller(app))
    return Deleted(deleted=product_id)


@logger.inject_lambda_context(correlation_id_path=correlation_paths.API_GATEWAY_REST)
@metrics.log_metrics
@tracer.capture_lambda_handler
@http.api_endpoint()
def lambda_handler(event, context):
    return app.resolve(event, context)


init_phase.finished()
