"""`Ledger`: the indexed trade history of one deployment, served as pandas DataFrames."""

from __future__ import annotations

import sys
import time
from typing import TYPE_CHECKING, Any

import pandas as pd

from ipledger.chain.deploy import Deployment
from ipledger.config import Profile, load_profile
from ipledger.documents import DocumentStore
from ipledger.errors import ConfigError, LedgerError
from ipledger.ledger import frames
from ipledger.ledger.orgs import OrgDirectory
from ipledger.ledger.store import Store

if TYPE_CHECKING:
    from ipledger.chain.backend import ChainBackend
    from ipledger.chain.client import LedgerClient
    from ipledger.ledger.indexer import Indexer
    from ipledger.ledger.syncresult import SyncResult


class FrameReads:
    """The read methods shared by :class:`Ledger` and :class:`LedgerAt`, over ``_frames()``."""

    def _frames(self) -> dict[str, Any]:
        raise NotImplementedError

    def resolve_asset(self, text: str) -> str:
        raise NotImplementedError

    def assets(self) -> pd.DataFrame:
        """One row per asset: identity, dates, current status and owner, metadata features."""
        return _tagged(self._frames()["assets"].copy(), self._frames()["assets"])

    def transactions(
        self,
        asset_id: str | None = None,
        kind: str | None = None,
        since: Any = None,
        include_void: bool = False,
    ) -> pd.DataFrame:
        """Transaction records; voided and superseded (amended) ones only with ``include_void``.

        Args:
            asset_id: one asset (0x id or registry number).
            kind: assignment, licence, pledge, release or auction.
            since: a date; records dated on or after it.
            include_void: keep withdrawn and superseded records (flagged in ``void``).
        """
        df: pd.DataFrame = self._frames()["tx"]
        mask = pd.Series(True, index=df.index)
        if not include_void:
            mask &= ~df["void"].astype(bool)
        if asset_id is not None:
            mask &= df["asset_id"] == self.resolve_asset(asset_id)
        if kind is not None:
            kinds = set(frames.TX_KINDS.values())
            if kind not in kinds:
                raise LedgerError(f"unknown kind {kind!r} (kinds: {', '.join(sorted(kinds))})")
            mask &= df["kind"] == kind
        if since is not None:
            mask &= df["date"] >= pd.Timestamp(since)
        return _tagged(df.loc[mask].reset_index(drop=True), df)

    def status_history(self, asset_id: str | None = None) -> pd.DataFrame:
        df: pd.DataFrame = self._frames()["status"]
        if asset_id is not None and len(df):
            df = df[df["asset_id"] == self.resolve_asset(asset_id)]
        return df.reset_index(drop=True)


