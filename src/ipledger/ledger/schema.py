"""SQLAlchemy Core schema of the ledger store (SQLite by default, PostgreSQL by URL).

Every row keeps where it came from on chain: block number, log index and transaction hash.
Hashes and addresses are stored as their bytes (BLOB / BYTEA: 32 and 20 bytes where hex text
took 66 and 42) and read back as lower-case 0x-hex text, so every reader still sees hex; the
``v_<table>`` views show them as hex to anyone reading the database with its own client
(decision record 0110). Dates are unix seconds; amounts are exact integers of minor units in a
column that holds 128-bit values losslessly.
"""

from __future__ import annotations

from decimal import Decimal
from typing import Any

import sqlalchemy as sa
from sqlalchemy.engine import Dialect

SCHEMA_VERSION = "4"  # 3: hashes and addresses as bytes; 4: consents keyed by (tx_record_id, level)


class Amount(sa.types.TypeDecorator[int]):
    """An unsigned integer up to 2**128: NUMERIC(39,0) on PostgreSQL, decimal text on SQLite
    (whose INTEGER stops at 2**63 and whose NUMERIC falls back to lossy floats)."""

    impl = sa.String(40)
    cache_ok = True

    def load_dialect_impl(self, dialect: Dialect) -> Any:
        if dialect.name == "postgresql":
            from sqlalchemy.dialects import postgresql  # loaded with a PostgreSQL store only

            return dialect.type_descriptor(postgresql.NUMERIC(39, 0))
        return dialect.type_descriptor(sa.String(40))

    def process_bind_param(self, value: Any, dialect: Dialect) -> Any:
        if value is None:
            return None
        return Decimal(int(value)) if dialect.name == "postgresql" else str(int(value))

    def process_result_value(self, value: Any, dialect: Dialect) -> int | None:
        return None if value is None else int(value)

    def fast_bind(self, dialect: Dialect) -> tuple[type, Any]:
        """(class, builtin): a value of exactly this class binds as ``builtin(value)``, what
        :meth:`process_bind_param` gives it, without the processor's Python frames (the store's
        writer uses it; an ``int`` amount is what the mapper emits)."""
        return (int, Decimal) if dialect.name == "postgresql" else (int, str)


class Hex(sa.types.TypeDecorator[str]):
    """A 0x-hex hash or address, stored as its bytes and read back as lower-case 0x-hex text;
    the all-zero value is stored as no bytes at all.

    A value that is not 0x-hex (never written by the indexer; a hostile store may hold one) is
    kept as its UTF-8 bytes, or read back as the text it is, so the audit compares it with the
    chain and reports it instead of failing on it.
    """

    impl = sa.LargeBinary
    cache_ok = True

    def __init__(self, size: int) -> None:
        super().__init__(size)
        self.size = size
        self._zero = bytes(size)

    def process_bind_param(self, value: Any, dialect: Dialect) -> bytes | None:
        if value is None or isinstance(value, bytes):
            return value
        text = str(value)
        if text[:2] in ("0x", "0X"):
            try:
                raw = bytes.fromhex(text[2:])
            except ValueError:
                return text.encode()
            # The zero hash (no document, no reference) is most rows' value: stored empty.
            return b"" if raw == self._zero else raw
        return text.encode()

    def process_result_value(self, value: Any, dialect: Dialect) -> str | None:
        if value is None:
            return None
        if isinstance(value, bytes | bytearray | memoryview):
            return "0x" + (bytes(value) or self._zero).hex()
        return str(value)

    def fast_bind(self, dialect: Dialect) -> tuple[type, Any]:
        """(class, None): a value of exactly this class binds as it is. :meth:`process_bind_param`
        hands bytes on unchanged, and the mapper emits hashes and addresses as their stored bytes
        (the store's writer skips the processor for them)."""
        return (bytes, None)


HASH = 32
ADDRESS = 20

metadata = sa.MetaData()


def _provenance() -> list[sa.Column[Any]]:
    return [
        sa.Column("block_number", sa.BigInteger, nullable=False, index=True),
        sa.Column("log_index", sa.Integer, nullable=False),
        sa.Column("tx_hash", Hex(HASH), nullable=False),
        sa.Column("contract", Hex(ADDRESS), nullable=False),
    ]


meta = sa.Table("meta", metadata, sa.Column("key", sa.String(64), primary_key=True), sa.Column("value", sa.Text))

checkpoint = sa.Table(
    "checkpoint",
    metadata,
    sa.Column("id", sa.Integer, primary_key=True),
    sa.Column("block_number", sa.BigInteger, nullable=False),
    sa.Column("block_hash", Hex(HASH), nullable=False),
)

blocks = sa.Table(
    "blocks",
    metadata,
    sa.Column("number", sa.BigInteger, primary_key=True),
    sa.Column("hash", Hex(HASH), nullable=False),
    sa.Column("parent_hash", Hex(HASH), nullable=False),
    sa.Column("timestamp", sa.BigInteger, nullable=False),
)

