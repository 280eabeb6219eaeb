"""Who may call what: one table of permissions by role, one table of endpoints by permission.

The user guide's access table (docs/platform.md) is generated from these tables
(:func:`markdown_table`) and the authorisation matrix test requests every endpoint as every role
and anonymous, expecting exactly what the document says.

Read policy (``--read-policy``): ``members`` (default) lets only signed-in accounts read; ``public``
also lets anonymous visitors read the register and provenance (never prices, valuations, quotes or
audit findings, which stay ``members``-only whatever the policy).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

from ipledger.web.accounts import ROLES

ReadPolicy = Literal["members", "public"]
ANONYMOUS = "anonymous"

#: Permission -> the roles that hold it. ``read`` is also anonymous under the public read policy.
PERMISSIONS: dict[str, tuple[str, ...]] = {
    "open": (ANONYMOUS, *ROLES),
    "read": ROLES,
    "prices": ROLES,
    "member": ROLES,
    "valuation.write": ("valuer",),
    "quote.write": ("insurer",),
    "portfolio.read": ("insurer", "auditor", "admin"),
    "audit.read": ROLES,
    "audit.run": ("auditor",),
}
#: Permissions that change the ledger or the platform: they need the ``write`` token scope, a
#: CSRF token in a browser session, and count against the write rate limit.
WRITES = frozenset({"valuation.write", "quote.write", "audit.run"})


@dataclass(frozen=True)
class Endpoint:
    """One route: method, path (with ``{asset}`` for an asset id), the permission it needs."""

    method: str
    path: str
    permission: str
    what: str


ENDPOINTS: tuple[Endpoint, ...] = (
    Endpoint("GET", "/", "open", "home (redirects to the register)"),
    Endpoint("GET", "/login", "open", "log-in form"),
    Endpoint("GET", "/assets", "read", "asset search and listing"),
    Endpoint("GET", "/assets/{asset}", "read", "asset page: identity, status, provenance, documents"),
    Endpoint("GET", "/organisations", "read", "organisations directory"),
    Endpoint("GET", "/valuations/{report}", "prices", "an anchored valuation report"),
    Endpoint("GET", "/assets/{asset}/valuation", "valuation.write", "valuation request form"),
    Endpoint("POST", "/assets/{asset}/valuation", "valuation.write", "value an asset and anchor it"),
    Endpoint("GET", "/assets/{asset}/quote", "quote.write", "quote form"),
    Endpoint("POST", "/assets/{asset}/quote", "quote.write", "price a policy and anchor the quote"),
    Endpoint("GET", "/portfolio", "portfolio.read", "portfolio: loss ratios by field and decile"),
    Endpoint("GET", "/audit", "audit.read", "latest audit result"),
    Endpoint("GET", "/audit/status", "audit.read", "progress of the running audit (JSON)"),
    Endpoint("POST", "/audit/run", "audit.run", "start an audit"),
    Endpoint("GET", "/account", "member", "own account and API tokens"),
    Endpoint("POST", "/account/tokens", "member", "issue an API token"),
    Endpoint("GET", "/api/v1/openapi.json", "open", "OpenAPI schema"),
    Endpoint("GET", "/api/v1/assets", "read", "assets (paginated, filtered)"),
    Endpoint("GET", "/api/v1/assets/{asset}", "read", "one asset"),
    Endpoint("GET", "/api/v1/assets/{asset}/history", "read", "an asset's records in chain order"),
    Endpoint("GET", "/api/v1/assets/{asset}/valuations", "prices", "anchored valuations of an asset"),
    Endpoint("GET", "/api/v1/assets/{asset}/quotes", "prices", "anchored quotes and policies of an asset"),
    Endpoint("POST", "/api/v1/assets/{asset}/valuations", "valuation.write", "value and anchor"),
    Endpoint("POST", "/api/v1/assets/{asset}/quotes", "quote.write", "price and anchor a quote"),
    Endpoint("GET", "/api/v1/organisations", "read", "organisations directory"),
    Endpoint("GET", "/api/v1/portfolio", "portfolio.read", "loss ratios by field and decile"),
    Endpoint("GET", "/api/v1/audit", "audit.read", "latest audit result"),
    Endpoint("POST", "/api/v1/audit", "audit.run", "start an audit"),
)

COLUMNS: tuple[str, ...] = (ANONYMOUS, *ROLES)


def allowed(permission: str, role: str, policy: ReadPolicy = "members") -> bool:
    """Whether ``role`` (or ``"anonymous"``) holds ``permission`` under ``policy``."""
    if permission == "read" and role == ANONYMOUS:
        return policy == "public"
    return role in PERMISSIONS[permission]


def markdown_table(policy: ReadPolicy = "members") -> str:
    """The access table as Markdown: one row per endpoint, one column per role."""
    head = "| method | path | " + " | ".join(COLUMNS) + " |"
    rule = "|" + "---|" * (len(COLUMNS) + 2)
    rows = [head, rule]
    for e in ENDPOINTS:
        cells = ["yes" if allowed(e.permission, r, policy) else "no" for r in COLUMNS]
        rows.append(f"| {e.method} | `{e.path}` | " + " | ".join(cells) + " |")
    return "\n".join(rows)


def parse_markdown_table(text: str) -> dict[tuple[str, str], dict[str, bool]]:
    """The access table read back from Markdown: (method, path) -> role -> allowed."""
    out: dict[tuple[str, str], dict[str, bool]] = {}
    header: list[str] | None = None
    for line in text.splitlines():
        if not line.startswith("|"):
            header = None if header and not line.strip() else header
            continue
        cells = [c.strip() for c in line.strip().strip("|").split("|")]
        if cells[:2] == ["method", "path"]:
            header = cells
            continue
        if header is None or set(cells[0]) <= {"-"}:
            continue
        out[(cells[0], cells[1].strip("`"))] = {r: c == "yes" for r, c in zip(header[2:], cells[2:], strict=True)}
    return out
