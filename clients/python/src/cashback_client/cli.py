"""`cashback`: the API from a terminal, as readable tables (or `--json`).

    cashback register deal-finder
    export CASHBACK_TOKEN=cbk_agent_… CASHBACK_AGENT_ID=agt_…
    cashback search "running shoes" --max-price 150
    cashback compare "Nike Pegasus 41 Running Shoes"
    cashback stats
    cashback directory --query shoes
    cashback feedback agt_… 90 --tag successRate
    cashback reputation agt_…
    cashback --token cbk_admin_… products --limit 20     # an admin key with catalog:read

Settings: --api-url / CASHBACK_API_URL (default http://127.0.0.1:3000), --token / CASHBACK_TOKEN,
--agent-id / CASHBACK_AGENT_ID. Exit status: 0 done, 1 the API answered an error (its code,
message and request id go to stderr), 2 a usage error.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
from collections.abc import Callable, Sequence
from decimal import Decimal, InvalidOperation
from typing import Any

from pydantic import BaseModel

from cashback_client import models
from cashback_client._core import DEFAULT_BASE_URL, DEFAULT_TIMEOUT, PayoutCsv, Retry, RetryPolicy
from cashback_client.client import CashbackClient
from cashback_client.errors import CashbackError, RateLimitedError
from cashback_client.tables import amounts, clip, fraction, money, optional, pairs, percent, table

# Operators' commands take an admin key as the token (--token or CASHBACK_TOKEN).
OPERATOR_COMMANDS = {
    "plan",
    "suspend",
    "reinstate",
    "delete-agent",
    "admin-keys",
    "revoke-admin-key",
    "payouts",
    "payouts-paid",
}
NEEDS_TOKEN = {
    "agent",
    "rotate-token",
    "search",
    "batch-search",
    "compare",
    "stats",
    "analytics",
    "conversions",
    "feedback",
    "revoke-feedback",
    "merchants",
    "products",
    "wallet",
    "wallet-history",
    *OPERATOR_COMMANDS,
}
NEEDS_AGENT = {"agent", "rotate-token", "stats", "analytics", "conversions", "reputation", "wallet", "wallet-history"}
WEBHOOK_COMMANDS = {
    "webhook",
    "webhook-set",
    "webhook-delete",
    "webhook-rotate-secret",
    "webhook-failures",
    "webhook-replay",
}
NEEDS_TOKEN |= WEBHOOK_COMMANDS
NEEDS_AGENT |= WEBHOOK_COMMANDS


class UsageError(Exception):
    """Exit status 2: the command line is incomplete (no token, no agent id)."""


def _decimal(text: str) -> Decimal:
    try:
        return Decimal(text)
    except InvalidOperation:
        raise argparse.ArgumentTypeError(f"not a number: {text!r}") from None


def _settings() -> list[tuple[str, dict[str, Any]]]:
    """The options every command takes, with their defaults (read from the environment now)."""
    env = os.environ.get
    return [
        ("--api-url", {"default": env("CASHBACK_API_URL") or DEFAULT_BASE_URL, "help": "the API's base URL "
         "(env CASHBACK_API_URL; default %(default)s)"}),
        ("--token", {"default": env("CASHBACK_TOKEN"), "help": "the agent's bearer token (env CASHBACK_TOKEN)"}),
        ("--agent-id", {"default": env("CASHBACK_AGENT_ID"), "help": "the agent that stats, analytics, agent, "
         "conversions and rotate-token use (env CASHBACK_AGENT_ID)"}),
        ("--json", {"action": "store_true", "default": False, "help": "print the API's JSON instead of tables"}),
        ("--timeout", {"type": float, "default": DEFAULT_TIMEOUT, "help": "seconds per request (default %(default)s)"}),
        ("--max-retries", {"type": int, "default": RetryPolicy.max_retries, "help": "retries of a 429 after its "
         "Retry-After (default %(default)s)"}),
        ("--max-wait", {"type": float, "default": RetryPolicy.max_wait, "help": "longest Retry-After to wait for, "
         "seconds (default %(default)s)"}),
    ]  # fmt: skip


def _add_settings(parser: argparse.ArgumentParser, top: bool) -> None:
    # Accepted before and after the command (`cashback --json stats`, `cashback stats --json`); after
    # it they default to SUPPRESS, so they never hide the ones given before it.
    hidden = {"default": argparse.SUPPRESS, "help": argparse.SUPPRESS}
    for flag, options in _settings():
        parser.add_argument(flag, **(options if top else {**options, **hidden}))


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="cashback", description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    _add_settings(parser, top=True)
    commands = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")

    def command(name: str, help_text: str) -> argparse.ArgumentParser:
        sub = commands.add_parser(name, help=help_text, description=help_text)
        _add_settings(sub, top=False)
        return sub

    command("health", "is the API up")

    register = command("register", "register an agent; prints its token (shown once)")
    register.add_argument("name", help="agent name, 1..64 printable characters")
    register.add_argument("--wallet", help="EVM (0x + 40 hex) or Solana (base58) address")
    register.add_argument("--crypto", choices=[c.value for c in models.CryptoPreference], help="payout currency")

    agent = command("agent", "the agent's profile")
    agent.add_argument("agent", nargs="?", metavar="AGENT_ID", help="default: --agent-id")
    rotate = command("rotate-token", "new token for the agent; the old one stops working")
    rotate.add_argument("agent", nargs="?", metavar="AGENT_ID", help="default: --agent-id")

    search = command("search", "products with cashback")
    search.add_argument("keywords", nargs="+", help='e.g. "running shoes"')
    _search_options(search)
    search.add_argument("--category")
    search.add_argument("--brand")
    search.add_argument("--merchant", help="merchant id or name")
    search.add_argument("--min-price", type=_decimal)
    search.add_argument("--max-price", type=_decimal)
    search.add_argument("--min-cashback", type=_decimal, help="minimum cashback rate, percent")
    search.add_argument("--in-stock", action="store_true", default=None, help="only offers in stock")
    search.add_argument("--cursor", help="the next page, as printed under the previous one")

    batch = command("batch-search", "up to 10 searches in one request")
    batch.add_argument("queries", nargs="+", metavar="KEYWORDS", help='each one a search, e.g. "air fryer"')
    _search_options(batch)

    compare = command("compare", "one product across merchants, best cashback first")
    compare.add_argument("product", nargs="+", help="the product's name")
    compare.add_argument("--max-merchants", type=int)
    compare.add_argument("--links", action="store_true", help="show the affiliate links")

    for name, help_text in (("stats", "the agent's totals"), ("analytics", "the agent's searches, days, brands")):
        sub = command(name, help_text)
        sub.add_argument("agent", nargs="?", metavar="AGENT_ID", help="default: --agent-id")

    conversions = command("conversions", "the agent's conversions, newest first")
    conversions.add_argument("agent", nargs="?", metavar="AGENT_ID", help="default: --agent-id")
    conversions.add_argument("--limit", type=int)
    conversions.add_argument("--cursor")

    leaderboard = command("leaderboard", "top agents")
    leaderboard.add_argument("--metric", choices=[m.value for m in models.LeaderboardMetric])
    leaderboard.add_argument("--period", choices=[p.value for p in models.LeaderboardPeriod])
    leaderboard.add_argument("--currency", help="ISO 4217 code --metric revenue ranks by (default USD)")

    trending = command("trending", "most searched products, keywords and merchants")
    trending.add_argument("--days", type=int, help="1..30 (default 7)")

    _directory_reputation_and_catalog(command)
    _wallet_and_operator_commands(command)
    _webhook_commands(command)
    return parser


def _directory_reputation_and_catalog(command: Callable[[str, str], argparse.ArgumentParser]) -> None:
    directory = command("directory", "the public directory of agents (no token needed)")
    directory.add_argument("--query", help="words of the name or description")
    directory.add_argument("--min-reputation", type=_decimal, help="0..100")
    directory.add_argument("--sort", choices=[s.value for s in models.DirectorySort])
    directory.add_argument("--limit", type=int, help="1..50 (default 20)")
    directory.add_argument("--cursor")

    feedback = command("feedback", "give (or replace) your one feedback about another agent")
    feedback.add_argument("subject", metavar="AGENT_ID", help="the agent the feedback is about")
    feedback.add_argument("score", type=int, help="0..100")
    feedback.add_argument("--tag", action="append", default=[], dest="tags", help="e.g. successRate (repeatable)")
    feedback.add_argument("--comment")
    revoke = command("revoke-feedback", "withdraw your feedback about an agent")
    revoke.add_argument("subject", metavar="AGENT_ID", help="the agent the feedback is about")

    reputation = command("reputation", "an agent's reputation and feedback (no token needed; public agents)")
    reputation.add_argument("agent", nargs="?", metavar="AGENT_ID", help="default: --agent-id")
    reputation.add_argument("--limit", type=int)
    reputation.add_argument("--cursor")

    for name, what in (("merchants", "the catalog's merchants"), ("products", "the catalog's products (offers)")):
        listing = command(name, f"{what} by id, a page at a time (an admin key with catalog:read as --token)")
        listing.add_argument("--limit", type=int, help="1..100 (default 50)")
        listing.add_argument("--cursor", help="the next page, as printed under the previous one")


def _wallet_and_operator_commands(command: Callable[[str, str], argparse.ArgumentParser]) -> None:
    wallet = command("wallet", "change the agent's payout wallet and/or currency (kept in wallet-history)")
    wallet.add_argument("agent", nargs="?", metavar="AGENT_ID", help="default: --agent-id")
    wallet.add_argument("--wallet", help="EVM (0x + 40 hex) or Solana (base58) address")
    wallet.add_argument("--crypto", choices=[c.value for c in models.CryptoPreference], help="payout currency")
    history = command("wallet-history", "every change of the agent's wallet, newest first")
    history.add_argument("agent", nargs="?", metavar="AGENT_ID", help="default: --agent-id")
    history.add_argument("--limit", type=int)
    history.add_argument("--cursor")

    plan = command("plan", "operators: move an agent to another plan (admin key with agents:write)")
    plan.add_argument("agent", metavar="AGENT_ID")
    plan.add_argument("plan", choices=[p.value for p in models.Plan])
    for name, help_text in (
        ("suspend", "operators: suspend an agent; its token gets 403 AGENT_SUSPENDED (agents:write)"),
        ("reinstate", "operators: reinstate a suspended agent (agents:write)"),
        ("delete-agent", "operators: erase an agent's personal data; money records stay (agents:write)"),
    ):
        command(name, help_text).add_argument("agent", metavar="AGENT_ID")
    keys = command("admin-keys", "operators: list admin keys, never their secrets (keys:read)")
    keys.add_argument("--limit", type=int)
    keys.add_argument("--cursor")
    revoke = command("revoke-admin-key", "operators: revoke an admin key at once (keys:write)")
    revoke.add_argument("key", metavar="KEY_ID", help="adm_…, as admin-keys lists it")
    payouts = command("payouts", "operators: a month's payouts per agent and currency (analytics:read)")
    payouts.add_argument("period", metavar="YYYY-MM", help="a calendar month, UTC")
    payouts.add_argument("--limit", type=int, help="agents per page")
    payouts.add_argument("--cursor")
    payouts.add_argument("--csv", action="store_true", help="the page as CSV, one row per agent and currency")
    paid = command("payouts-paid", "operators: mark a closed month paid, once (payouts:write)")
    paid.add_argument("period", metavar="YYYY-MM")


def _webhook_commands(command: Callable[[str, str], argparse.ArgumentParser]) -> None:
    setter = command("webhook-set", "register or move the agent's webhook (the first time prints its secret, once)")
    setter.add_argument("url", help="https URL whose host resolves to public addresses")
    setter.add_argument("--agent", help="default: --agent-id")
    for name, help_text in (
        ("webhook", "the agent's webhook"),
        ("webhook-delete", "delete the agent's webhook; deliveries stop"),
        ("webhook-rotate-secret", "new signing secret, printed once; the old one also signs for a day"),
        ("webhook-replay", "deliver failed deliveries again (up to 100, within a minute)"),
    ):
        sub = command(name, help_text)
        sub.add_argument("agent", nargs="?", metavar="AGENT_ID", help="default: --agent-id")
    failures = command("webhook-failures", "deliveries that failed every retry, oldest first")
    failures.add_argument("agent", nargs="?", metavar="AGENT_ID", help="default: --agent-id")
    failures.add_argument("--limit", type=int)
    failures.add_argument("--cursor")


def _search_options(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--sort", choices=[s.value for s in models.SortOrder])
    parser.add_argument("--limit", type=int, help="1..50 (default 10)")
    parser.add_argument("--links", action="store_true", help="show the affiliate links")


def main(argv: Sequence[str] | None = None) -> int:
    args = _parser().parse_args(argv)
    try:
        _check(args)
        with CashbackClient(
            args.api_url,
            args.token,
            agent_id=args.agent_id,
            timeout=args.timeout,
            retry=RetryPolicy(max_retries=args.max_retries, max_wait=args.max_wait),
            on_retry=_tell_retry,
        ) as api:
            result = COMMANDS[args.command](api, args)
    except UsageError as exc:
        print(f"cashback: {exc}", file=sys.stderr)
        return 2
    except CashbackError as exc:
        _report(exc)
        return 1
    except KeyboardInterrupt:
        return 130
    print(result.model_dump_json(indent=2) if args.json else RENDER[args.command](result, args))
    return 0


def _check(args: argparse.Namespace) -> None:
    if args.command in NEEDS_TOKEN and not args.token:
        raise UsageError("this command needs the agent's token: --token or CASHBACK_TOKEN (see cashback register)")
    if args.command in NEEDS_AGENT and not (getattr(args, "agent", None) or args.agent_id):
        raise UsageError("which agent? give its id: AGENT_ID, --agent-id or CASHBACK_AGENT_ID")


def _tell_retry(retry: Retry) -> None:
    print(f"cashback: {retry.error.code}; retrying in {retry.wait:g}s (retry {retry.attempt})", file=sys.stderr)


def _report(exc: CashbackError) -> None:
    lines = [f"error: {exc.code}: {exc.message}"]
    if exc.status is not None:
        lines.append(f"status: {exc.status}")
    if exc.details:
        lines.append(f"details: {json.dumps(exc.details, default=str)}")
    if isinstance(exc, RateLimitedError) and exc.retry_after is not None:
        lines.append(f"retry after: {exc.retry_after:g}s")
    if exc.request_id:
        lines.append(f"request id: {exc.request_id}")
    print("\n".join(lines), file=sys.stderr)


# ---------------------------------------------------------------- commands: call the API


def _search_kwargs(args: argparse.Namespace) -> dict[str, object]:
    names = ("category", "brand", "merchant", "min_price", "max_price", "in_stock", "sort", "limit", "cursor")
    found = {name: getattr(args, name, None) for name in names}
    found["min_cashback_rate"] = getattr(args, "min_cashback", None)
    return {k: v for k, v in found.items() if v is not None}


def _batch_item(query: str, args: argparse.Namespace) -> dict[str, object]:
    return {"keywords": query, **{k: v for k, v in (("sort", args.sort), ("limit", args.limit)) if v is not None}}


COMMANDS: dict[str, Callable[[CashbackClient, argparse.Namespace], BaseModel]] = {
    "health": lambda api, args: api.health(),
    "register": lambda api, args: api.register(args.name, wallet_address=args.wallet, crypto_preference=args.crypto),
    "agent": lambda api, args: api.get_agent(args.agent),
    "rotate-token": lambda api, args: api.rotate_token(args.agent),
    "search": lambda api, args: api.search(" ".join(args.keywords), **_search_kwargs(args)),  # type: ignore[arg-type]
    "batch-search": lambda api, args: api.batch_search([_batch_item(q, args) for q in args.queries]),
    "compare": lambda api, args: api.compare(" ".join(args.product), max_merchants=args.max_merchants),
    "stats": lambda api, args: api.stats(args.agent),
    "analytics": lambda api, args: api.analytics(args.agent),
    "conversions": lambda api, args: api.conversions(args.agent, limit=args.limit, cursor=args.cursor),
    "leaderboard": lambda api, args: api.leaderboard(metric=args.metric, period=args.period, currency=args.currency),
    "trending": lambda api, args: api.trending(days=args.days),
    "directory": lambda api, args: api.directory(
        query=args.query, min_reputation=args.min_reputation, sort=args.sort, limit=args.limit, cursor=args.cursor
    ),
    "feedback": lambda api, args: api.give_feedback(args.subject, args.score, tags=args.tags, comment=args.comment),
    "revoke-feedback": lambda api, args: api.revoke_feedback(args.subject),
    "reputation": lambda api, args: api.reputation(args.agent, limit=args.limit, cursor=args.cursor),
    "merchants": lambda api, args: api.list_merchants(limit=args.limit, cursor=args.cursor),
    "products": lambda api, args: api.list_products(limit=args.limit, cursor=args.cursor),
    "wallet": lambda api, args: api.update_profile(_wallet_changes(args), args.agent),
    "wallet-history": lambda api, args: api.wallet_history(args.agent, limit=args.limit, cursor=args.cursor),
    "plan": lambda api, args: api.change_plan(args.agent, args.plan),
    "suspend": lambda api, args: api.suspend_agent(args.agent),
    "reinstate": lambda api, args: api.reinstate_agent(args.agent),
    "delete-agent": lambda api, args: api.delete_agent(args.agent),
    "admin-keys": lambda api, args: api.admin_keys(limit=args.limit, cursor=args.cursor),
    "revoke-admin-key": lambda api, args: api.revoke_admin_key(args.key),
    "payouts": lambda api, args: (api.payout_report_csv if args.csv else api.payout_report)(
        args.period, limit=args.limit, cursor=args.cursor
    ),
    "payouts-paid": lambda api, args: api.mark_payouts_paid(args.period),
    "webhook-set": lambda api, args: api.set_webhook(args.url, args.agent),
    "webhook": lambda api, args: api.get_webhook(args.agent),
    "webhook-delete": lambda api, args: api.delete_webhook(args.agent),
    "webhook-rotate-secret": lambda api, args: api.rotate_webhook_secret(args.agent),
    "webhook-failures": lambda api, args: api.failed_deliveries(args.agent, limit=args.limit, cursor=args.cursor),
    "webhook-replay": lambda api, args: api.replay_failed_deliveries(args.agent),
}


def _wallet_changes(args: argparse.Namespace) -> dict[str, object]:
    changes = {"wallet_address": args.wallet, "crypto_preference": args.crypto}
    if not any(changes.values()):
        raise UsageError("give --wallet, --crypto or both")
    return {k: v for k, v in changes.items() if v is not None}


# ---------------------------------------------------------------- commands: print the answer


def _health(result: models.HealthStatus, args: argparse.Namespace) -> str:
    checks = ", ".join(f"{name} {state}" for name, state in result.checks.items())
    return f"{result.status}: version {result.version}, stage {result.stage}; {checks}"


def _profile(result: models.AgentProfile | models.RegisteredAgent) -> list[tuple[str, object]]:
    return [
        ("agent_id", result.agent_id),
        ("agent_name", result.agent_name),
        ("plan", result.plan.value),
        ("standing", result.standing.value if result.standing else None),
        ("wallet_address", result.wallet_address),
        ("crypto_preference", result.crypto_preference.value if result.crypto_preference else None),
        ("created_at", result.created_at),
        ("token_rotated_at", result.token_rotated_at),
    ]


def _registered(result: models.RegisteredAgent, args: argparse.Namespace) -> str:
    return "\n".join(
        [
            pairs([*_profile(result), ("token", result.token)]),
            "",
            "The token is shown only once: keep it. To use it with the next commands:",
            f"  export CASHBACK_TOKEN={result.token} CASHBACK_AGENT_ID={result.agent_id}",
        ]
    )


def _agent(result: models.AgentProfile, args: argparse.Namespace) -> str:
    return pairs(_profile(result))


def _rotated(result: models.RotatedToken, args: argparse.Namespace) -> str:
    return "\n".join(
        [
            pairs([("agent_id", result.agent_id), ("token", result.token), ("rotated_at", result.rotated_at)]),
            "",
            "The previous token stopped working. Use the new one:",
            f"  export CASHBACK_TOKEN={result.token}",
        ]
    )


def _results_table(results: Sequence[models.SearchResult], links: bool) -> str:
    headers = ["#", "Title", "Brand", "Merchant", "Price", "Cashback", "Rate", "Rating", "In stock"]
    rows = [
        [
            str(i),
            clip(r.title),
            clip(r.brand, 20),
            clip(r.merchant, 24),
            money(r.price, r.currency),
            money(r.cashback_amount, r.currency),
            percent(r.cashback_rate),
            optional(r.rating),
            "yes" if r.in_stock else "no",
        ]
        + ([r.affiliate_link] if links else [])
        for i, r in enumerate(results, start=1)
    ]
    return table(headers + (["Affiliate link"] if links else []), rows, right={0, 4, 5, 6, 7})


def _search_page(page: models.SearchResponse, links: bool) -> str:
    if not page.results:
        return f'No products match "{page.keywords}".'
    total = f"{page.total}{'+' if page.total_is_estimate else ''}"
    lines = [_results_table(page.results, links), "", f'{len(page.results)} of {total} results for "{page.keywords}"']
    if page.next_cursor:
        lines.append(f"next page: --cursor {page.next_cursor}")
    return "\n".join(lines)


def _search(result: models.SearchResponse, args: argparse.Namespace) -> str:
    return _search_page(result, args.links)


def _batch(result: models.BatchSearchResponse, args: argparse.Namespace) -> str:
    parts = []
    for query, item in zip(args.queries, result.results, strict=False):
        if item.ok and item.result:
            parts.append(f"== {query}\n{_search_page(item.result, args.links)}")
        else:
            error = item.error
            parts.append(f"== {query}\nerror: {error.code}: {error.message}" if error else f"== {query}\nerror")
    return "\n\n".join(parts)


def _compare(result: models.CompareResponse, args: argparse.Namespace) -> str:
    headers = ["Rank", "Merchant", "Price", "Rate", "Cashback", "Effective price", "vs 1st", "In stock"]
    rows = [
        [
            str(r.rank),
            clip(r.merchant, 24),
            money(r.price, r.currency),
            percent(r.cashback_rate),
            money(r.cashback_amount, r.currency),
            money(r.effective_price, r.currency),
            money(r.savings_vs_1st),
            "yes" if r.in_stock else "no",
        ]
        + ([r.affiliate_link] if args.links else [])
        for r in result.results
    ]
    summary = result.summary
    title = clip(result.results[0].title, 72) if result.results else result.product_query
    return "\n".join(
        [
            f"{title}: {summary.merchant_count} merchant(s)",
            "",
            table(headers + (["Affiliate link"] if args.links else []), rows, right={0, 2, 3, 4, 5, 6}),
            "",
            f"best cashback: {summary.best_merchant} at {summary.best_cashback_rate}; "
            f"best effective price {money(summary.best_effective_price)}; "
            f"prices {money(summary.price_range.min)} to {money(summary.price_range.max)}",
        ]
    )


def _stats(result: models.AgentStats, args: argparse.Namespace) -> str:
    counts = result.conversions
    return pairs(
        [
            ("agent_id", result.agent_id),
            ("searches", result.total_searches),
            ("clicks", result.total_clicks),
            ("conversions", f"{counts.confirmed} confirmed, {counts.pending} pending, {counts.refunded} refunded"),
            ("revenue", amounts(result.revenue)),
            ("pending revenue", amounts(result.pending_revenue)),
            ("revenue per search", amounts(result.average_revenue_per_search)),
            ("conversion rate", fraction(result.conversion_rate)),
            ("last activity", result.last_activity),
            ("as of", result.as_of),
        ]
    )


def _analytics(result: models.AgentAnalytics, args: argparse.Namespace) -> str:
    active = [day for day in result.timeline if day.searches or day.clicks or day.conversions or day.revenue]
    trends = [
        f"revenue {code}: last 7 days {money(t.last_7_days)}, previous 7 days {money(t.previous_7_days)}, "
        f"growth {fraction(t.growth_rate, signed=True)}"
        for code, t in sorted(result.revenue_trend.items())
    ]
    sections = [
        f"Agent {result.agent_id} (as of {result.as_of})",
        "\n".join(trends) or "revenue: none in the last 14 days",
        "",
        "Days with activity (last 30 days)",
        table(
            ["Date", "Searches", "Clicks", "Conversions", "Revenue"],
            [[d.date, str(d.searches), str(d.clicks), str(d.conversions), amounts(d.revenue)] for d in active],
            right={1, 2, 3, 4},
        )
        if active
        else "none",
        "",
        "Top brands searched",
        table(["Brand", "Searches"], [[b.name, str(b.count)] for b in result.top_brands], right={1})
        if result.top_brands
        else "none",
        "",
        "Top merchants by conversions",
        table(["Merchant", "Conversions"], [[m.name, str(m.count)] for m in result.top_merchants], right={1})
        if result.top_merchants
        else "none",
        "",
        "Recent searches",
        table(
            ["Time", "Keywords", "Filters", "Results"],
            [
                [s.timestamp, clip(s.keywords, 40), clip(_filters(s.filters), 40), str(s.results_count)]
                for s in result.recent_searches
            ],
            right={3},
        )
        if result.recent_searches
        else "none",
    ]
    return "\n".join(sections)


def _filters(filters: dict[str, object]) -> str:
    return ", ".join(f"{k}={v}" for k, v in filters.items() if v is not None) or "-"


def _conversions(result: models.ConversionPage, args: argparse.Namespace) -> str:
    if not result.conversions:
        return "No conversions yet."
    rows = [
        [
            c.occurred_at,
            c.conversion_id,
            c.status.value,
            clip(c.product_title or c.product_id, 40),
            c.merchant_id,
            money(c.order_amount, c.currency),
            money(c.commission_amount, c.currency),
        ]
        for c in result.conversions
    ]
    lines = [table(["Occurred", "Conversion", "Status", "Product", "Merchant", "Order", "Commission"], rows, {5, 6})]
    if result.next_cursor:
        lines += ["", f"next page: --cursor {result.next_cursor}"]
    return "\n".join(lines)


def _leaderboard(result: models.Leaderboard, args: argparse.Namespace) -> str:
    revenue = result.metric is models.LeaderboardMetric.REVENUE
    ranked_by = f"revenue in {result.currency}" if revenue else result.metric.value
    heading = f"Leaderboard by {ranked_by}, period {result.period.value}"
    if result.as_of is None:
        return f"{heading}: not computed yet (the rollup runs every 5 minutes)"
    if not result.agents:
        return f"{heading} (as of {result.as_of}): no agents yet"
    rows = [
        [
            str(a.rank),
            clip(a.agent_name, 32),
            a.agent_id,
            str(a.conversions),
            amounts(a.revenue),
            str(a.searches),
            fraction(a.growth_rate, signed=True),
        ]
        for a in result.agents
    ]
    headers = ["Rank", "Agent", "Agent id", "Conversions", "Revenue", "Searches", "Growth"]
    return f"{heading} (as of {result.as_of})\n\n" + table(headers, rows, right={0, 3, 4, 5, 6})


def _trending(result: models.Trending, args: argparse.Namespace) -> str:
    heading = f"Trending, last {result.days} day(s)"
    if result.as_of is None:
        return f"{heading}: not computed yet (the rollup runs every 5 minutes)"
    products = table(
        ["Product", "Searches", "Clicks", "Conversions", "Conv. rate", "Revenue"],
        [
            [
                clip(p.title),
                str(p.searches),
                str(p.clicks),
                str(p.conversions),
                fraction(p.conversion_rate),
                amounts(p.revenue),
            ]
            for p in result.products
        ],
        right={1, 2, 3, 4, 5},
    )
    keywords = table(["Keyword", "Searches"], [[k.keyword, str(k.searches)] for k in result.keywords], right={1})
    merchants = table(
        ["Merchant", "Clicks", "Conversions", "Revenue"],
        [[m.merchant_id, str(m.clicks), str(m.conversions), amounts(m.revenue)] for m in result.merchants],
        right={1, 2, 3},
    )
    approximate = " (approximate: a day had more entries than its stored top list)" if result.approximate else ""
    return "\n".join(
        [
            f"{heading} (as of {result.as_of}){approximate}",
            "",
            "Products",
            products if result.products else "none",
            "",
            "Keywords",
            keywords if result.keywords else "none",
            "",
            "Merchants",
            merchants if result.merchants else "none",
        ]
    )


def _next_page(lines: list[str], cursor: str | None) -> str:
    if cursor:
        lines += ["", f"next page: --cursor {cursor}"]
    return "\n".join(lines)


def _directory(result: models.DirectoryPage, args: argparse.Namespace) -> str:
    if not result.agents:
        return "No public agents match."
    rows = [
        [clip(a.agent_name, 32), a.agent_id, optional(a.reputation_score), str(a.confirmed_conversions), a.created_at]
        for a in result.agents
    ]
    headers = ["Agent", "Agent id", "Reputation", "Conversions", "Listed since"]
    return _next_page([table(headers, rows, right={2, 3})], result.next_cursor)


def _feedback(result: models.Feedback, args: argparse.Namespace) -> str:
    return pairs(
        [
            ("about", result.subject_id),
            ("from", result.author_id),
            ("score", result.score),
            ("tags", ", ".join(result.tags) or None),
            ("comment", result.comment),
            ("updated", result.updated_at),
        ]
    )


def _revoked(result: models.FeedbackRevoked, args: argparse.Namespace) -> str:
    return f"Your feedback about {result.subject_id} is withdrawn."


def _reputation(result: models.Reputation, args: argparse.Namespace) -> str:
    summary = pairs(
        [
            ("agent", f"{result.agent_name} ({result.agent_id})"),
            ("score", optional(result.score)),
            ("feedback", f"{result.inputs.feedback_count}, average {optional(result.inputs.feedback_average)}"),
            ("computed", result.computed_at),
            ("tags", ", ".join(f"{t.tag} {t.count}" for t in result.tags) or None),
        ]
    )
    if not result.feedback:
        return summary + "\n\nNo feedback yet."
    rows = [
        [f.author_id, str(f.score), ", ".join(f.tags), clip(f.comment or "", 40), f.updated_at] for f in result.feedback
    ]
    lines = [summary, "", table(["From", "Score", "Tags", "Comment", "Updated"], rows, right={1})]
    return _next_page(lines, result.next_cursor)


def _merchants(result: models.MerchantPage, args: argparse.Namespace) -> str:
    if not result.merchants:
        return "No merchants."
    rows = [
        [m.merchant_id, clip(m.name, 32), m.domain, m.currency or "-", percent(m.default_cashback_rate)]
        for m in result.merchants
    ]
    headers = ["Merchant id", "Name", "Domain", "Currency", "Cashback"]
    return _next_page([table(headers, rows, right={4})], result.next_cursor)


def _products(result: models.ProductPage, args: argparse.Namespace) -> str:
    if not result.products:
        return "No products."
    rows = [
        [p.product_id, clip(p.title, 40), p.category, money(p.price, p.currency), percent(p.cashback_rate)]
        for p in result.products
    ]
    headers = ["Product id", "Title", "Category", "Price", "Cashback"]
    return _next_page([table(headers, rows, right={3, 4})], result.next_cursor)


def _wallet_history(result: models.WalletHistory, args: argparse.Namespace) -> str:
    if not result.changes:
        return "No wallet changes yet."
    rows = [
        [
            c.changed_at,
            optional(c.wallet_address),
            optional(c.crypto_preference.value if c.crypto_preference else None),
            optional(c.previous_wallet_address),
            optional(c.previous_crypto_preference.value if c.previous_crypto_preference else None),
        ]
        for c in result.changes
    ]
    lines = [table(["Changed", "Wallet", "Currency", "Previous wallet", "Previous currency"], rows)]
    if result.cursor:
        lines += ["", f"next page: --cursor {result.cursor}"]
    return "\n".join(lines)


def _agent_deleted(result: models.AgentDeleted, args: argparse.Namespace) -> str:
    return pairs([("agent_id", result.agent_id), ("standing", result.standing), ("deleted_at", result.deleted_at)])


def _admin_key_row(key: models.AdminKey) -> list[str]:
    return [
        key.key_id,
        clip(key.name, 24),
        ",".join(s.value for s in key.scopes),
        key.created_at,
        optional(key.expires_at),
        optional(key.last_used_at),
        optional(key.revoked_at),
    ]


ADMIN_KEY_HEADERS = ["Key id", "Name", "Scopes", "Created", "Expires", "Last used", "Revoked"]


def _admin_keys(result: models.AdminKeyPage, args: argparse.Namespace) -> str:
    if not result.keys:
        return "No admin keys listed."
    lines = [table(ADMIN_KEY_HEADERS, [_admin_key_row(k) for k in result.keys])]
    if result.cursor:
        lines += ["", f"next page: --cursor {result.cursor}"]
    return "\n".join(lines)


def _revoked_key(result: models.AdminKey, args: argparse.Namespace) -> str:
    return table(ADMIN_KEY_HEADERS, [_admin_key_row(result)])


def _payouts(result: models.PayoutReport | PayoutCsv, args: argparse.Namespace) -> str:
    if isinstance(result, PayoutCsv):
        if result.next_cursor:
            print(f"next page: --cursor {result.next_cursor}", file=sys.stderr)
        return result.text.rstrip("\r\n")
    paid = f", paid {result.paid.paid_at} by {result.paid.paid_by}" if result.paid else ""
    lines = [f"{result.period}: {result.status.value}{paid}"]
    if result.agents:
        rows = [
            [
                a.agent_id,
                a.wallet_address or "-",
                a.crypto_preference.value if a.crypto_preference else "-",
                amounts(a.commission),
                str(len(a.conversions)),
            ]
            for a in result.agents
        ]
        lines += ["", table(["Agent", "Wallet", "Pays in", "Commission", "Conversions"], rows, {4})]
    else:
        lines.append("No agent earned in this month.")
    if result.next_cursor:
        lines += ["", f"next page: --cursor {result.next_cursor}"]
    return "\n".join(lines)


def _payouts_paid(result: models.PaidRecord, args: argparse.Namespace) -> str:
    return f"{result.period} marked paid {result.paid_at} by {result.paid_by}."


def _webhook(result: models.Webhook, args: argparse.Namespace) -> str:
    shown = pairs(
        [
            ("url", result.url),
            ("events", ", ".join(e.value for e in result.events or [])),
            ("created_at", result.created_at),
            ("updated_at", result.updated_at),
            ("secret_rotated_at", result.secret_rotated_at),
            *([("secret", result.secret)] if result.secret else []),
        ]
    )
    if not result.secret:
        return shown
    return f"{shown}\n\nThe secret is shown only once: keep it, and check X-Cashback-Signature with it."


def _webhook_deleted(result: models.Deleted, args: argparse.Namespace) -> str:
    return f"Webhook of {result.deleted} deleted."


def _failures(result: models.FailedDeliveryPage, args: argparse.Namespace) -> str:
    if not result.failed:
        return "No failed deliveries."
    rows = [
        [f.failed_at, f.delivery_id, f.event_type.value, str(f.attempts), clip(f.last_error, 40)] for f in result.failed
    ]
    lines = [table(["Failed", "Delivery", "Event", "Attempts", "Last error"], rows, {3})]
    if result.next_cursor:
        lines += ["", f"next page: --cursor {result.next_cursor}"]
    return "\n".join(lines)


def _replayed(result: models.ReplayResult, args: argparse.Namespace) -> str:
    more = " More remain: run it again." if result.remaining else ""
    return f"{result.requeued} failed deliveries queued; they are sent within a minute.{more}"


RENDER: dict[str, Callable[..., str]] = {
    "wallet": _agent,
    "wallet-history": _wallet_history,
    "plan": _agent,
    "suspend": _agent,
    "reinstate": _agent,
    "delete-agent": _agent_deleted,
    "admin-keys": _admin_keys,
    "revoke-admin-key": _revoked_key,
    "payouts": _payouts,
    "payouts-paid": _payouts_paid,
    "health": _health,
    "register": _registered,
    "agent": _agent,
    "rotate-token": _rotated,
    "search": _search,
    "batch-search": _batch,
    "compare": _compare,
    "stats": _stats,
    "analytics": _analytics,
    "conversions": _conversions,
    "leaderboard": _leaderboard,
    "trending": _trending,
    "directory": _directory,
    "feedback": _feedback,
    "revoke-feedback": _revoked,
    "reputation": _reputation,
    "merchants": _merchants,
    "products": _products,
    "webhook-set": _webhook,
    "webhook": _webhook,
    "webhook-delete": _webhook_deleted,
    "webhook-rotate-secret": _webhook,
    "webhook-failures": _failures,
    "webhook-replay": _replayed,
}


if __name__ == "__main__":
    raise SystemExit(main())