assets = sa.Table(
    "assets",
    metadata,
    sa.Column("asset_id", Hex(HASH), primary_key=True),
    sa.Column("record_id", sa.BigInteger, nullable=False),
    sa.Column("registry_number", sa.Text, nullable=False),
    sa.Column("jurisdiction", sa.String(2), nullable=False),
    sa.Column("kind", sa.SmallInteger, nullable=False),
    sa.Column("class_code", sa.String(16), nullable=False),
    sa.Column("filing_date", sa.BigInteger, nullable=False),
    sa.Column("grant_date", sa.BigInteger, nullable=False),
    sa.Column("expiry_date", sa.BigInteger, nullable=False),
    sa.Column("initial_status", sa.SmallInteger, nullable=False),
    sa.Column("initial_owner", Hex(ADDRESS), nullable=False),
    sa.Column("metadata_hash", Hex(HASH), nullable=False),
    sa.Column("registrar", Hex(ADDRESS), nullable=False),
    *_provenance(),
)

transactions = sa.Table(
    "transactions",
    metadata,
    sa.Column("record_id", sa.BigInteger, primary_key=True),
    sa.Column("asset_id", Hex(HASH), nullable=False, index=True),
    sa.Column("kind", sa.SmallInteger, nullable=False),
    sa.Column("seller", Hex(ADDRESS), nullable=False),
    sa.Column("buyer", Hex(ADDRESS), nullable=False),
    sa.Column("date", sa.BigInteger, nullable=False),
    sa.Column("currency", sa.String(3), nullable=False),
    sa.Column("amount", Amount, nullable=False),
    sa.Column("royalty_bps", sa.Integer, nullable=False),
    sa.Column("exclusivity", sa.SmallInteger, nullable=False),
    sa.Column("territory", sa.String(2), nullable=False),
    sa.Column("term_end", sa.BigInteger, nullable=False),
    sa.Column("ref", sa.BigInteger, nullable=False),
    sa.Column("doc_hash", Hex(HASH), nullable=False),
    sa.Column("recorder", Hex(ADDRESS), nullable=False),
    # Parties who signed the terms (EIP-712): 0 recorder only, 1 one party, 2 both.
    sa.Column("consent", sa.SmallInteger, nullable=False, server_default="0"),
    *_provenance(),
)

# One row per ConsentGiven log: a party's signature over a transaction record's terms, with
# what the audit needs to re-verify it (nonce, deadline and the signature bytes). A consent is no
# record of its own: it is named by its record's id and its level (1 or 2) within that record.
consents = sa.Table(
    "consents",
    metadata,
    sa.Column("tx_record_id", sa.BigInteger, primary_key=True),
    sa.Column("level", sa.SmallInteger, primary_key=True),
    sa.Column("asset_id", Hex(HASH), nullable=False, index=True),
    sa.Column("signer", Hex(ADDRESS), nullable=False),
    sa.Column("nonce", sa.Text, nullable=False),  # uint256 as decimal text
    sa.Column("deadline", sa.Text, nullable=False),  # uint256 as decimal text (unix seconds)
    sa.Column("signature", sa.Text, nullable=False),  # 0x hex
    *_provenance(),
)

status_changes = sa.Table(
    "status_changes",
    metadata,
    sa.Column("record_id", sa.BigInteger, primary_key=True),
    sa.Column("asset_id", Hex(HASH), nullable=False, index=True),
    sa.Column("status", sa.SmallInteger, nullable=False),
    sa.Column("previous_status", sa.SmallInteger, nullable=False),
    sa.Column("date", sa.BigInteger, nullable=False),
    sa.Column("doc_hash", Hex(HASH), nullable=False),
    sa.Column("registrar", Hex(ADDRESS), nullable=False),
    *_provenance(),
)

voids = sa.Table(
    "voids",
    metadata,
    sa.Column("record_id", sa.BigInteger, primary_key=True),
    sa.Column("asset_id", Hex(HASH), nullable=False),
    sa.Column("kind", sa.SmallInteger, nullable=False),
    sa.Column("target", sa.BigInteger, nullable=False, index=True),
    sa.Column("restored_owner", Hex(ADDRESS), nullable=False),
    sa.Column("doc_hash", Hex(HASH), nullable=False),
    sa.Column("recorder", Hex(ADDRESS), nullable=False),
    *_provenance(),
)

