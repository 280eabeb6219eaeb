"""The platform database: organisations, accounts, browser sessions and API tokens.

SQLAlchemy Core over SQLite beside the ledger by default (``<data_dir>/platform.sqlite``), or any
URL SQLAlchemy speaks (PostgreSQL for a shared deployment). Secrets are never stored in clear:

- passwords: argon2id (argon2-cffi, RFC 9106 parameters of its ``PasswordHasher`` defaults);
- API tokens and session ids: 32 random bytes shown once, stored as their SHA-256 (a token has
  256 bits of entropy, so a fast hash is enough: nothing to brute-force, unlike a password);
- keystore passwords: never stored; a writer types the organisation's keystore password with
  each write (see :mod:`ipledger.web.writes`).
"""

from __future__ import annotations

import datetime as dt
import hashlib
import re
import secrets
import time
from dataclasses import dataclass
from typing import Any

import sqlalchemy as sa
from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError, VerifyMismatchError

from ipledger.errors import ValidationError

#: Roles of platform accounts: the chain's roles plus auditor and read-only.
ROLES: tuple[str, ...] = ("read-only", "registrar", "recorder", "valuer", "insurer", "auditor", "admin")
ORG_KINDS: tuple[str, ...] = ("registry", "exchange", "valuer", "insurer", "auditor", "holder")

SESSION_HOURS = 8
#: Seconds a looked-up session or token is remembered. Changes made through this process (log-out,
#: revocation, disabling) take effect at once; made by another process (the CLI), within this.
CREDENTIAL_TTL = 5.0
TOKEN_PREFIX = "ipl_"

meta = sa.MetaData()
orgs = sa.Table(
    "web_organisations",
    meta,
    sa.Column("org_id", sa.String(64), primary_key=True),
    sa.Column("name", sa.Text, nullable=False),
    sa.Column("kind", sa.String(16), nullable=False),
    sa.Column("account", sa.String(42)),  # the organisation's chain account (0x, lower case)
    sa.Column("key_name", sa.String(64)),  # its key's name in the keystore
)
users = sa.Table(
    "web_users",
    meta,
    sa.Column("username", sa.String(64), primary_key=True),
    sa.Column("org_id", sa.String(64), sa.ForeignKey("web_organisations.org_id"), nullable=False),
    sa.Column("role", sa.String(16), nullable=False),
    sa.Column("password_hash", sa.Text, nullable=False),
    sa.Column("active", sa.Boolean, nullable=False, default=True),
)
tokens = sa.Table(
    "web_tokens",
    meta,
    sa.Column("token_id", sa.String(16), primary_key=True),
    sa.Column("digest", sa.String(64), nullable=False, unique=True),
    sa.Column("username", sa.String(64), sa.ForeignKey("web_users.username"), nullable=False),
    sa.Column("scopes", sa.Text, nullable=False),  # space-separated: read, write
    sa.Column("label", sa.Text, nullable=False, default=""),
    sa.Column("created", sa.DateTime, nullable=False),
    sa.Column("revoked", sa.Boolean, nullable=False, default=False),
)
sessions = sa.Table(
    "web_sessions",
    meta,
    sa.Column("digest", sa.String(64), primary_key=True),
    sa.Column("username", sa.String(64), sa.ForeignKey("web_users.username"), nullable=False),
    sa.Column("csrf", sa.String(64), nullable=False),
    sa.Column("expires", sa.DateTime, nullable=False),
)

SCOPES = ("read", "write")
_NAME = re.compile(r"^[a-z0-9][a-z0-9_.-]{1,62}$")


@dataclass(frozen=True)
class Principal:
    """Who a request acts for.

    Attributes:
        username: the account.
        org_id: its organisation.
        role: its role (one of :data:`ROLES`).
        scopes: what the credential allows: ``{"read", "write"}`` for a browser session, the
            token's scopes for an API token.
        csrf: the session's CSRF token (None for API tokens, which are not sent by browsers
            on their own and so need none).
    """

    username: str
    org_id: str
    role: str
    scopes: frozenset[str]
    csrf: str | None = None


def _digest(secret: str) -> str:
    return hashlib.sha256(secret.encode()).hexdigest()


def _now() -> dt.datetime:
    return dt.datetime.now(dt.UTC).replace(tzinfo=None)


