"""Decoded logs -> store rows (one concern: the shape of a row).

The hot events (TxRecorded, AssetRegistered: nearly every log of a ledger) go from log bytes to a
row tuple in one generated step (:func:`ipledger.ledger.decode.fused_row`); the rest are decoded
into a dict and shaped below.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Callable, Iterable, Mapping, Sequence
from typing import Any

from ipledger.chain.backend import RawLog
from ipledger.chain.codes import OrgKind
from ipledger.chain.compiled import load, topic0
from ipledger.ledger import schema
from ipledger.ledger.decode import EventDecoder, decoders, fused_row

Row = Sequence[Any] | Mapping[str, Any]

# Fused events: event name -> (table, column -> (event input or @provenance, conversion)). A
# column of type ``schema.Hex`` (hashes and addresses) is always emitted in the store's form, its
# bytes (the all-zero value as no bytes), whatever its entry says: the store binds bytes as they
# are, and :meth:`Mapper.rows` renders them as 0x-hex for readers.
FUSED: dict[str, tuple[str, dict[str, tuple[str, str]]]] = {
    "TxRecorded": (
        "transactions",
        {
            "record_id": ("recordId", ""),
            "asset_id": ("assetId", ""),
            "kind": ("kind", ""),
            "seller": ("from", ""),
            "buyer": ("to", ""),
            "date": ("date", ""),
            "currency": ("currency", "text"),
            "amount": ("amount", ""),
            "royalty_bps": ("royaltyBps", ""),
            "exclusivity": ("exclusivity", ""),
            "territory": ("territory", "text"),
            "term_end": ("termEnd", ""),
            "ref": ("ref", ""),
            "doc_hash": ("docHash", ""),
            "recorder": ("recorder", ""),
            "consent": ("=0", ""),  # raised by the record's ConsentGiven logs (see _with_consent)
        },
    ),
    "AssetRegistered": (
        "assets",
        {
            "asset_id": ("assetId", ""),
            "record_id": ("recordId", ""),
            "registry_number": ("registryNumber", ""),
            "jurisdiction": ("jurisdiction", "text"),
            "kind": ("kind", ""),
            "class_code": ("classCode", "text"),
            "filing_date": ("filingDate", ""),
            "grant_date": ("grantDate", ""),
            "expiry_date": ("expiryDate", ""),
            "initial_status": ("status", ""),
            "initial_owner": ("owner", ""),
            "metadata_hash": ("metadataHash", ""),
            "registrar": ("registrar", ""),
        },
    ),
}
_PROVENANCE = {
    "block_number": ("@block_number", ""),
    "log_index": ("@log_index", ""),
    "tx_hash": ("@tx_hash", ""),
    "contract": ("@contract", ""),
}


def _text(raw: bytes) -> str:
    return raw.rstrip(b"\0").decode("ascii", errors="replace")


def _hex(raw: bytes) -> str:
    return "0x" + raw.hex()


def _hex_reader(column_type: schema.Hex) -> Callable[[Any], Any]:
    """A stored-form hash or address (bytes, the zero value empty) back to 0x-hex text; text
    (rows of the non-fused events) as it is."""
    zero = bytes(column_type.size)

    def read(value: Any) -> Any:
        return "0x" + (value or zero).hex() if isinstance(value, bytes) else value

    return read


class Mapper:
    """Turns logs of the configured contracts into rows by table name.

    Logs from any other address are ignored even when their event signature matches: only the
    configured contracts count.
    """

    def __init__(self, ledger: bytes, registry: bytes) -> None:
        self.addresses = {ledger: "IPLedger", registry: "ValuationRegistry"}
        self._decoders: dict[bytes, dict[bytes, EventDecoder]] = {
            addr: decoders(load(name)) for addr, name in self.addresses.items()
        }
        # (address, topic0) -> (table, row function) for the fused events.
        self._fused: dict[tuple[bytes, bytes], tuple[str, Callable[[RawLog], tuple[Any, ...]]]] = {}
        for addr, name in self.addresses.items():
            for entry in load(name).abi:
                if entry["type"] == "event" and entry["name"] in FUSED:
                    table, spec = FUSED[entry["name"]]
                    sources = {**spec, **_PROVENANCE}
                    columns = [
                        (sources[c.name][0], "bytes") if isinstance(c.type, schema.Hex) else sources[c.name]
                        for c in schema.metadata.tables[table].columns
                    ]
                    self._fused[(addr, topic0(entry))] = (table, fused_row(entry, columns))

    def topics0(self) -> list[bytes]:
        return sorted({t for d in self._decoders.values() for t in d})

    def rows(self, logs: Iterable[RawLog]) -> dict[str, list[dict[str, Any]]]:
        """Rows by table name, each a dict by column name, hashes and addresses as 0x-hex text
        (as the store reads them back)."""
        out: dict[str, list[dict[str, Any]]] = {}
        for name, rows in self.store_rows(logs).items():
            table = schema.metadata.tables[name]
            columns = [c.name for c in table.columns]
            readers = [_hex_reader(c.type) if isinstance(c.type, schema.Hex) else None for c in table.columns]
            out[name] = [
                r
                if isinstance(r, dict)
                else {c: v if read is None else read(v) for c, v, read in zip(columns, r, readers, strict=True)}
                for r in rows
            ]
        return out

    def store_rows(self, logs: Iterable[RawLog]) -> dict[str, list[Row]]:
        """Rows by table name as :meth:`Store.write` takes them: tuples in column order for the
        fused events (hashes and addresses as their stored bytes, see ``FUSED``), dicts by column
        name for the others."""
        out: dict[str, list[Row]] = defaultdict(list)
        # The hot events first, in one tight loop (a bound append and the generated row function
        # per event kind, no dict of lists per log); the others after, each into its own table,
        # so every table keeps the logs' order.
        lists: dict[str, list[Row]] = {}
        calls = {key: (lists.setdefault(table, []).append, row) for key, (table, row) in self._fused.items()}
        get = calls.get
        cold: list[RawLog] = []
        for log in logs:
            topics = log.topics
            hot = get((log.address, topics[0])) if topics else None
            if hot is None:
                cold.append(log)
            else:
                hot[0](hot[1](log))
        for table, table_rows in lists.items():
            if table_rows:
                out[table] = table_rows
        for log in cold:
            if not log.topics:
                continue
            table_decoders = self._decoders.get(log.address)
            if table_decoders is None:
                continue
            dec = table_decoders.get(log.topics[0])
            if dec is None:
                continue
            ev = dec.decode(log.topics, log.data)
            prov = {
                "block_number": log.block_number,
                "log_index": log.log_index,
                "tx_hash": _hex(log.tx_hash),
                "contract": _hex(log.address),
            }
            name = dec.name
            if name == "ConsentGiven":
                out["consents"].append(
                    {
                        "tx_record_id": ev["txRecordId"],
                        "level": 0,  # set by _attach_consents: the record's 1st or 2nd signature
                        "asset_id": _ZERO32,  # the record's, set by _attach_consents
                        "signer": ev["signer"],
                        "nonce": str(ev["nonce"]),
                        "deadline": str(ev["deadline"]),
                        "signature": _hex(ev["signature"]),
                        **prov,
                    }
                )
            elif name == "StatusChanged":
                out["status_changes"].append(
                    {
                        "record_id": ev["recordId"],
                        "asset_id": _hex(ev["assetId"]),
                        "status": ev["status"],
                        "previous_status": ev["previousStatus"],
                        "date": ev["date"],
                        "doc_hash": _hex(ev["docHash"]),
                        "registrar": ev["registrar"],
                        **prov,
                    }
                )
            elif name == "RecordVoided":
                out["voids"].append(
                    {
                        "record_id": ev["recordId"],
                        "asset_id": _hex(ev["assetId"]),
                        "kind": ev["kind"],
                        "target": ev["target"],
                        "restored_owner": ev["restoredOwner"],
                        "doc_hash": _hex(ev["docHash"]),
                        "recorder": ev["recorder"],
                        **prov,
                    }
                )
            elif name == "Anchored":
                out["anchors"].append(
                    {
                        "record_id": ev["recordId"],
                        "asset_id": _hex(ev["assetId"]),
                        "kind": ev["kind"],
                        "report_hash": _hex(ev["reportHash"]),
                        "state_block": ev["stateBlock"],
                        "as_of": ev["asOf"],
                        "currency": _text(ev["currency"]),
                        "value": ev["value"],
                        "low": ev["low"],
                        "high": ev["high"],
                        "by": ev["by"],
                        **prov,
                    }
                )
            elif name == "ClaimRecorded":
                out["claims"].append(
                    {
                        "record_id": ev["recordId"],
                        "asset_id": _hex(ev["assetId"]),
                        "kind": ev["kind"],
                        "policy_hash": _hex(ev["policyHash"]),
                        "claim_ref": _hex(ev["claimRef"]),
                        "head": ev["head"],
                        "date": ev["date"],
                        "currency": _text(ev["currency"]),
                        "amount": ev["amount"],
                        "doc_hash": _hex(ev["docHash"]),
                        "insurer": ev["insurer"],
                        **prov,
                    }
                )
            elif name == "OrganisationSet":
                kind = int(ev["kind"])
                out["organisations"].append(
                    {
                        "block_number": log.block_number,
                        "log_index": log.log_index,
                        "account": ev["account"],
                        "org_id": ev["orgId"],
                        "name": ev["name"],
                        "kind": OrgKind(kind).name.lower() if kind else "removed",
                    }
                )
            elif name == "CurrenciesSet":
                out["currency_events"].append(
                    {
                        "block_number": log.block_number,
                        "log_index": log.log_index,
                        "codes": ",".join(_text(c) for c in ev["currencies"]),
                        "allowed": bool(ev["allowed"]),
                        "tx_hash": prov["tx_hash"],
                        "contract": prov["contract"],
                    }
                )
            elif name in ("RoleGranted", "RoleRevoked"):
                out["role_events"].append(
                    {
                        "block_number": log.block_number,
                        "log_index": log.log_index,
                        "contract": prov["contract"],
                        "role": _hex(ev["role"]),
                        "account": ev["account"],
                        "granted": name == "RoleGranted",
                        "sender": ev["sender"],
                        "tx_hash": prov["tx_hash"],
                    }
                )
        if out.get("consents"):
            _attach_consents(out["consents"], out.get("transactions", []))
            if out.get("transactions"):
                out["transactions"] = _with_consent(out["transactions"], out["consents"])
        return out


_ZERO32 = "0x" + "00" * 32


def _as_hex(value: Any) -> str:
    """A hash as 0x-hex text, from its stored bytes (empty: the zero hash) or from text."""
    if isinstance(value, bytes | bytearray | memoryview):
        return "0x" + (bytes(value) or bytes(32)).hex()
    return str(value)


def _attach_consents(consents: list[Row], transactions: list[Row]) -> None:
    """Give each consent row its record's asset and its level: a ConsentGiven log carries neither
    (decision 0091); it follows its record's TxRecorded in the same chain transaction, so both
    are in one batch, and a record's consents come in order (the seller's first)."""
    columns = [c.name for c in schema.metadata.tables["transactions"].columns]
    at_id, at_asset = columns.index("record_id"), columns.index("asset_id")
    signed = {int(c["tx_record_id"]) for c in consents if isinstance(c, dict)}
    assets: dict[int, str] = {}
    for row in transactions:  # only the signed records' asset ids are needed
        if isinstance(row, Mapping):
            if int(row["record_id"]) in signed:
                assets[int(row["record_id"])] = _as_hex(row["asset_id"])
        elif int(row[at_id]) in signed:  # a fused row: the asset id in its stored form (bytes, zero empty)
            assets[int(row[at_id])] = _as_hex(row[at_asset])
    seen: dict[int, int] = {}
    for c in consents:
        assert isinstance(c, dict)
        key = int(c["tx_record_id"])
        seen[key] = seen.get(key, 0) + 1
        c["level"] = seen[key]
        c["asset_id"] = assets.get(key, _ZERO32)


def _with_consent(transactions: list[Row], consents: list[Row]) -> list[Row]:
    """Transaction rows with the consent level their ConsentGiven logs give (the highest).

    A consent log follows its record in the same chain transaction, so both are in one batch.
    """
    levels: dict[int, int] = {}
    for c in consents:
        assert isinstance(c, dict)
        key = int(c["tx_record_id"])
        levels[key] = max(levels.get(key, 0), int(c["level"]))
    columns = [c.name for c in schema.metadata.tables["transactions"].columns]
    at_id, at_consent = columns.index("record_id"), columns.index("consent")
    out: list[Row] = []
    for row in transactions:
        if isinstance(row, dict):
            level = levels.get(int(row["record_id"]))
            out.append(row if level is None else {**row, "consent": max(int(row["consent"]), level)})
        else:
            values = tuple(row)
            level = levels.get(int(values[at_id]))
            if level is not None:
                values = (*values[:at_consent], max(int(values[at_consent]), level), *values[at_consent + 1 :])
            out.append(values)
    return out
