"""The compatibility API: the seed's paths (`/api/agent/...`, `/api/analytics/...`, `/api/mcp`) on the
same functions as the main API, answered in the seed's shapes (README "Compatibility API").

Each route's handler calls the same use case as its main twin, with the same caller, so auth, rules
and errors are the main API's; the guard (`http.api_endpoint`) runs for every route, so the rate
limits are too. What changes is only the answer's shape, made here at the last moment (this module
calls no use case, so a function imports only the ones it runs):

- a `{"success": true, ...}` envelope;
- money (and every other decimal) as a JSON number, not the main API's decimal string: the seed's
  clients read `price: 145.0`. Amounts have two places, so a float prints them back exactly;
- for register, search and stats, the seed's documented field names; the others keep the main
  API's snake_case fields, re-shaped by the same two rules (no seed example exists for them).
"""

from __future__ import annotations

from decimal import Decimal
from typing import TYPE_CHECKING, Any

from pydantic import BaseModel

from cashback.money import percent_label

if TYPE_CHECKING:
    from cashback.models import AgentProfile, AgentStats, RegisteredAgent, SearchResponse

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


def registered(agent: RegisteredAgent) -> dict[str, Any]:
    """An agent registered as POST /agents registers it (the body's `agent_id` was only a name hint)."""
    return envelope(
        {
            "message": "Agent registered successfully",
            "agent": {
                "agent_id": agent.agent_id,
                "agent_name": agent.agent_name,
                "wallet_address": agent.wallet_address,
                "crypto_preference": agent.crypto_preference,
                "plan": agent.plan,
                "public": agent.public,
                "registered_at": agent.created_at,
            },
            "auth_token": agent.token,
            "token_type": agent.token_type,
            "created_at": agent.created_at,
            "note": REGISTERED_NOTE,
        }
    )


def search(answer: SearchResponse, agent_id: str | None) -> dict[str, Any]:
    """POST /search's answer to `agent_id` in the seed's shape."""
    return envelope(
        {
            "query": answer.keywords,
            "agent_id": agent_id,
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


def stats(totals: AgentStats, profile: AgentProfile) -> dict[str, Any]:
    """GET /agents/{agent_id}/stats with the profile's name, wallet and registration time, in the
    seed's stats shape."""
    counts = totals.conversions
    return envelope(
        {
            "agent_id": profile.agent_id,
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
