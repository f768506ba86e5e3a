"""Data access: every DynamoDB access pattern, by name, one module per table or pattern.

The only code that knows keys, indexes and item shapes. Use cases call these functions; nothing
here imports a use case, the API glue or the API models.

- `agents` AgentsTable: profiles, credentials (tokens and admin keys), the health probe;
- `ratelimit` RateLimitTable: the exact fixed-window counters;
- `activity` ActivityTable: clicks, search logs, per-agent totals and day counters, conversions;
- `events` the activity event stream the rollup reads (in ActivityTable);
- `analytics` AnalyticsTable: the rollup's aggregates and the read models it builds;
- `catalog` CatalogTable: merchants, products and the keyword index;
- `reputation` ReputationTable: directory entries, feedback and scores;
- `dynamo` the shared plumbing (client, codec, generic request shapes).
"""