class Accounts:
    """Accounts of one platform database.

    Args:
        url: SQLAlchemy URL, e.g. ``sqlite:///data/platform.sqlite``.
    """

    def __init__(self, url: str) -> None:
        self.engine = sa.create_engine(url)
        meta.create_all(self.engine)
        self.hasher = PasswordHasher()
        # A real hash to verify against when the user does not exist, so that a log-in with an
        # unknown name takes as long as one with a wrong password (no user enumeration by timing).
        self._dummy = self.hasher.hash(secrets.token_hex(16))
        self._seen: dict[str, tuple[float, Principal | None]] = {}

    def _remembered(self, key: str) -> tuple[bool, Principal | None]:
        hit = self._seen.get(key)
        if hit is not None and time.monotonic() - hit[0] < CREDENTIAL_TTL:
            return True, hit[1]
        return False, None

    def _remember(self, key: str, who: Principal | None) -> Principal | None:
        if len(self._seen) > 10_000:
            self._seen.clear()
        self._seen[key] = (time.monotonic(), who)
        return who

    def forget_credentials(self) -> None:
        """Drop remembered sessions and tokens (after a log-out, revocation or disabling)."""
        self._seen.clear()

    # ------------------------------------------------------------ organisations and users

    def add_org(
        self, org_id: str, name: str, kind: str, account: str | None = None, key_name: str | None = None
    ) -> None:
        """Create or update an organisation; ``account`` is its chain address, ``key_name`` its
        key in the keystore."""
        if not _NAME.match(org_id):
            raise ValidationError(f"organisation id {org_id!r}: 2-63 lower-case letters, digits, '.', '_', '-'")
        if kind not in ORG_KINDS:
            raise ValidationError(f"organisation kind {kind!r}: one of {', '.join(ORG_KINDS)}")
        if account is not None and not re.fullmatch(r"0x[0-9a-fA-F]{40}", account):
            raise ValidationError(f"account {account!r} is not a 0x address")
        row = {"name": name, "kind": kind, "account": account.lower() if account else None, "key_name": key_name}
        with self.engine.begin() as c:
            if c.execute(sa.select(orgs.c.org_id).where(orgs.c.org_id == org_id)).first():
                c.execute(orgs.update().where(orgs.c.org_id == org_id).values(**row))
            else:
                c.execute(orgs.insert().values(org_id=org_id, **row))

    def org(self, org_id: str) -> dict[str, Any] | None:
        with self.engine.connect() as c:
            r = c.execute(sa.select(orgs).where(orgs.c.org_id == org_id)).mappings().first()
        return dict(r) if r else None

    def list_orgs(self) -> list[dict[str, Any]]:
        with self.engine.connect() as c:
            return [dict(r) for r in c.execute(sa.select(orgs).order_by(orgs.c.org_id)).mappings()]

    def add_user(self, username: str, password: str, org_id: str, role: str) -> None:
        """Create an account (its password hashed with argon2id)."""
        if not _NAME.match(username):
            raise ValidationError(f"user name {username!r}: 2-63 lower-case letters, digits, '.', '_', '-'")
        if role not in ROLES:
            raise ValidationError(f"role {role!r}: one of {', '.join(ROLES)}")
        if len(password) < 10:
            raise ValidationError("a password needs at least 10 characters")
        if self.org(org_id) is None:
            raise ValidationError(f"unknown organisation {org_id!r} (add it first)")
        with self.engine.begin() as c:
            if c.execute(sa.select(users.c.username).where(users.c.username == username)).first():
                raise ValidationError(f"user {username!r} exists")
            c.execute(
                users.insert().values(
                    username=username, org_id=org_id, role=role, password_hash=self.hasher.hash(password), active=True
                )
            )

    def list_users(self) -> list[dict[str, Any]]:
        with self.engine.connect() as c:
            q = sa.select(users.c.username, users.c.org_id, users.c.role, users.c.active).order_by(users.c.username)
            return [dict(r) for r in c.execute(q).mappings()]

    def set_active(self, username: str, active: bool) -> None:
        """Disable (or re-enable) an account; a disabled account's sessions and tokens stop working."""
        with self.engine.begin() as c:
            if not c.execute(users.update().where(users.c.username == username).values(active=active)).rowcount:
                raise ValidationError(f"unknown user {username!r}")
            if not active:
                c.execute(sessions.delete().where(sessions.c.username == username))
        self.forget_credentials()

    def _principal(self, row: Any, scopes: frozenset[str], csrf: str | None = None) -> Principal:
        return Principal(row["username"], row["org_id"], row["role"], scopes, csrf)

    # ------------------------------------------------------------ log-in and sessions

    def authenticate(self, username: str, password: str) -> Principal | None:
        """The account if the password matches and the account is active, else None."""
        with self.engine.connect() as c:
            row = c.execute(sa.select(users).where(users.c.username == username)).mappings().first()
        try:
            self.hasher.verify(row["password_hash"] if row else self._dummy, password)
        except (VerifyMismatchError, VerificationError, InvalidHashError):
            return None
        if row is None or not row["active"]:
            return None
        return self._principal(row, frozenset(SCOPES))

    def start_session(self, username: str) -> tuple[str, str]:
        """A new session for ``username``: (session id for the cookie, CSRF token)."""
        sid, csrf = secrets.token_urlsafe(32), secrets.token_urlsafe(32)
        with self.engine.begin() as c:
            c.execute(sessions.delete().where(sessions.c.expires < _now()))
            c.execute(
                sessions.insert().values(
                    digest=_digest(sid),
                    username=username,
                    csrf=csrf,
                    expires=_now() + dt.timedelta(hours=SESSION_HOURS),
                )
            )
        return sid, csrf

    def session(self, sid: str) -> Principal | None:
        """The principal of a live session id, or None."""
        digest = _digest(sid)
        known, who = self._remembered("s" + digest)
        if known:
            return who
        q = (
            sa.select(users, sessions.c.csrf, sessions.c.expires)
            .join(sessions, sessions.c.username == users.c.username)
            .where(sessions.c.digest == digest)
        )
        with self.engine.connect() as c:
            row = c.execute(q).mappings().first()
        if row is None or row["expires"] < _now() or not row["active"]:
            return self._remember("s" + digest, None)
        return self._remember("s" + digest, self._principal(row, frozenset(SCOPES), row["csrf"]))

    def end_session(self, sid: str) -> None:
        with self.engine.begin() as c:
            c.execute(sessions.delete().where(sessions.c.digest == _digest(sid)))
        self.forget_credentials()

    # ------------------------------------------------------------ API tokens

    def issue_token(self, username: str, scopes: tuple[str, ...] = ("read",), label: str = "") -> tuple[str, str]:
        """A new API token for ``username``: (token id, secret). The secret is shown once."""
        bad = set(scopes) - set(SCOPES)
        if bad or not scopes:
            raise ValidationError(f"token scopes: one or more of {', '.join(SCOPES)} (not {', '.join(sorted(bad))})")
        with self.engine.connect() as c:
            if not c.execute(sa.select(users.c.username).where(users.c.username == username)).first():
                raise ValidationError(f"unknown user {username!r}")
        token_id = secrets.token_hex(6)
        secret = f"{TOKEN_PREFIX}{token_id}_{secrets.token_urlsafe(32)}"
        with self.engine.begin() as c:
            c.execute(
                tokens.insert().values(
                    token_id=token_id,
                    digest=_digest(secret),
                    username=username,
                    scopes=" ".join(sorted(set(scopes))),
                    label=label,
                    created=_now(),
                    revoked=False,
                )
            )
        return token_id, secret

    def token(self, secret: str) -> Principal | None:
        """The principal of a live (not revoked) token of an active account, or None."""
        digest = _digest(secret)
        known, who = self._remembered("t" + digest)
        if known:
            return who
        q = (
            sa.select(users, tokens.c.scopes, tokens.c.revoked)
            .join(tokens, tokens.c.username == users.c.username)
            .where(tokens.c.digest == digest)
        )
        with self.engine.connect() as c:
            row = c.execute(q).mappings().first()
        if row is None or row["revoked"] or not row["active"]:
            return self._remember("t" + digest, None)
        return self._remember("t" + digest, self._principal(row, frozenset(row["scopes"].split())))

    def revoke_token(self, token_id: str, username: str | None = None) -> None:
        """Revoke a token (only ``username``'s own when given)."""
        where = tokens.c.token_id == token_id
        if username is not None:
            where &= tokens.c.username == username
        with self.engine.begin() as c:
            if not c.execute(tokens.update().where(where).values(revoked=True)).rowcount:
                raise ValidationError(f"unknown token {token_id!r}")
        self.forget_credentials()

    def list_tokens(self, username: str | None = None) -> list[dict[str, Any]]:
        q = sa.select(
            tokens.c.token_id, tokens.c.username, tokens.c.scopes, tokens.c.label, tokens.c.created, tokens.c.revoked
        )
        if username is not None:
            q = q.where(tokens.c.username == username)
        with self.engine.connect() as c:
            return [dict(r) for r in c.execute(q.order_by(tokens.c.created)).mappings()]

    def close(self) -> None:
        self.engine.dispose()