class Ledger(FrameReads):
    """The ledger of a profile: its chain, its store and its documents.

    Open with ``Ledger.open("local")``; call ``sync()`` to index new blocks; read with
    ``assets()``, ``transactions()``, ``history()``. DataFrames are cached until the next sync.

    The chain (``backend``), the contracts' client and the indexer are opened on first use:
    reads need only the store. ``sync()`` on an embedded chain reads the chain's head from its
    file (:mod:`ipledger.chain.chainfile`): with nothing new it does not open the chain, and new
    blocks on top of the indexed ones are indexed from that file, without the EVM.
    """

    def __init__(self, profile: Profile, backend: ChainBackend | None = None, store: Store | None = None) -> None:
        self.profile = profile
        self._backend = backend
        self._owns_backend = backend is None
        self._client: LedgerClient | None = None
        self._indexer: Indexer | None = None
        if not profile.deployment_file.is_file():
            raise ConfigError(f"no contracts deployed for profile {profile.name!r}: run `ipledger init`")
        self.deployment = Deployment.from_file(profile.deployment_file)
        self.store = store or Store(profile.store_url)
        # Refuse a store of another chain or deployment before reading it (the indexer binds it).
        self.store.check_bound(self.deployment.chain_id, self._contracts())
        self.documents = DocumentStore(profile.documents_dir)
        if backend is not None:
            self.indexer  # noqa: B018 - a chain given is checked (contracts, store) at once, as before
        self._cache: dict[str, Any] = {}
        self._cache_key: tuple[int, str] | None = None

    def _contracts(self) -> list[str]:
        return ["0x" + self.deployment.ledger.hex(), "0x" + self.deployment.registry.hex()]

    @property
    def backend(self) -> ChainBackend:
        """The chain, opened on first use."""
        if self._backend is None:
            from ipledger.chain.connect import open_backend

            self._backend = open_backend(self.profile)
        return self._backend

    @property
    def client(self) -> LedgerClient:
        """The deployed contracts' client (ConfigError when they are not on this chain)."""
        if self._client is None:
            from ipledger.chain.connect import connect

            self._client = connect(self.profile, self.backend)
        return self._client

    @client.setter
    def client(self, client: LedgerClient) -> None:
        """Write through another client (another sender) from now on."""
        self._client = client

    @property
    def indexer(self) -> Indexer:
        """The indexer of this chain into the store (binds the store to the deployment)."""
        if self._indexer is None:
            self._indexer = self._indexer_on(self.backend, self.client.ledger_address, self.client.registry_address)
        return self._indexer

    def _indexer_on(self, backend: ChainBackend, ledger: bytes, registry: bytes) -> Indexer:
        from ipledger.ledger.indexer import Indexer

        return Indexer(
            backend,
            self.store,
            ledger,
            registry,
            start_block=self.deployment.block,
            confirmations=self.profile.confirmations,
            max_range=self.profile.max_log_range,
            concurrency=self.profile.log_concurrency,
        )

    @classmethod
    def open(cls, profile: str | Profile | None = None) -> Ledger:
        """Open the ledger of a profile (name, Profile, or the default one)."""
        prof = profile if isinstance(profile, Profile) else load_profile(profile)
        return cls(prof)

    # ---------------------------------------------------------------- indexing

    def _chain_file_state(self) -> str | None:
        """``"current"``, ``"behind"`` or None: see :func:`ipledger.chain.chainfile.store_state`
        (None too for an RPC chain, or a chain this ledger has opened already)."""
        if self._backend is not None or self.profile.backend != "embedded":
            return None
        from ipledger.chain.chainfile import store_state

        return store_state(self.profile.data_dir / "chain.sqlite", self.store.checkpoint(), self.profile.confirmations)

    def up_to_date(self) -> bool:
        """True when the store holds every final block of the profile's embedded chain, known
        from the chain file alone: the chain's final block (head minus the confirmations) is the
        store's checkpoint, with the checkpoint's hash. False means there is something to index
        or that this cannot be known without opening the chain."""
        return self._chain_file_state() == "current"

    def sync(self, progress: bool | None = None) -> SyncResult:
        """Index every final block not yet indexed; a progress bar when interactive.

        On an embedded chain not yet opened by this ledger, the chain's file decides: nothing
        to index (the chain is not opened), or new blocks on top of the checkpoint (indexed from
        the file by :class:`ipledger.chain.filereader.ChainFileReader`, without py-evm). Any
        other case opens the chain and syncs through it (reorganisations included).
        """
        started = time.perf_counter()
        state = self._chain_file_state()
        if state == "current":
            from ipledger.ledger.syncresult import SyncResult

            number = self.state()[0]
            return SyncResult(number + 1, number, 0, time.perf_counter() - started, 0, 0)
        if state == "behind":
            import sqlite3

            from ipledger.chain.filereader import ChainFileReader, Unreadable

            try:
                reader = ChainFileReader(self.profile.data_dir / "chain.sqlite", self.deployment.chain_id)
                try:
                    indexer = self._indexer_on(reader, self.deployment.ledger, self.deployment.registry)
                    return self._run(indexer, progress)
                finally:
                    reader.close()
            except (Unreadable, sqlite3.Error):
                pass  # what this reader cannot read, py-evm below reads or reports (rows so far are kept)
        return self._run(self.indexer, progress)

    def _run(self, indexer: Indexer, progress: bool | None) -> SyncResult:
        if progress is None:
            progress = sys.stderr.isatty()
        if not progress:
            result = indexer.sync()
        else:
            from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeRemainingColumn

            with Progress(
                TextColumn("indexing"),
                BarColumn(),
                MofNCompleteColumn(),
                TextColumn("blocks"),
                TextColumn("{task.fields[events]} events"),
                TimeRemainingColumn(),
                transient=True,
            ) as bar:
                task = bar.add_task("sync", total=None, events=0)

                def tick(done: int, total: int, events: int) -> None:
                    bar.update(task, completed=done, total=total, events=events)

                result = indexer.sync(tick)
        self._cache.clear()
        return result

    def state(self) -> tuple[int, str]:
        """(block number, block hash) of the indexed state."""
        cp = self.store.checkpoint()
        return cp if cp else (-1, "")

    # ---------------------------------------------------------------- frames

    def _frames(self) -> dict[str, Any]:
        key = self.state()
        if key != self._cache_key:
            self._cache = {}
            self._cache_key = key
        if "tx" not in self._cache:
            self._cache.update(self._build(None))
            # Frames carry the ledger state they were built from, so that caches downstream
            # (the market model) can key on it rather than on a frame's identity.
            for name in ("tx", "assets", "status"):
                self._cache[name].attrs["ledger_state"] = key
                # where the fitted market model is kept between processes (a cache, keyed)
                self._cache[name].attrs["model_dir"] = str(self.profile.data_dir / "models")
        return self._cache

    def _build(self, max_block: int | None) -> dict[str, Any]:
        return build_frames(self.store, self.documents, max_block)

    def at_block(self, block: int) -> LedgerAt:
        """The ledger as it stood at ``block`` (rows of later blocks left out): what a
        valuation anchored with that state block is recomputed from."""
        cp = self.state()[0]
        if block > cp:
            raise LedgerError(f"block {block} is not indexed yet (indexed up to {cp}); run `ipledger sync`")
        return LedgerAt(self.store, self.documents, block, "0x" + self.backend.block(block).hash.hex())

    def party_names(self) -> dict[str, str]:
        """{0x address: name} of the parties named at import (verified against their addresses)."""
        from ipledger.parties import PartyBook

        return PartyBook(self.profile.data_dir).names()

    def history(self, asset_id: str) -> pd.DataFrame:
        """Every record of one asset in chain order: registration, transactions (void ones
        flagged), status changes, voids, anchors and claims.

        Columns: record_id, event, date, detail (one readable line, party names where known),
        fields (the same as a dict of structured values: parties with names, amounts as Decimal
        in major units with their currency, dates), block_number, log_index, tx_hash.
        """
        from ipledger.ledger.history import history

        return history(self, asset_id)

    def organisations(self) -> pd.DataFrame:
        """The on-chain organisation directory as indexed: account (lower-case 0x hex), org_id,
        name, kind (registry, exchange, valuer, insurer, auditor, holder), and the block number
        and log index of the event that set it; one row per listed account."""
        return self.org_directory().frame()

    def organisation_of(self, account: str) -> str | None:
        """The name of the organisation behind ``account`` (0x address) now, or None."""
        return self.org_directory().name_at(account)

    def org_directory(self) -> OrgDirectory:
        """Look-ups of the directory at any chain position (see ipledger.ledger.orgs)."""
        return OrgDirectory(self.store.read("organisations"))

    def anchors(self) -> pd.DataFrame:
        return frames.plain_frame(self.store.read("anchors"), ("value", "low", "high"))

    def claims(self) -> pd.DataFrame:
        return frames.plain_frame(self.store.read("claims"), ("amount",))

    def role_events(self) -> pd.DataFrame:
        return frames.plain_frame(self.store.read("role_events"))

    def resolve_asset(self, text: str) -> str:
        """A 0x asset id from an id or a registry number; LedgerError when unknown."""
        a: pd.DataFrame = self._frames()["assets"]
        t = text.strip().lower()
        _check_id_shape(text)
        if len(a):
            if t.startswith("0x") and len(t) == 66 and (a["asset_id"] == t).any():
                return t
            hit = a.loc[a["registry_number"].str.lower() == t, "asset_id"]
            if len(hit) == 1:
                return str(hit.iloc[0])
            if len(hit) > 1:
                raise LedgerError(f"registry number {text!r} names {len(hit)} assets; use the 0x asset id")
        raise LedgerError(f"unknown asset {text!r} (not in the indexed ledger; run `ipledger sync`?)")

    def close(self) -> None:
        self.store.close()
        if self._owns_backend and self._backend is not None:
            self._backend.close()

    def __enter__(self) -> Ledger:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()


