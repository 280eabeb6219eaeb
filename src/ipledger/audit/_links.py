"""Check 4: voids and amendments point to earlier records; ownership has no gap."""

from collections import defaultdict
from collections.abc import Iterable
from typing import Any

from ipledger.audit._base import OWNER_CALLS_MAX, TRANSFERS, AuditBase, _hex, _name, _where
from ipledger.audit.report import Check
from ipledger.chain.codes import AnchorKind, Status, TxKind
from ipledger.errors import ChainError


class LinksCheck(AuditBase):
    # ------------------------------------------------------------------ 4. voids, amendments, ownership

    def check_links(self) -> Check:
        check = Check("links", "Voids and amendments point to earlier records of the same asset; ownership has no gap")
        tx = {int(r["record_id"]): r for r in self.rows["transactions"] if self._audited(r)}
        voids = [r for r in self.rows["voids"] if self._audited(r)]
        assets = {str(r["asset_id"]): r for r in self.rows["assets"] if self._audited(r)}
        if self.asset_id:  # links may point outside one asset's rows: read the targets too
            tx_all = {int(r["record_id"]): r for r in self.store.read("transactions") if self._audited(r)}
        else:
            tx_all = tx
        edges: dict[tuple[str, int], tuple[str, int]] = {}
        superseded: dict[int, str] = {}
        released: dict[int, int] = {}

        def point(table: str, r: dict[str, Any], target: int, what: str, kinds: Iterable[int]) -> None:
            rid = int(r["record_id"])
            t = tx_all.get(target)
            edges[(table, rid)] = ("transactions", target)
            if t is None:
                check.fail(
                    f"{_name(table, r)} {what} record #{target}, which is no transaction in the ledger",
                    "dangling",
                    target=target,
                    **_where(table, r),
                )
                return
            if t["asset_id"] != r["asset_id"]:
                check.fail(
                    f"{_name(table, r)} {what} record #{target} of another asset ({t['asset_id']})",
                    "other_asset",
                    target=target,
                    **_where(table, r),
                )
            if int(t["kind"]) not in set(kinds):
                check.fail(
                    f"{_name(table, r)} {what} record #{target} of kind {int(t['kind'])}",
                    "kind",
                    target=target,
                    **_where(table, r),
                )
            if target >= rid:
                check.fail(
                    f"{_name(table, r)} {what} a later record #{target}", "forward", target=target, **_where(table, r)
                )

        for rid, r in tx.items():
            ref = int(r["ref"])
            if not ref:
                continue
            if int(r["kind"]) == int(TxKind.RELEASE):
                point("transactions", r, ref, "releases", [int(TxKind.PLEDGE)])
                if ref in released:
                    check.fail(
                        f"{_name('transactions', r)} releases pledge #{ref}, already released by #{released[ref]}",
                        "twice",
                        target=ref,
                        **_where("transactions", r),
                    )
                released.setdefault(ref, rid)
                self._same_parties(check, r, tx_all.get(ref), "releases pledge")
            else:
                point("transactions", r, ref, "amends", [int(r["kind"])])
                if int(r["kind"]) in TRANSFERS:
                    self._same_parties(check, r, tx_all.get(ref), "amends assignment")
                if ref in superseded:
                    check.fail(
                        f"{_name('transactions', r)} amends record #{ref}, already {superseded[ref]}",
                        "twice",
                        target=ref,
                        **_where("transactions", r),
                    )
                superseded.setdefault(ref, f"amended by #{rid}")
        for v in voids:
            target = int(v["target"])
            point("voids", v, target, "voids", [int(v["kind"])])
            if target in superseded:
                check.fail(
                    f"{_name('voids', v)} voids record #{target}, already {superseded[target]}",
                    "twice",
                    target=target,
                    **_where("voids", v),
                )
            superseded.setdefault(target, f"voided by #{v['record_id']}")
        self._cycles(check, edges)
        anchored = {
            (str(a["asset_id"]), str(a["report_hash"]).lower()): int(a["record_id"])
            for a in self.rows["anchors"]
            if self._audited(a) and int(a["kind"]) != int(AnchorKind.VALUATION)
        }
        for c in self.rows["claims"]:
            if self._audited(c) and (str(c["asset_id"]), str(c["policy_hash"]).lower()) not in anchored:
                check.warn(
                    f"{_name('claims', c)} claims under policy {c['policy_hash']}, which no quote or policy "
                    "anchor of the asset carries",
                    "unanchored_policy",
                    **_where("claims", c),
                )
        self._ownership(check, tx, voids, assets, tx_all)
        check.counts.update(transactions=len(tx), voids=len(voids), assets=len(assets), references=len(edges))
        return check

    def _cycles(self, check: Check, edges: dict[tuple[str, int], tuple[str, int]]) -> None:
        state: dict[tuple[str, int], int] = {}
        for start in edges:
            path: list[tuple[str, int]] = []
            node: tuple[str, int] | None = start
            while node is not None and state.get(node, 0) == 0:
                state[node] = 1
                path.append(node)
                node = edges.get(node)
            if node is not None and state.get(node) == 1:
                cycle = path[path.index(node) :]
                names = " -> ".join(f"{t} #{i}" for t, i in cycle)
                check.fail(
                    f"records point back to themselves: {names} -> {node[0]} #{node[1]}",
                    "cycle",
                    table=node[0],
                    record_id=node[1],
                )
            for n in path:
                state[n] = 2

    def _ownership(
        self,
        check: Check,
        tx: dict[int, dict[str, Any]],
        voids: list[dict[str, Any]],
        assets: dict[str, dict[str, Any]],
        tx_all: dict[int, dict[str, Any]],
    ) -> None:
        events: dict[str, list[tuple[int, str, dict[str, Any]]]] = defaultdict(list)
        for rid, r in tx.items():
            events[str(r["asset_id"])].append((rid, "transactions", r))
        for v in voids:
            events[str(v["asset_id"])].append((int(v["record_id"]), "voids", v))
        statuses: dict[str, list[tuple[int, int]]] = defaultdict(list)
        for s in self.rows["status_changes"]:
            if self._audited(s):
                statuses[str(s["asset_id"])].append((int(s["record_id"]), int(s["status"])))
        owners: dict[str, str] = {}
        for aid in sorted(set(events) | set(assets)):
            a = assets.get(aid)
            if a is None:
                first = min(events[aid], key=lambda e: e[0])
                check.fail(
                    f"{_name(first[1], first[2])} is for asset {aid}, which was never registered",
                    "unregistered",
                    **_where(first[1], first[2]),
                )
                continue
            owner = str(a["initial_owner"]).lower()
            for rid, table, r in sorted(events[aid], key=lambda e: e[0]):
                if rid < int(a["record_id"]):
                    check.fail(
                        f"{_name(table, r)} precedes the registration of its asset (record #{a['record_id']})",
                        "order",
                        **_where(table, r),
                    )
                if table == "transactions":
                    if int(r["kind"]) in TRANSFERS and int(r["ref"]) == 0:
                        seller = str(r["seller"]).lower()
                        if seller != owner:
                            check.fail(
                                f"{_name(table, r)}: seller {seller} was not the owner {owner} at that time",
                                "gap",
                                **_where(table, r),
                            )
                        owner = str(r["buyer"]).lower()
                elif int(r["kind"]) in TRANSFERS:
                    restored = str(r["restored_owner"]).lower()
                    target = tx_all.get(int(r["target"]))
                    # The contract refuses this since v2: seeing it means the logs are not the chain's.
                    if target is not None and str(target["seller"]).lower() != restored:
                        check.fail(
                            f"{_name(table, r)} hands asset back to {restored}, not to the voided sale's "
                            f"seller {target['seller']}",
                            "restored",
                            **_where(table, r),
                        )
                    owner = restored
            owners[aid] = owner
        check.counts["owners_derived"] = len(owners)
        self._compare_states(check, owners, assets, statuses)

    @staticmethod
    def _same_parties(check: Check, r: dict[str, Any], target: dict[str, Any] | None, what: str) -> None:
        """A release keeps its pledge's parties and an amended assignment its parties (both refused on chain)."""
        if target is None:
            return
        if (str(r["seller"]).lower(), str(r["buyer"]).lower()) != (
            str(target["seller"]).lower(),
            str(target["buyer"]).lower(),
        ):
            check.fail(
                f"{_name('transactions', r)} {what} #{int(target['record_id'])} between other parties",
                "parties",
                target=int(target["record_id"]),
                **_where("transactions", r),
            )

    def _compare_states(
        self,
        check: Check,
        owners: dict[str, str],
        assets: dict[str, dict[str, Any]],
        statuses: dict[str, list[tuple[int, int]]],
    ) -> None:
        """The owner and status derived from the rows equal the contract's at the audited block."""
        if self.end < self.start_block:
            return
        ids = sorted(owners)
        if len(ids) > OWNER_CALLS_MAX:
            step = len(ids) / OWNER_CALLS_MAX
            ids = [ids[int(i * step)] for i in range(OWNER_CALLS_MAX)]
            check.note(
                f"asset states compared for {OWNER_CALLS_MAX} of {len(owners)} assets (evenly spaced)", "sampled"
            )
        for aid in ids:
            try:
                state = self.client.asset_state(bytes.fromhex(aid[2:]), block=self.end)
            except (ChainError, ValueError):
                continue
            expected_status = int(assets[aid]["initial_status"])
            if statuses.get(aid):
                expected_status = max(statuses[aid])[1]
            if _hex(state.owner) != owners[aid]:
                check.fail(
                    f"asset {aid}: the ledger rows make {owners[aid]} the owner at block {self.end}, "
                    f"the contract says {_hex(state.owner)}",
                    "owner",
                    table="assets",
                    asset_id=aid,
                    block=self.end,
                )
            if state.status != expected_status:
                check.fail(
                    f"asset {aid}: the ledger rows give status {Status(expected_status).name.lower()} at block "
                    f"{self.end}, the contract says {state.status}",
                    "status",
                    table="assets",
                    asset_id=aid,
                    block=self.end,
                )
        check.counts["asset_states_compared"] = len(ids)
