"""GET /openapi.json, GET /docs: the OpenAPI document and Swagger UI to read and try the API."""

from cashback import init_phase  # first: what the imports below build loads with the collector off

# isort: split
from typing import Annotated

from aws_lambda_powertools.event_handler import APIGatewayRestResolver, Response
from aws_lambda_powertools.event_handler.openapi.params import Path
from aws_lambda_powertools.logging import correlation_paths

from cashback.api import docs, http
from cashback.observability import logger, metrics, tracer

app = APIGatewayRestResolver(enable_validation=True)
http.configure(app)


@app.get("/openapi.json", include_in_schema=False)
def openapi_document() -> Response[dict]:
    return Response(status_code=200, content_type="application/json", body=docs.document(http.public_base_url(app)))


@app.get("/docs", include_in_schema=False)
def swagger_ui() -> Response[dict | str]:
    base_url = http.public_base_url(app)
    if app.current_event.get_query_string_value("format") == "json":  # the URL Swagger UI shows for the spec
        return Response(status_code=200, content_type="application/json", body=docs.document(base_url))
    return Response(status_code=200, content_type="text/html; charset=utf-8", body=docs.swagger_page(base_url))


@app.get("/docs/<name>", include_in_schema=False)
def swagger_ui_asset(name: Annotated[str, Path(max_length=64)]) -> Response[str]:
    text, asset = docs.asset(name)
    headers = {"Cache-Control": docs.ASSET_CACHE_CONTROL}
    return Response(status_code=200, content_type=asset.content_type, body=text, headers=headers)


@logger.inject_lambda_context(correlation_id_path=correlation_paths.API_GATEWAY_REST)
@metrics.log_metrics
@tracer.capture_lambda_handler
@http.api_endpoint(anonymous_policy="public")
def lambda_handler(event, context):
    return app.resolve(event, context)


init_phase.finished()