def _check_id_shape(text: str) -> None:
    """A ValidationError for text that starts like a 0x id but is not 32 bytes of hex."""
    import re

    from ipledger.errors import ValidationError

    t = text.strip()
    if t[:2].lower() == "0x" and not re.fullmatch(r"0x[0-9a-fA-F]{64}", t):
        raise ValidationError(
            f"malformed asset id {text!r}: an id is 0x and 64 hex digits (or give the registry number)"
        )


def _tagged(out: pd.DataFrame, source: pd.DataFrame) -> pd.DataFrame:
    out.attrs = dict(source.attrs)
    return out


def build_frames(store: Store, documents: DocumentStore | None, max_block: int | None) -> dict[str, Any]:
    """The ledger's frames from the store's rows, all of them or those at or before ``max_block``."""

    def upto(t: Any) -> Any:
        return t.c.block_number <= max_block

    where = upto if max_block is not None else None
    tx_rows = store.read("transactions", where)
    void_rows = store.read("voids", where)
    status_rows = store.read("status_changes", where)
    tx = frames.transactions_frame(tx_rows, void_rows)
    # The organisation that recorded each transaction, as the directory stood at that record
    # (valuations and quotes that cite comparables can name it instead of an address).
    orgs = OrgDirectory(store.read("organisations", where))
    if len(tx):
        names = [
            orgs.name_at(str(a), int(b), int(i))
            for a, b, i in zip(tx["recorder"], tx["block_number"], tx["log_index"], strict=True)
        ]
        tx["organisation"] = pd.Series(names, index=tx.index, dtype="object")
    else:
        tx["organisation"] = pd.Series(dtype="object")
    return {
        "tx": tx,
        "voids": void_rows,
        "status": frames.status_frame(status_rows),
        "assets": frames.assets_frame(store.read("assets", where), status_rows, tx, void_rows, documents),
    }


