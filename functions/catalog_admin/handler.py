"""/catalog/...: admin keys upsert and read products and merchants (scopes catalog:write, catalog:read)."""

from typing import Annotated

from aws_lambda_powertools.event_handler import APIGatewayRestResolver
from aws_lambda_powertools.event_handler.openapi.params import Path
from aws_lambda_powertools.logging import correlation_paths

from cashback.api import http
from cashback.catalog import admin as catalog_admin
from cashback.models import CatalogId, Deleted, MerchantBatch, Product, ProductBatch, UpsertResult
from cashback.observability import logger, metrics, tracer

app = APIGatewayRestResolver(enable_validation=True)
http.configure(app)

NO_SCOPE = {403: "FORBIDDEN (no catalog:write scope)"}


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
