"""The compatibility API: the seed's paths (`/api/agent/...`, `/api/analytics/...`, `/api/mcp`) on the
same functions as the main API, answered in the seed's shapes (README "Compatibility API").

Each route calls the same use case as its main twin, with the same caller, so auth, rules and
errors are the main API's; the guard (`http.api_endpoint`) runs for every route, so the rate limits
are too. What changes is only the answer's shape, made here at the last moment:

- a `{"success": true, ...}` envelope;
- money (and every other decimal) as a JSON number, not the main API's decimal string: the seed's
  clients read `price: 145.0`. Amounts have two places, so a float prints them back exactly;
- for register, search and stats, the seed's documented field names; the others keep the main
  API's snake_case fields, re-shaped by the same two rules (no seed example exists for them).
"""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from pydantic import BaseModel

from cashback import agents, analytics, shopping
from cashback.auth import Caller
from cashback.models import AgentStats, CompatRegisterRequest, RegisteredAgent, SearchRequest
from cashback.money import percent_label

# The currency whose figure `total_earnings_mon` carries: the API keeps commissions in the orders'
# currencies and never converts them (payouts in MON are the operator's); see `total_earnings`.
EARNINGS_FIELD_CURRENCY = "USD"
REGISTERED_NOTE = (
    'Use auth_token in the Authorization header of every later call: "Authorization: Bearer <token>". '
    "It is shown only here. Use agent.agent_id, issued by the server, wherever a path names the agent."
)
STATS_NOTE = (
    "Earnings are confirmed commissions net of refunds, by currency in total_earnings (never converted); "
    "total_earnings_mon carries the USD figure. Pending commissions are in pending_earnings."
)


def numbers(value: Any) -> Any:
    """`value` as JSON-ready data with every Decimal a JSON number (models dumped first)."""
    if isinstance(value, BaseModel):
        return numbers(value.model_dump())
    if isinstance(value, Decimal):
        return float(value)  # always a fraction (299.0, not 299), whatever places DynamoDB kept
    if isinstance(value, dict):
        return {key: numbers(item) for key, item in value.items()}
    if isinstance(value, list | tuple):
        return [numbers(item) for item in value]
    return value


def envelope(answer: BaseModel | dict[str, Any]) -> dict[str, Any]:
    """The seed's convention: `success: true` first, then the answer with money as numbers."""
    return {"success": True, **numbers(answer)}


def register(request: CompatRegisterRequest) -> dict[str, Any]:
    """Register as POST /agents does (the body's `agent_id` is only a name hint)."""
    registered: RegisteredAgent = agents.register(request.registration())
    return envelope(
        {
            "message": "Agent registered successfully",
            "agent": {
                "agent_id": registered.agent_id,
                "agent_name": registered.agent_name,
                "wallet_address": registered.wallet_address,
                "crypto_preference": registered.crypto_preference,
                "plan": registered.plan,
                "public": registered.public,
                "registered_at": registered.created_at,
            },
            "auth_token": registered.token,
            "token_type": registered.token_type,
            "created_at": registered.created_at,
            "note": REGISTERED_NOTE,
        }
    )


def search(
    request: SearchRequest, caller: Caller, base_url: str, request_id: str, agent_id: str | None
) -> dict[str, Any]:
    """Search as POST /search does (`agent_id`, when sent, must be the caller's), in the seed's shape."""
    answer = shopping.run_search(request, caller, base_url, request_id, on_behalf_of=agent_id)
    return envelope(
        {
            "query": answer.keywords,
            "agent_id": caller.agent_id,
            "total_results": answer.total,
            "total_is_estimate": answer.total_is_estimate,
            "results": [
                {
                    "productId": result.product_id,
                    "title": result.title,
                    "brand": result.brand,
                    "category": result.category,
                    "price": result.price,
                    "currency": result.currency,
                    "shop": {"name": result.merchant, "domain": result.merchant_domain, "id": result.merchant_id},
                    "cashback": {
                        "rate": percent_label(result.cashback_rate),
                        "amount": result.cashback_amount,
                        "currency": result.currency,
                    },
                    "rating": result.rating,
                    "in_stock": result.in_stock,
                    "affiliate_link": result.affiliate_link,
                }
                for result in answer.results
            ],
            "next_cursor": answer.next_cursor,
        }
    )


def stats(agent_id: str, caller: Caller) -> dict[str, Any]:
    """GET /agents/{agent_id}/stats with the profile's name, wallet and registration time, in the
    seed's stats shape. Two use cases, so an admin key needs analytics:read and agents:read."""
    totals: AgentStats = analytics.stats(agent_id, caller)
    profile = agents.profile(agent_id, caller)
    counts = totals.conversions
    return envelope(
        {
            "agent_id": agent_id,
            "agent_name": profile.agent_name,
            "wallet_address": profile.wallet_address,
            "crypto_preference": profile.crypto_preference,
            "total_searches": totals.total_searches,
            "total_clicks": totals.total_clicks,
            "total_earnings_mon": totals.revenue.get(EARNINGS_FIELD_CURRENCY, Decimal("0.00")),
            "earnings_currency": EARNINGS_FIELD_CURRENCY,
            "total_earnings": totals.revenue,
            "pending_earnings": totals.pending_revenue,
            "total_purchases_tracked": counts.pending + counts.confirmed + counts.refunded,
            "conversions": counts,
            # The API counts each agent's searches, not every call (the rate-limit headers show the window's).
            "api_calls_made": totals.total_searches,
            "registered_at": profile.created_at,
            "last_activity": totals.last_activity,
            "note": STATS_NOTE,
        }
    )
