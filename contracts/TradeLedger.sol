// SPDX-License-Identifier: Apache-2.0
pragma solidity 0.8.28;

import {IPRegistry} from "./IPRegistry.sol";
import {LedgerTypes} from "./LedgerTypes.sol";

/// @title Append-only ledger of IP transactions: assignments, licences, pledges and releases.
/// @notice Records are never deleted or overwritten. A correction appends a record that points
///         back: `voidRecord` withdraws one, `amendRecord` replaces one's terms (the amendment
///         carries the amended record's id in `ref`). A release carries its pledge's id in `ref`
///         and the pledge's parties (`from`, `to`), checked against the pledge's stored parties.
abstract contract TradeLedger is IPRegistry {
    struct TxInput {
        bytes32 assetId;
        uint8 kind; // LedgerTypes.TX_*
        address from; // seller / licensor / pledgor
        address to; // buyer / licensee / pledgee
        uint40 date; // effective date, unix seconds
        bytes3 currency; // ISO 4217 alphabetic code
        uint128 amount; // price, lump sum or secured amount, integer minor units
        uint16 royaltyBps; // running royalty on sales, basis points (licences)
        uint8 exclusivity; // LedgerTypes.NON_EXCLUSIVE / SOLE / EXCLUSIVE
        bytes2 territory; // ISO 3166-1 alpha-2, or "WW" for worldwide
        uint40 termEnd; // licence or pledge end, unix seconds; 0 = open-ended
        uint64 ref; // amended record (amendRecord) or released pledge (release)
        bytes32 docHash; // sha-256 of the underlying document
    }

    /// @dev The data fields follow TxInput's order from `from` to `docHash`, then the recorder,
    ///      so that the hot path copies them from calldata in one go.
    event TxRecorded(
        uint256 indexed recordId,
        bytes32 indexed assetId,
        uint8 indexed kind,
        address from,
        address to,
        uint40 date,
        bytes3 currency,
        uint128 amount,
        uint16 royaltyBps,
        uint8 exclusivity,
        bytes2 territory,
        uint40 termEnd,
        uint64 ref,
        bytes32 docHash,
        address recorder
    );

    event RecordVoided(
        uint256 indexed recordId,
        bytes32 indexed assetId,
        uint8 indexed kind,
        uint64 target,
        address restoredOwner,
        bytes32 docHash,
        address recorder
    );

    /// @notice When set, assignments, auctions and pledges need the current owner's EIP-712
    ///         signature (recordWithConsent), so that no recorder moves or pledges an asset alone.
    bool public ownerConsentRequired;

    event OwnerConsentRequirementSet(bool required);

    // Two bytes per transaction record, 16 to a slot: kind (bits 0-2) | void (bit 3) | released
    // (bit 4) | asset tag (bits 5-15: the low 11 bits of the asset id). The tag lets a void, an
    // amendment or a release prove cheaply that the record it names belongs to its asset.
    mapping(uint256 => uint256) internal _flags;

    // Parties of each live pledge, written by pledges only: keccak256(abi.encode(from, to)) of
    // pledge record `id`, cleared by its release. A release must name the same parties
    // (`ReleasePartiesMismatch`); see docs/decisions/0091-trust-release-parties-and-consent-logs.md.
    mapping(uint256 => bytes32) internal _pledgeParties;

    uint256 private constant _KIND = 0x07;
    uint256 private constant _VOID = 0x08;
    uint256 private constant _RELEASED = 0x10;
    uint256 private constant _TAG = 0x7ff;
    // 5 header words hashed before the log (accumulator, topic0..3) + 12 data words.
    uint256 private constant _BUF = 544;

    // ------------------------------------------------------------------ writes

    function recordTransaction(TxInput calldata r)
        external
        whenNotPaused
        onlyRole(RECORDER_ROLE)
        returns (uint256 recordId)
    {
        recordId = recordCount + 1;
        accumulator = _record(r, recordId, _buffer(), accumulator, false, false);
        recordCount = recordId;
    }

    /// @notice Records up to MAX_BATCH transactions in order; returns the first record id.
    ///         All or nothing: any rejected record reverts the whole batch.
    function recordBatch(TxInput[] calldata records)
        external
        whenNotPaused
        onlyRole(RECORDER_ROLE)
        returns (uint256 firstRecordId)
    {
        uint256 n = records.length;
        if (n == 0 || n > LedgerTypes.MAX_BATCH) revert MalformedBatch(n, LedgerTypes.MAX_BATCH);
        firstRecordId = recordCount + 1;
        uint256 buf = _buffer();
        bytes32 acc = accumulator;
        bool strict = ownerConsentRequired;
        // The fast path's flags gather here a 16-record slot at a time (`pendingKey`): the slot
        // is written once, when a record leaves it, before the checked path (which reads flags)
        // and at the end.
        uint256 pendingKey;
        uint256 pending;
        for (uint256 i; i < n; ++i) {
            // records[i] without the bounds check (i < n) and id without the overflow check
            // (at most recordCount + MAX_BATCH); a record is 13 static words.
            TxInput calldata r;
            uint256 id;
            assembly ("memory-safe") {
                r := add(records.offset, mul(i, 416))
                id := add(firstRecordId, i)
            }
            // Under the owner-consent setting every record takes the checked path, which refuses
            // unsigned transfers and pledges.
            (bool done, bytes32 next, uint256 flag) = strict ? (false, bytes32(0), 0) : _fastRecord(r, id, buf, acc);
            if (done) {
                if (id >> 4 != pendingKey) {
                    _orFlags(pendingKey, pending);
                    (pendingKey, pending) = (id >> 4, 0);
                }
                pending |= flag << ((id & 15) << 4);
            } else {
                // Anything the fast path does not take (a release, or a record that fails a
                // check) goes through the checked path, which applies it or reverts with the
                // precise error.
                _orFlags(pendingKey, pending);
                pending = 0;
                next = _record(r, id, buf, acc, false, false);
            }
            acc = next;
        }
        _orFlags(pendingKey, pending);
        accumulator = acc;
        recordCount = firstRecordId + n - 1;
    }

    /// @notice Replaces the terms of record `r.ref` (same asset kind of record); the amended
    ///         record is marked superseded. Parties of assignments do not move again: a change of
    ///         parties is a void plus a new record.
    function amendRecord(TxInput calldata r)
        external
        whenNotPaused
        onlyRole(RECORDER_ROLE)
        returns (uint256 recordId)
    {
        recordId = recordCount + 1;
        accumulator = _record(r, recordId, _buffer(), accumulator, true, false);
        recordCount = recordId;
    }

    /// @notice Withdraws record `target`, which must be a live record of `assetId`. Only the
    ///         asset's latest live assignment or auction can be voided, and its void hands the
    ///         asset back to exactly that record's seller, named in `restoredOwner`; for other
    ///         kinds `restoredOwner` must be zero.
    function voidRecord(uint64 target, bytes32 assetId, address restoredOwner, bytes32 docHash)
        external
        whenNotPaused
        onlyRole(RECORDER_ROLE)
        returns (uint256 recordId)
    {
        uint256 state = _assets[assetId];
        if (state == 0) revert UnknownAsset(assetId);
        uint8 kind = _liveRecordOf(target, assetId);
        _setFlag(target, _VOID);
        if (kind == LedgerTypes.TX_ASSIGNMENT || kind == LedgerTypes.TX_AUCTION) {
            // The latest live transfer and its seller, proven against the asset word's seal.
            if (state & _SEAL_MASK != _seal(assetId, target, restoredOwner)) {
                revert NotLatestTransfer(target, restoredOwner);
            }
            // Owner back to the seller; seal 0: no transfer left to void.
            _assets[assetId] = (state & _KEEP_STATE) | uint256(uint160(restoredOwner));
        } else if (restoredOwner != address(0)) {
            revert InvalidParty(restoredOwner);
        }
        recordId = ++recordCount;
        _commit(
            RecordVoided.selector, recordId, assetId, kind, abi.encode(target, restoredOwner, docHash, msg.sender)
        );
    }

    /// @notice Requires (or stops requiring) the owner's signature for transfers and pledges.
    function setOwnerConsentRequired(bool required) external onlyRole(DEFAULT_ADMIN_ROLE) {
        ownerConsentRequired = required;
        emit OwnerConsentRequirementSet(required);
    }

    // ------------------------------------------------------------------ views

    /// @notice Kind (0 when the id is no transaction record), void and released flags.
    function recordInfo(uint64 recordId) external view returns (uint8 kind, bool isVoid, bool released) {
        uint256 f = _flagOf(recordId);
        return (uint8(f & _KIND), f & _VOID != 0, f & _RELEASED != 0);
    }

    // ------------------------------------------------------------------ internals

    function _buffer() internal pure returns (uint256 buf) {
        assembly ("memory-safe") {
            buf := mload(0x40)
            mstore(0x40, add(buf, _BUF))
        }
    }

    function _flagOf(uint64 id) internal view returns (uint256) {
        return (_flags[id >> 4] >> ((id & 15) << 4)) & 0xffff;
    }

    function _setFlag(uint256 id, uint256 bits) internal {
        _flags[id >> 4] |= bits << ((id & 15) << 4);
    }

    function _orFlags(uint256 key, uint256 bits) private {
        if (bits != 0) _flags[key] |= bits;
    }

    /// @dev The kind of live record `id`, after checking that it is a transaction record of
    ///      `assetId` (by the asset tag kept in its flags) and not void.
    function _liveRecordOf(uint64 id, bytes32 assetId) private view returns (uint8 kind) {
        uint256 f = _flagOf(id);
        kind = uint8(f & _KIND);
        if (kind == 0) revert UnknownRecord(id);
        if (f >> 5 != uint256(assetId) & _TAG) revert RecordAssetMismatch(id, assetId);
        if (f & _VOID != 0) revert AlreadyVoid(id);
    }

    /// @dev The batch hot path, in assembly because py-evm's speed is proportional to opcodes
    ///      executed (about 3x fewer here than through the ABI decoder). It takes assignments,
    ///      licences, pledges and auctions that pass every check of `_record` and has exactly its
    ///      effects; for anything else it returns done = false having changed nothing. The
    ///      conformance test `test_fast_path_matches_checked_path` holds the two paths equal.
    ///      The record's flags are returned (`flag`, as `_setFlag` takes them), not written: the
    ///      caller writes them.
    function _fastRecord(TxInput calldata r, uint256 id, uint256 buf, bytes32 acc)
        internal
        returns (bool done, bytes32 next, uint256 flag)
    {
        bytes32 sig = TxRecorded.selector;
        uint256 assetsSlot;
        uint256 currencySlot;
        uint256 pledgeSlot;
        assembly ("memory-safe") {
            pledgeSlot := _pledgeParties.slot
            assetsSlot := _assets.slot
            currencySlot := _currencyBits.slot
        }
        assembly ("memory-safe") {
            // Words are loaded where they are used, to keep few values live on the stack.
            let kind := calldataload(add(r, 32))
            let date := calldataload(add(r, 128))
            mstore(0, calldataload(r))
            mstore(32, assetsSlot)
            let assetSlot := keccak256(0, 64)
            let state := sload(assetSlot)

            // Any non-zero term means "not for the fast path".
            let bad := or(iszero(state), or(eq(kind, 4), gt(sub(kind, 1), 4))) // kinds 1, 2, 3, 5
            bad := or(bad, or(shr(40, date), or(gt(date, timestamp()), lt(date, mul(and(shr(166, state), 0xffff), _DAY)))))
            {
                let termEnd := calldataload(add(r, 320))
                bad := or(bad, or(shr(40, termEnd), and(iszero(iszero(termEnd)), lt(termEnd, date))))
            }
            {
                // Clean bytes3 of three capitals whose bit is set in the currency allow-list.
                let cur := calldataload(add(r, 160))
                let c := shr(232, cur)
                let c0 := sub(shr(16, c), 65)
                let c1 := sub(and(shr(8, c), 0xff), 65)
                let c2 := sub(and(c, 0xff), 65)
                bad := or(bad, or(shl(24, cur), or(gt(c0, 25), or(gt(c1, 25), gt(c2, 25)))))
                if iszero(bad) {
                    let idx := add(add(mul(c0, 676), mul(c1, 26)), c2)
                    mstore(0, shr(8, idx))
                    mstore(32, currencySlot)
                    bad := iszero(and(shr(and(idx, 255), sload(keccak256(0, 64))), 1))
                }
            }
            {
                let terr := calldataload(add(r, 288))
                bad := or(bad, or(shl(16, terr), iszero(terr))) // clean, non-zero bytes2
            }
            bad := or(bad, gt(calldataload(add(r, 256)), 2)) // exclusivity
            bad := or(bad, calldataload(add(r, 352))) // no reference outside amendments and releases
            {
                let status := and(shr(160, state), 7)
                bad := or(bad, and(gt(status, 2), lt(status, 7))) // inactive or ownership dispute
            }
            {
                let amount := calldataload(add(r, 192))
                let bps := calldataload(add(r, 224))
                bad := or(bad, or(shr(128, amount), gt(bps, 10000)))
                bad := or(bad, and(iszero(amount), or(iszero(eq(kind, 2)), iszero(bps))))
            }
            let to := calldataload(add(r, 96))
            let transfer := or(eq(kind, 1), eq(kind, 5))
            {
                let from := calldataload(add(r, 64))
                bad := or(bad, or(or(shr(160, from), shr(160, to)), or(iszero(from), iszero(to))))
                bad := or(bad, and(transfer, iszero(eq(from, and(state, 0xffffffffffffffffffffffffffffffffffffffff)))))
            }

            if iszero(bad) {
                let assetId := calldataload(r)
                if transfer {
                    // Owner := buyer, seal := (this record, its seller); see `_seal`.
                    mstore(buf, assetId)
                    mstore(add(buf, 32), id)
                    mstore(add(buf, 64), calldataload(add(r, 64)))
                    let seal := and(keccak256(buf, 96), _SEAL_MASK)
                    sstore(assetSlot, or(or(and(state, _KEEP_STATE), to), seal))
                }
                if eq(kind, 3) {
                    // A pledge keeps its parties for its release: keccak256(abi.encode(from, to)).
                    mstore(buf, calldataload(add(r, 64)))
                    mstore(add(buf, 32), to)
                    let parties := keccak256(buf, 64)
                    mstore(0, id)
                    mstore(32, pledgeSlot)
                    sstore(keccak256(0, 64), parties)
                }
                flag := or(kind, shl(5, and(assetId, _TAG)))

                mstore(buf, acc)
                mstore(add(buf, 32), sig)
                mstore(add(buf, 64), id)
                mstore(add(buf, 96), assetId)
                mstore(add(buf, 128), kind)
                calldatacopy(add(buf, 160), add(r, 64), 352) // from .. docHash
                mstore(add(buf, 512), caller())
                log4(add(buf, 160), 384, sig, id, assetId, kind)
                next := keccak256(buf, 544)
                done := 1
            }
        }
    }

    /// @dev Validates one record, applies its effect on the asset, and emits it; returns the new
    ///      accumulator. Every calldata word copied into the log is read once into a local (and so
    ///      range-checked by the ABI decoder) before the copy.
    function _record(TxInput calldata r, uint256 id, uint256 buf, bytes32 acc, bool amend, bool ownerSigned)
        internal
        returns (bytes32)
    {
        uint8 kind = r.kind;
        bytes32 assetId = r.assetId;
        address from = r.from;
        address to = r.to;
        uint40 date = r.date;
        bytes3 currency = r.currency;
        uint128 amount = r.amount;
        uint16 bps = r.royaltyBps;
        uint8 exclusivity = r.exclusivity;
        bytes2 territory = r.territory;
        uint40 termEnd = r.termEnd;
        uint64 ref = r.ref;

        if (kind == 0 || kind > LedgerTypes.MAX_TX_KIND) revert InvalidKind(kind);
        uint256 state = _assets[assetId];
        if (state == 0) revert UnknownAsset(assetId);
        if (date > block.timestamp) revert FutureDate(date, block.timestamp);
        if (date < _filing(state)) revert DateBeforeFiling(date, _filing(state));
        _requireCurrency(currency);
        if (bps > LedgerTypes.MAX_BPS) revert InvalidRoyalty(bps);
        if (exclusivity > LedgerTypes.EXCLUSIVE) revert InvalidExclusivity(exclusivity);
        if (territory == bytes2(0)) revert InvalidTerritory(territory);
        if (termEnd != 0 && termEnd < date) revert InvalidTerm(date, termEnd);
        if (to == address(0) || from == address(0)) revert InvalidParty(address(0));

        if (kind == LedgerTypes.TX_RELEASE) {
            if (amend) revert InvalidReference(ref);
            uint256 f = _flagOf(ref);
            if (f & _KIND != LedgerTypes.TX_PLEDGE) revert RecordKindMismatch(ref, LedgerTypes.TX_PLEDGE, uint8(f & _KIND));
            if (f >> 5 != uint256(assetId) & _TAG) revert RecordAssetMismatch(ref, assetId);
            if (f & (_VOID | _RELEASED) != 0) revert AlreadyVoid(ref);
            if (_pledgeParties[ref] != keccak256(abi.encode(from, to))) revert ReleasePartiesMismatch(ref, from, to);
            delete _pledgeParties[ref];
            _setFlag(ref, _RELEASED);
        } else {
            uint256 status = (state >> 160) & 7;
            if (
                status == LedgerTypes.STATUS_LAPSED || status == LedgerTypes.STATUS_INVALIDATED
                    || status == LedgerTypes.STATUS_EXPIRED
            ) revert AssetInactive(assetId, uint8(status));
            if (status == LedgerTypes.STATUS_OWNERSHIP_DISPUTE) revert AssetDisputed(assetId, uint8(status));
            if (amount == 0 && (kind != LedgerTypes.TX_LICENCE || bps == 0)) revert ZeroAmount(assetId, kind);
            bool transfer = kind == LedgerTypes.TX_ASSIGNMENT || kind == LedgerTypes.TX_AUCTION;
            if ((transfer || kind == LedgerTypes.TX_PLEDGE) && !ownerSigned && ownerConsentRequired) {
                revert OwnerConsentRequired(assetId, address(uint160(state)));
            }
            if (amend) {
                uint256 f = _flagOf(ref);
                if (f & _KIND == 0) revert UnknownRecord(ref);
                if (f & _KIND != kind) revert RecordKindMismatch(ref, uint8(f & _KIND), kind);
                if (f >> 5 != uint256(assetId) & _TAG) revert RecordAssetMismatch(ref, assetId);
                if (f & _VOID != 0) revert AlreadyVoid(ref);
                if (transfer) {
                    // Only the latest live transfer, whose parties are its sealed seller and the
                    // current owner, can be amended, and its parties stay.
                    if (state & _SEAL_MASK != _seal(assetId, ref, from)) revert NotLatestTransfer(ref, from);
                    if (to != address(uint160(state))) revert PartiesChanged(ref);
                    _assets[assetId] = (state & ~_SEAL_MASK) | _seal(assetId, id, from);
                }
                _setFlag(ref, _VOID);
            } else {
                if (ref != 0) revert InvalidReference(ref);
                if (transfer) {
                    address owner = address(uint160(state));
                    if (from != owner) revert SellerNotOwner(assetId, from, owner);
                    _assets[assetId] = (state & _KEEP_STATE) | uint256(uint160(to)) | _seal(assetId, id, from);
                }
            }
        }
        _setFlag(id, kind | ((uint256(assetId) & _TAG) << 5));
        if (kind == LedgerTypes.TX_PLEDGE) _pledgeParties[id] = keccak256(abi.encode(from, to));

        bytes32 sig = TxRecorded.selector;
        assembly ("memory-safe") {
            mstore(buf, acc)
            mstore(add(buf, 32), sig)
            mstore(add(buf, 64), id)
            mstore(add(buf, 96), assetId)
            mstore(add(buf, 128), kind)
            calldatacopy(add(buf, 160), add(r, 64), 352) // from .. docHash
            mstore(add(buf, 512), caller())
            log4(add(buf, 160), 384, sig, id, assetId, kind)
            acc := keccak256(buf, _BUF)
        }
        return acc;
    }
}
