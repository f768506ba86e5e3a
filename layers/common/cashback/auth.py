"""Secrets, identifiers, scopes and the authenticated caller.

Agent tokens and admin keys are 256-bit random secrets, so a plain SHA-256 is a sufficient
one-way hash (no salt or slow KDF needed: there is nothing to brute-force). Only the hash is
stored; the secret is shown once.
"""

from __future__ import annotations

import hashlib
import re
import secrets
from dataclasses import dataclass
from enum import StrEnum

from cashback.errors import Forbidden

AGENT_ID_PREFIX = "agt_"
AGENT_TOKEN_PREFIX = "cbk_agent_"
ADMIN_KEY_PREFIX = "cbk_admin_"
ADMIN_KEY_ID_PREFIX = "adm_"

AGENT_ID_PATTERN = r"^agt_[A-Za-z0-9_-]{22}$"
_AGENT_ID_RE = re.compile(AGENT_ID_PATTERN)
# The shape of every secret this API issues (the prefix and 43 base64url characters; a little slack
# either side): anything else is refused before a DynamoDB read. template.yaml's authorizer
# ValidationExpression is the same shape, so API Gateway refuses the rest without invoking anything.
SECRET_PATTERN = r"cbk_(agent|admin)_[A-Za-z0-9_-]{32,64}"
_SECRET_RE = re.compile(SECRET_PATTERN)
# Who may author feedback: an agent, or an admin key (by its public id).
AUTHOR_ID_PATTERN = r"^(agt_[A-Za-z0-9_-]{22}|adm_[A-Za-z0-9_-]{12})$"


class Scope(StrEnum):
    AGENTS_READ = "agents:read"
    AGENTS_WRITE = "agents:write"
    KEYS_READ = "keys:read"
    KEYS_WRITE = "keys:write"
    CATALOG_WRITE = "catalog:write"
    CATALOG_READ = "catalog:read"
    ANALYTICS_READ = "analytics:read"
    FEEDBACK_WRITE = "feedback:write"
    PAYOUTS_WRITE = "payouts:write"


ADMIN_KEY_ID_PATTERN = r"^adm_[A-Za-z0-9_-]{12}$"


class Standing(StrEnum):
    """An agent's standing: a suspended agent's token is refused (403 AGENT_SUSPENDED) while its
    links keep redirecting and its conversions keep counting; a deleted agent is a tombstone."""

    ACTIVE = "active"
    SUSPENDED = "suspended"
    DELETED = "deleted"


class PrincipalKind(StrEnum):
    AGENT = "agent"
    ADMIN = "admin"


def new_agent_id() -> str:
    return AGENT_ID_PREFIX + secrets.token_urlsafe(16)


def new_agent_token() -> str:
    return AGENT_TOKEN_PREFIX + secrets.token_urlsafe(32)


def new_admin_key() -> tuple[str, str]:
    """A fresh admin key and its public id (the id is safe to log and list)."""
    return ADMIN_KEY_PREFIX + secrets.token_urlsafe(32), ADMIN_KEY_ID_PREFIX + secrets.token_urlsafe(9)


def hash_secret(secret: str) -> str:
    return hashlib.sha256(secret.encode("utf-8")).hexdigest()


def is_agent_id(value: str) -> bool:
    return bool(_AGENT_ID_RE.match(value))


def has_secret_shape(secret: str) -> bool:
    """Whether `secret` could be a token or key this API issued (no lookup needed to refuse it)."""
    return bool(_SECRET_RE.fullmatch(secret))


def bearer_secret(authorization: str | None) -> str | None:
    """The secret in an `Authorization: Bearer <secret>` header, or None."""
    if not authorization:
        return None
    scheme, _, secret = authorization.partition(" ")
    if scheme.lower() != "bearer":
        return None
    return secret.strip() or None


def parse_scopes(text: str) -> frozenset[Scope]:
    """`"catalog:write, agents:read"` → scopes; unknown names raise ValueError."""
    names = [part.strip() for part in text.split(",") if part.strip()]
    return frozenset(Scope(name) for name in names)


@dataclass(frozen=True)
class Caller:
    """Who is calling, as the authorizer established it (None fields for anonymous calls)."""

    kind: PrincipalKind | None = None
    principal_id: str | None = None
    plan: str | None = None
    scopes: frozenset[Scope] = frozenset()
    suspended: bool = False
    # An admin key's expiry (UTC ISO 8601), checked on every request, not only when the
    # authorizer's cached decision is made.
    expires_at: str | None = None

    @classmethod
    def of_agent(cls, agent_id: str, plan: str | None = None) -> Caller:
        """An agent calling with its own token."""
        return cls(kind=PrincipalKind.AGENT, principal_id=agent_id, plan=plan)

    @classmethod
    def operator(cls) -> Caller:
        """An operator's script run with the stack's AWS credentials (seeding the catalog): it could
        write the tables directly, so it holds every scope."""
        return cls(kind=PrincipalKind.ADMIN, principal_id="operator", plan="admin", scopes=frozenset(Scope))

    @property
    def agent_id(self) -> str | None:
        return self.principal_id if self.kind is PrincipalKind.AGENT else None

    @property
    def is_anonymous(self) -> bool:
        return self.kind is None

    def require_agent_or_scope(self, agent_id: str, scope: Scope) -> None:
        """Allow the agent itself, or an admin key holding `scope`; anyone else gets 403."""
        if self.agent_id == agent_id:
            return
        if self.kind is PrincipalKind.ADMIN and scope in self.scopes:
            return
        raise Forbidden("This token may not access another agent's data.")

    def require_scope(self, *any_of: Scope) -> None:
        """Allow an admin key holding any of these scopes; everyone else gets 403."""
        if self.kind is not PrincipalKind.ADMIN or not self.scopes.intersection(any_of):
            raise Forbidden(f"This needs an admin key with scope {' or '.join(s.value for s in any_of)}.")

    def require_any_agent(self) -> str:
        """The caller's agent id; admin keys and anonymous callers get 403."""
        if self.agent_id is None:
            raise Forbidden("This endpoint needs an agent token.")
        return self.agent_id

    def require_agent(self, agent_id: str) -> None:
        if self.agent_id != agent_id:
            raise Forbidden("Only the agent itself may do this.")

    def authorizer_context(self) -> dict[str, str]:
        """What the authorizer hands API Gateway, which passes it to every function."""
        context = {
            "kind": self.kind.value if self.kind else "",
            "plan": self.plan or "",
            "scopes": ",".join(sorted(self.scopes)),
        }
        if self.suspended:
            context["standing"] = Standing.SUSPENDED.value
        if self.expires_at:
            context["expires_at"] = self.expires_at
        return context

    @classmethod
    def from_authorizer_context(cls, context: dict[str, object] | None) -> Caller:
        if not context or not context.get("principalId"):
            return cls()
        kind = str(context.get("kind") or "")
        return cls(
            kind=PrincipalKind(kind) if kind in _KINDS else None,
            principal_id=str(context["principalId"]),
            plan=str(context.get("plan") or "") or None,
            scopes=frozenset(Scope(s) for s in str(context.get("scopes") or "").split(",") if s in _SCOPES),
            suspended=str(context.get("standing") or "") == Standing.SUSPENDED.value,
            expires_at=str(context.get("expires_at") or "") or None,
        )


_SCOPES = {s.value for s in Scope}
_KINDS = {k.value for k in PrincipalKind}