anchors = sa.Table(
    "anchors",
    metadata,
    sa.Column("record_id", sa.BigInteger, primary_key=True),
    sa.Column("asset_id", Hex(HASH), nullable=False, index=True),
    sa.Column("kind", sa.SmallInteger, nullable=False),
    sa.Column("report_hash", Hex(HASH), nullable=False),
    sa.Column("state_block", sa.BigInteger, nullable=False),
    sa.Column("as_of", sa.BigInteger, nullable=False),
    sa.Column("currency", sa.String(3), nullable=False),
    sa.Column("value", Amount, nullable=False),
    sa.Column("low", Amount, nullable=False),
    sa.Column("high", Amount, nullable=False),
    sa.Column("by", Hex(ADDRESS), nullable=False),
    *_provenance(),
)

claims = sa.Table(
    "claims",
    metadata,
    sa.Column("record_id", sa.BigInteger, primary_key=True),
    sa.Column("asset_id", Hex(HASH), nullable=False, index=True),
    sa.Column("kind", sa.SmallInteger, nullable=False),
    sa.Column("policy_hash", Hex(HASH), nullable=False),
    sa.Column("claim_ref", Hex(HASH), nullable=False),
    sa.Column("head", sa.SmallInteger, nullable=False),
    sa.Column("date", sa.BigInteger, nullable=False),
    sa.Column("currency", sa.String(3), nullable=False),
    sa.Column("amount", Amount, nullable=False),
    sa.Column("doc_hash", Hex(HASH), nullable=False),
    sa.Column("insurer", Hex(ADDRESS), nullable=False),
    *_provenance(),
)

role_events = sa.Table(
    "role_events",
    metadata,
    sa.Column("block_number", sa.BigInteger, primary_key=True),
    sa.Column("log_index", sa.Integer, primary_key=True),
    sa.Column("contract", Hex(ADDRESS), nullable=False),
    sa.Column("role", Hex(HASH), nullable=False),
    sa.Column("account", Hex(ADDRESS), nullable=False),
    sa.Column("granted", sa.Boolean, nullable=False),
    sa.Column("sender", Hex(ADDRESS), nullable=False),
    sa.Column("tx_hash", Hex(HASH), nullable=False),
)

# The on-chain organisation directory: one row per OrganisationSet event (the latest row of an
# account wins; kind "removed" takes the account out). Kind is registry, exchange, valuer,
# insurer, auditor or holder.
organisations = sa.Table(
    "organisations",
    metadata,
    sa.Column("block_number", sa.BigInteger, primary_key=True),
    sa.Column("log_index", sa.Integer, primary_key=True),
    sa.Column("account", Hex(ADDRESS), nullable=False, index=True),
    sa.Column("org_id", sa.Text, nullable=False),
    sa.Column("name", sa.Text, nullable=False),
    sa.Column("kind", sa.String(16), nullable=False),
)

# The admin's changes to the ISO 4217 allow-list (CurrenciesSet): codes comma-separated.
currency_events = sa.Table(
    "currency_events",
    metadata,
    sa.Column("block_number", sa.BigInteger, primary_key=True),
    sa.Column("log_index", sa.Integer, primary_key=True),
    sa.Column("codes", sa.Text, nullable=False),
    sa.Column("allowed", sa.Boolean, nullable=False),
    sa.Column("tx_hash", Hex(HASH), nullable=False),
    sa.Column("contract", Hex(ADDRESS), nullable=False),
)

# Tables whose rows come from logs and are rolled back on a reorg.
LOG_TABLES = (
    assets,
    transactions,
    status_changes,
    voids,
    anchors,
    claims,
    role_events,
    organisations,
    consents,
    currency_events,
)


def hex_views() -> list[tuple[str, str, list[tuple[str, bool]]]]:
    """(view name, table name, [(column, is hex)]) per table with hex columns."""
    out = []
    for table in metadata.sorted_tables:
        cols = [(c.name, isinstance(c.type, Hex)) for c in table.columns]
        if any(is_hex for _, is_hex in cols):
            out.append((f"v_{table.name}", table.name, cols))
    return out


def view_ddl(dialect: str) -> list[str]:
    """CREATE VIEW statements in ``dialect`` ("sqlite" or "postgresql"): each table with its
    hashes and addresses shown as 0x-hex text, for people reading the database directly."""
    statements = []
    for view, table, cols in hex_views():
        parts = []
        for name, is_hex in cols:
            q = f'"{name}"'
            if is_hex and dialect == "postgresql":
                parts.append(f"'0x' || encode({q}, 'hex') AS {q}")
            elif is_hex:
                parts.append(f"'0x' || lower(hex({q})) AS {q}")  # an empty (zero) value shows as 0x
            else:
                parts.append(q)
        create = "CREATE OR REPLACE VIEW" if dialect == "postgresql" else "CREATE VIEW IF NOT EXISTS"
        statements.append(f'{create} "{view}" AS SELECT {", ".join(parts)} FROM "{table}"')
    return statements


def drop_view_ddl() -> list[str]:
    return [f'DROP VIEW IF EXISTS "{view}"' for view, _, _ in hex_views()]