class LedgerAt(FrameReads):
    """The indexed ledger as it stood at a block, read-only, with the Ledger's read methods
    (``assets``, ``transactions``, ``status_history``, ``state``): what an anchored valuation is
    recomputed from. Only the store is needed, so an auditor can build one without a chain.

    Args:
        store: the ledger store.
        documents: the document store (asset metadata), or None.
        block: the state block; None means every indexed row.
        block_hash: that block's hash (from the store's ``blocks`` table when omitted).
    """

    def __init__(
        self, store: Store, documents: DocumentStore | None, block: int | None, block_hash: str | None = None
    ) -> None:
        self.store = store
        self.documents = documents
        cp = store.checkpoint()
        self.block = block if block is not None else (cp[0] if cp else -1)
        self._hash = block_hash
        self._built: dict[str, Any] | None = None

    def _frames(self) -> dict[str, Any]:
        if self._built is None:
            self._built = build_frames(self.store, self.documents, self.block)
            for name in ("tx", "assets", "status"):
                self._built[name].attrs["ledger_state"] = ("at", self.block)
        return self._built

    def state(self) -> tuple[int, str]:
        if self._hash is None:
            rows = self.store.read("blocks", lambda t: t.c.number == self.block)
            self._hash = str(rows[0]["hash"]) if rows else ""
        return self.block, self._hash

    def resolve_asset(self, text: str) -> str:
        a = self._frames()["assets"]
        t = text.strip().lower()
        if t.startswith("0x") and len(t) == 66:
            return t
        if len(a):
            hit = a.loc[a["registry_number"].str.lower() == t, "asset_id"]
            if len(hit) == 1:
                return str(hit.iloc[0])
        raise LedgerError(f"unknown asset {text!r} at block {self.block}")
