"""GET /dashboard and GET /dashboard/assets/{name}: the network dashboard, a static page.

The page (static/) fetches the leaderboard, trending and one agent's analytics from this API,
relative to where it is served, and draws them with Chart.js. Chart.js is not committed: the
Makefile beside this file vendors its minified UMD build from npm (package-lock.json) into
vendor/, for `sam build` (build-DashboardFunction) and for `make dev` / `make test`.
Every answer carries a Content-Security-Policy that lets the page load and call only this origin.
"""

from cashback import init_phase  # first: what the imports below build loads with the collector off

# isort: split
from functools import cache
from pathlib import Path

from aws_lambda_powertools.event_handler import APIGatewayRestResolver, Response
from aws_lambda_powertools.logging import correlation_paths

from cashback.api import http
from cashback.errors import InternalError, RouteNotFound
from cashback.observability import logger, metrics, tracer

HERE = Path(__file__).resolve().parent
# What the page may do: its own scripts and styles, calls to this API, nothing inline, no frames.
CONTENT_SECURITY_POLICY = (
    "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self' data:; connect-src 'self'; "
    "base-uri 'none'; form-action 'none'; frame-ancestors 'none'"
)
SECURITY_HEADERS = {
    "Content-Security-Policy": CONTENT_SECURITY_POLICY,
    "X-Content-Type-Options": "nosniff",
    "Referrer-Policy": "no-referrer",
    "X-Frame-Options": "DENY",
}
# Assets change only with a deployment; the page itself is never cached (the shared no-store).
ASSET_CACHE_CONTROL = "public, max-age=3600"
PAGE = ("static/index.html", "text/html; charset=utf-8")
# The only files served under /dashboard/assets/: name -> (path beside this file, media type).
ASSETS = {
    "dashboard.js": ("static/dashboard.js", "text/javascript; charset=utf-8"),
    "dashboard.css": ("static/dashboard.css", "text/css; charset=utf-8"),
    "chart.umd.min.js": ("vendor/chart.umd.min.js", "text/javascript; charset=utf-8"),
}

app = APIGatewayRestResolver(enable_validation=True)
http.configure(app)


@cache
def _read(relative: str) -> str:
    """A file shipped with this function, read once per execution environment."""
    path = HERE / relative
    try:
        return path.read_text(encoding="utf-8")
    except FileNotFoundError:
        logger.error("dashboard file missing; vendor it with `make vendor`", extra={"file": relative})
        raise InternalError() from None


def _file(relative: str, media_type: str, headers: dict[str, str] | None = None) -> Response[str]:
    headers = {**SECURITY_HEADERS, **(headers or {})}
    return Response(status_code=200, content_type=media_type, body=_read(relative), headers=headers)


@app.get("/dashboard", include_in_schema=False)
def page() -> Response[str]:
    return _file(*PAGE)


@app.get("/dashboard/assets/<name>", include_in_schema=False)
def asset(name: str) -> Response[str]:
    if name not in ASSETS:
        raise RouteNotFound(details={"asset": name[:100], "assets": sorted(ASSETS)})
    return _file(*ASSETS[name], headers={"Cache-Control": ASSET_CACHE_CONTROL})


@logger.inject_lambda_context(correlation_id_path=correlation_paths.API_GATEWAY_REST)
@metrics.log_metrics
@tracer.capture_lambda_handler
@http.api_endpoint(anonymous_policy="public")
def lambda_handler(event, context):
    return app.resolve(event, context)


init_phase.finished()
