"""Decoded logs -> store rows (one concern: the shape of a row)."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable
from typing import Any

from ipledger.chain.backend import RawLog
from ipledger.chain.codes import OrgKind
from ipledger.chain.compiled import load
from ipledger.ledger.decode import EventDecoder, decoders


def _text(raw: bytes) -> str:
    return raw.rstrip(b"\0").decode("ascii", errors="replace")


def _hex(raw: bytes) -> str:
    return "0x" + raw.hex()


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

    def topics0(self) -> list[bytes]:
        return sorted({t for d in self._decoders.values() for t in d})

    def rows(self, logs: Iterable[RawLog]) -> dict[str, list[dict[str, Any]]]:
        out: dict[str, list[dict[str, Any]]] = defaultdict(list)
        pending: dict[int, dict[str, Any]] = {}
        for log in logs:
            table_decoders = self._decoders.get(log.address)
            if table_decoders is None or not log.topics:
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
            if name == "TxRecorded":
                out["transactions"].append(
                    {
                        "record_id": ev["recordId"],
                        "asset_id": _hex(ev["assetId"]),
                        "kind": ev["kind"],
                        "seller": ev["from"],
                        "buyer": ev["to"],
                        "date": ev["date"],
                        "currency": _text(ev["currency"]),
                        "amount": ev["amount"],
                        "royalty_bps": ev["royaltyBps"],
                        "exclusivity": ev["exclusivity"],
                        "territory": _text(ev["territory"]),
                        "term_end": ev["termEnd"],
                        "ref": ev["ref"],
                        "doc_hash": _hex(ev["docHash"]),
                        "recorder": ev["recorder"],
                        "consent": 0,
                        **prov,
                    }
                )
                pending[ev["recordId"]] = out["transactions"][-1]
            elif name == "ConsentGiven":
                out["consents"].append(
                    {
                        "record_id": ev["recordId"],
                        "asset_id": _hex(ev["assetId"]),
                        "signer": ev["signer"],
                        "tx_record_id": ev["txRecordId"],
                        "level": ev["level"],
                        "nonce": str(ev["nonce"]),
                        "deadline": str(ev["deadline"]),
                        "signature": _hex(ev["signature"]),
                        **prov,
                    }
                )
                # A consent follows its record in the same chain transaction, so in this batch.
                tx_row = pending.get(ev["txRecordId"])
                if tx_row is not None:
                    tx_row["consent"] = max(int(tx_row["consent"]), int(ev["level"]))
            elif name == "AssetRegistered":
                out["assets"].append(
                    {
                        "asset_id": _hex(ev["assetId"]),
                        "record_id": ev["recordId"],
                        "registry_number": ev["registryNumber"],
                        "jurisdiction": _text(ev["jurisdiction"]),
                        "kind": ev["kind"],
                        "class_code": _text(ev["classCode"]),
                        "filing_date": ev["filingDate"],
                        "grant_date": ev["grantDate"],
                        "expiry_date": ev["expiryDate"],
                        "initial_status": ev["status"],
                        "initial_owner": ev["owner"],
                        "metadata_hash": _hex(ev["metadataHash"]),
                        "registrar": ev["registrar"],
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
        return out
