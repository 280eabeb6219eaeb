"""Check 3: every recorder held its role at its block and sent its transaction."""

import bisect
from collections import defaultdict
from typing import Any

from eth_utils import keccak

from ipledger.audit._base import LEDGER_TABLES, ROLE_COLUMNS, AuditBase, _hex, _name, _where
from ipledger.audit.report import Check
from ipledger.chain.codes import AnchorKind
from ipledger.chain.compiled import load, topic0
from ipledger.errors import ChainError, IPLedgerError


class _Roles:
    """Role membership over time, rebuilt from RoleGranted/RoleRevoked logs of one contract."""

    def __init__(self) -> None:
        self.events: dict[tuple[bytes, bytes], list[tuple[int, int, bool]]] = defaultdict(list)

    def add(self, role: bytes, account: bytes, block: int, log_index: int, granted: bool) -> None:
        self.events[(role, account)].append((block, log_index, granted))

    def held(self, role: bytes, account: bytes, block: int, log_index: int) -> bool:
        """True when ``account`` held ``role`` just before the log at (block, log_index)."""
        history = self.events.get((role, account))
        if not history:
            return False
        i = bisect.bisect_left(history, (block, log_index, False))
        return i > 0 and history[i - 1][2]


class RolesCheck(AuditBase):
    # ------------------------------------------------------------------ 3. roles and senders

    def _role_history(self) -> dict[bytes, _Roles]:
        granted = topic0(load("IPLedger").events()["RoleGranted"])
        revoked = topic0(load("IPLedger").events()["RoleRevoked"])
        out = {a: _Roles() for a in self.addresses}
        for g in self.logs:
            if g.topics and g.topics[0] in (granted, revoked) and len(g.topics) == 4:
                out[g.address].add(g.topics[1], g.topics[2][12:], g.block_number, g.log_index, g.topics[0] == granted)
        return out

    def check_roles(self) -> Check:
        check = Check("roles", "Each recorder held its role at the block of its record and sent the transaction")
        history = self._role_history()
        roles = {name: keccak(text=name) for name in ("REGISTRAR_ROLE", "RECORDER_ROLE", "VALUER_ROLE", "INSURER_ROLE")}
        senders_wanted: dict[str, list[tuple[str, dict[str, Any], str]]] = defaultdict(list)
        checked = 0
        for table, (column, role_name) in ROLE_COLUMNS.items():
            contract = self.ledger_address if table in LEDGER_TABLES else self.registry_address
            for r in self.rows[table]:
                if not self._audited(r):
                    continue
                if str(r.get("contract", "")).lower() != _hex(contract):
                    check.fail(
                        f"{_name(table, r)} names contract {r.get('contract')}, not the "
                        f"{self.addresses[contract]} of record",
                        "foreign",
                        **_where(table, r),
                    )
                    continue
                name = role_name
                if name is None:
                    name = "VALUER_ROLE" if int(r["kind"]) == int(AnchorKind.VALUATION) else "INSURER_ROLE"
                account = str(r[column]).lower()
                try:
                    raw = bytes.fromhex(account[2:])
                except ValueError:
                    raw = b""
                checked += 1
                if not history[contract].held(roles[name], raw, int(r["block_number"]), int(r["log_index"])):
                    check.fail(
                        f"{_name(table, r)}: {column} {account} held no {name} on "
                        f"{self.addresses[contract]} at block {r['block_number']}",
                        "no_role",
                        account=account,
                        role=name,
                        **_where(table, r),
                    )
                senders_wanted[str(r["tx_hash"]).lower()].append((table, r, column))
        check.counts["rows"] = checked
        self._check_senders(check, senders_wanted)
        self._check_membership(check, history)
        return check

    def _senders(self, hashes: list[str]) -> dict[str, str | None]:
        out: dict[str, str | None] = {}
        rpc = getattr(self.backend, "rpc", None)
        if rpc is not None and hasattr(rpc, "batch"):
            for i in range(0, len(hashes), 500):
                chunk = hashes[i : i + 500]
                try:
                    found = rpc.batch([("eth_getTransactionByHash", [h]) for h in chunk])
                except IPLedgerError:  # one malformed hash fails the batch: ask one by one
                    out.update(self._senders_one_by_one(chunk))
                    continue
                for h, tx in zip(chunk, found, strict=True):
                    out[h] = str(tx["from"]).lower() if tx else None
            return out
        return self._senders_one_by_one(hashes)

    def _senders_one_by_one(self, hashes: list[str]) -> dict[str, str | None]:
        out: dict[str, str | None] = {}
        for h in hashes:
            try:
                out[h] = _hex(self.backend.transaction_sender(bytes.fromhex(h[2:])))
            except (ChainError, ValueError):
                out[h] = None
        return out

    def _check_senders(self, check: Check, wanted: dict[str, list[tuple[str, dict[str, Any], str]]]) -> None:
        senders = self._senders(sorted(wanted))
        check.counts["transactions"] = len(senders)
        for h, uses in wanted.items():
            sender = senders.get(h)
            for table, r, column in uses:
                if sender is None:
                    check.fail(f"{_name(table, r)}: transaction {h} is not on chain", "no_tx", **_where(table, r))
                elif str(r[column]).lower() != sender:
                    check.fail(
                        f"{_name(table, r)}: {column} {r[column]} is not the sender {sender} of transaction {h}",
                        "sender",
                        account=str(r[column]),
                        **_where(table, r),
                    )

    def _check_membership(self, check: Check, history: dict[bytes, _Roles]) -> None:
        """The role logs rebuild the contracts' role state: compare at the audited block."""
        if self.asset_id or self.end < self.start_block:
            return
        pairs = 0
        for address, roles in history.items():
            for (role, account), events in roles.events.items():
                if events[0][0] > self.end:
                    continue
                pairs += 1
                rebuilt = roles.held(role, account, self.end + 1, 0)
                try:
                    out = self.backend.call(
                        address, self.client.ledger_abi.encode_call("hasRole", role, account), block=self.end
                    )
                    actual = bool(int.from_bytes(out[-32:], "big")) if out else None
                except ChainError:
                    actual = None
                if actual is not None and actual != rebuilt:
                    check.fail(
                        f"{self.addresses[address]}: the role logs say {_hex(account)} "
                        f"{'holds' if rebuilt else 'does not hold'} role {_hex(role)} at block {self.end}, "
                        f"the contract says the opposite",
                        "membership",
                        contract=_hex(address),
                        account=_hex(account),
                        block=self.end,
                    )
        check.counts["role_memberships"] = pairs
