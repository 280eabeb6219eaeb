// SPDX-License-Identifier: Apache-2.0
pragma solidity 0.8.28;

import {LedgerDirectory} from "./LedgerDirectory.sol";
import {LedgerTypes} from "./LedgerTypes.sol";

/// @title IP asset registry with a running accumulator over every record.
/// @notice Assets are keyed by keccak256(jurisdiction ‖ kind ‖ registry number), computed here
///         so that nobody can file an asset under someone else's number.
///         Every record (asset, status change, transaction, void) gets the next record id and
///         extends the hash chain
///             accumulator' = keccak256(accumulator ‖ topic0 ‖ topic1 ‖ topic2 ‖ topic3 ‖ data)
///         over the exact bytes of the log it emits, so that anyone can recompute it from the
///         contract's logs alone. The seed binds the chain and this contract's address, so a
///         same-code twin deployment has a different accumulator from its first record.
///         Registry numbers must be canonical (capitals, digits and . / - only; see
///         docs/methodology/registry-numbers.md) and status changes follow the transition table
///         of `_allowedTransition`.
abstract contract IPRegistry is LedgerDirectory {
    struct AssetInput {
        bytes2 jurisdiction; // ISO 3166-1 alpha-2 or a regional office code ("EP", "WO")
        uint8 kind; // LedgerTypes.KIND_*
        string registryNumber; // the office's number, e.g. "ZL201810012345.6"
        bytes16 classCode; // IPC/CPC/Nice/Locarno code, ASCII, left aligned
        uint40 filingDate; // unix seconds
        uint40 grantDate; // 0 while pending
        uint40 expiryDate; // 0 when unknown
        uint8 status; // initial LedgerTypes.STATUS_*
        address owner;
        bytes32 metadataHash; // sha-256 of the metadata document (claims, citations, family)
    }

    event AssetRegistered(
        uint256 indexed recordId,
        bytes32 indexed assetId,
        uint8 indexed kind,
        address owner,
        bytes2 jurisdiction,
        bytes16 classCode,
        uint40 filingDate,
        uint40 grantDate,
        uint40 expiryDate,
        uint8 status,
        bytes32 metadataHash,
        address registrar,
        string registryNumber
    );

    event StatusChanged(
        uint256 indexed recordId,
        bytes32 indexed assetId,
        uint8 indexed status,
        uint8 previousStatus,
        uint40 date,
        bytes32 docHash,
        address registrar
    );

    // Packed asset state, one word: owner (bits 0-159) | status (160-162) | kind (163-165) | filing
    // day, unix days (166-181) | transfer seal (182-255). The seal is the top 74 bits of
    // keccak256(abi.encode(assetId, id, seller)) for the asset's latest live assignment or auction
    // `id` and its seller (0 when none, and after a void). A void or an amendment must present the (id, seller) pair that hashes to
    // it, so the seller is enforced exactly without a second storage word
    // (docs/decisions/0090-trust-one-asset-word-and-recorder-nonces.md).
    mapping(bytes32 => uint256) internal _assets;
    // Second asset word, written only by status changes: date of the last status change
    // (bits 160-199) | status a dispute interrupted (200-207).
    mapping(bytes32 => uint256) internal _assetAux;

    /// @notice Head of the hash chain over every record's log.
    bytes32 public accumulator;
    /// @notice Number of records so far; record ids run from 1 to recordCount.
    uint256 public recordCount;

    // Bits 182-255 (the seal) and bits 160-181 (status, kind and filing day).
    uint256 internal constant _SEAL_MASK = 0xFFFFFFFFFFFFFFFFFFC000000000000000000000000000000000000000000000;
    uint256 internal constant _KEEP_STATE = 0x0000000000000000003FFFFF0000000000000000000000000000000000000000;
    uint256 internal constant _DAY = 86_400;
    uint256 internal constant _MAX_NUMBER_LENGTH = 64;

    // Allowed status transitions: byte `from` holds a bit per allowed `to`. Terminal states
    // (invalidated, expired) allow nothing; a dispute may end in lapse (fees fall due whatever
    // the dispute), invalidation or expiry, or return to the status it interrupted (checked
    // separately).
    //   pending  -> active, lapsed, invalidated, ownership / infringement dispute
    //   active   -> lapsed, invalidated, expired, ownership / infringement dispute
    //   lapsed   -> active (restoration), invalidated, expired
    //   disputes -> lapsed, invalidated, expired (+ the interrupted status)
    uint256 private constant _TRANSITIONS = (uint256(0xDC) << 8) | (uint256(0xF8) << 16) | (uint256(0x34) << 24)
        | (uint256(0x38) << 48) | (uint256(0x38) << 56);

    constructor(string memory name) {
        accumulator = keccak256(abi.encode(keccak256(bytes(name)), block.chainid, address(this)));
    }

    // ------------------------------------------------------------------ writes

    function registerAsset(AssetInput calldata a)
        external
        whenNotPaused
        onlyRole(REGISTRAR_ROLE)
        returns (bytes32 assetId)
    {
        return _register(a);
    }

    function registerAssets(AssetInput[] calldata assets)
        external
        whenNotPaused
        onlyRole(REGISTRAR_ROLE)
        returns (uint256 firstRecordId)
    {
        uint256 n = assets.length;
        if (n == 0 || n > LedgerTypes.MAX_BATCH) revert MalformedBatch(n, LedgerTypes.MAX_BATCH);
        firstRecordId = recordCount + 1;
        for (uint256 i; i < n; ++i) {
            _register(assets[i]);
        }
    }

    function setStatus(bytes32 assetId, uint8 status, uint40 date, bytes32 docHash)
        external
        whenNotPaused
        onlyRole(REGISTRAR_ROLE)
        returns (uint256 recordId)
    {
        uint256 state = _assets[assetId];
        if (state == 0) revert UnknownAsset(assetId);
        if (status == 0 || status > LedgerTypes.MAX_STATUS) revert InvalidStatus(status);
        _checkDate(date, _filing(state));
        uint8 previous = uint8((state >> 160) & 7);
        uint256 aux = _assetAux[assetId];
        uint40 lastDate = uint40(aux >> 160);
        if (date < lastDate) revert StatusDateBackwards(date, lastDate);
        uint256 resume = (aux >> 200) & 0xff;
        bool allowed = (_TRANSITIONS >> (uint256(previous) * 8 + status)) & 1 == 1;
        bool disputed = previous == LedgerTypes.STATUS_OWNERSHIP_DISPUTE
            || previous == LedgerTypes.STATUS_INFRINGEMENT_DISPUTE;
        if (!allowed && !(disputed && status == resume)) revert InvalidTransition(assetId, previous, status);
        if (status == LedgerTypes.STATUS_OWNERSHIP_DISPUTE || status == LedgerTypes.STATUS_INFRINGEMENT_DISPUTE) {
            resume = previous;
        }
        _assetAux[assetId] = (uint256(date) << 160) | (resume << 200);
        _assets[assetId] = (state & ~(uint256(7) << 160)) | (uint256(status) << 160);
        recordId = ++recordCount;
        _commit(
            StatusChanged.selector,
            recordId,
            assetId,
            status,
            abi.encode(previous, date, docHash, msg.sender)
        );
    }

    // ------------------------------------------------------------------ views

    /// @notice The seal of the asset's latest live assignment or auction (top 74 bits of
    ///         keccak256(abi.encode(assetId, id, seller)), 0 when none), the date of the last status
    ///         change, and the status a dispute interrupted.
    function assetHistory(bytes32 assetId)
        external
        view
        returns (bytes32 transferSeal, uint40 lastStatusDate, uint8 resumeStatus)
    {
        uint256 aux = _assetAux[assetId];
        return (bytes32(_assets[assetId] & _SEAL_MASK), uint40(aux >> 160), uint8(aux >> 200));
    }

    /// @notice Owner, status, kind and filing date of an asset (all zero when unknown); the filing
    ///         date is kept to the day (00:00 UTC of the filing day).
    function assetState(bytes32 assetId)
        external
        view
        returns (address owner, uint8 status, uint8 kind, uint40 filingDate)
    {
        uint256 s = _assets[assetId];
        return (address(uint160(s)), uint8((s >> 160) & 7), uint8((s >> 163) & 7), _filing(s));
    }

    function assetIdOf(bytes2 jurisdiction, uint8 kind, string calldata registryNumber)
        public
        pure
        returns (bytes32)
    {
        return keccak256(abi.encodePacked(jurisdiction, kind, registryNumber));
    }

    // ------------------------------------------------------------------ internals

    function _register(AssetInput calldata a) internal returns (bytes32 assetId) {
        if (a.kind == 0 || a.kind > LedgerTypes.MAX_ASSET_KIND) revert InvalidKind(a.kind);
        if (a.status == 0 || a.status > LedgerTypes.MAX_STATUS) revert InvalidStatus(a.status);
        if (a.owner == address(0)) revert InvalidParty(a.owner);
        if (a.filingDate == 0 || a.filingDate > block.timestamp || a.filingDate >= _DAY << 16) {
            revert FutureDate(a.filingDate, block.timestamp);
        }
        if (
            (a.grantDate != 0 && a.grantDate < a.filingDate)
                || (a.expiryDate != 0 && a.expiryDate <= a.filingDate)
        ) revert InvalidDates(a.filingDate, a.grantDate, a.expiryDate);
        if (bytes(a.registryNumber).length == 0) revert EmptyHash();
        if (!_canonical(a.registryNumber)) revert NonCanonicalNumber(a.registryNumber);
        assetId = assetIdOf(a.jurisdiction, a.kind, a.registryNumber);
        if (_assets[assetId] != 0) revert DuplicateAsset(assetId);
        _assets[assetId] = uint256(uint160(a.owner)) | (uint256(a.status) << 160)
            | (uint256(a.kind) << 163) | ((uint256(a.filingDate) / _DAY) << 166);
        if (a.status >= LedgerTypes.STATUS_OWNERSHIP_DISPUTE) {
            // Registered in a dispute: it returns to active when granted, else to pending.
            uint256 resume = a.grantDate != 0 ? LedgerTypes.STATUS_ACTIVE : LedgerTypes.STATUS_PENDING;
            _assetAux[assetId] = resume << 200;
        }
        uint256 recordId = ++recordCount;
        _commit(
            AssetRegistered.selector,
            recordId,
            assetId,
            a.kind,
            abi.encode(
                a.owner,
                a.jurisdiction,
                a.classCode,
                a.filingDate,
                a.grantDate,
                a.expiryDate,
                a.status,
                a.metadataHash,
                msg.sender,
                a.registryNumber
            )
        );
    }

    /// @dev One form per number: capitals, digits and the separators . / - only, starting with a
    ///      letter or digit, at most 64 bytes. Lower case, spaces and any other byte are refused so
    ///      that "zl1", "ZL 1" and "ZL1" cannot register as three assets.
    function _canonical(string calldata number) private pure returns (bool ok) {
        assembly ("memory-safe") {
            let len := number.length
            ok := and(gt(len, 0), iszero(gt(len, _MAX_NUMBER_LENGTH)))
            // Bit per allowed byte: '-' 0x2D, '.' 0x2E, '/' 0x2F, '0'-'9', 'A'-'Z'.
            let allowed := or(shl(0x2D, 0x7), or(shl(0x30, 0x3FF), shl(0x41, 0x3FFFFFF)))
            for { let i := 0 } and(ok, lt(i, len)) { i := add(i, 1) } {
                let c := byte(0, calldataload(add(number.offset, i)))
                ok := and(lt(c, 0x80), and(shr(c, allowed), 1))
            }
            if ok {
                let first := byte(0, calldataload(number.offset))
                ok := iszero(lt(first, 0x30))
            }
        }
    }

    /// @dev Start of the filing day (unix seconds) from a packed asset word.
    function _filing(uint256 state) internal pure returns (uint40) {
        return uint40(((state >> 166) & 0xffff) * _DAY);
    }

    /// @dev The transfer seal of record `id` of `assetId` sold by `seller` (see `_assets`).
    function _seal(bytes32 assetId, uint256 id, address seller) internal pure returns (uint256 h) {
        assembly ("memory-safe") {
            let p := mload(0x40)
            mstore(p, assetId)
            mstore(add(p, 32), id)
            mstore(add(p, 64), and(seller, 0xffffffffffffffffffffffffffffffffffffffff))
            h := and(keccak256(p, 96), _SEAL_MASK)
        }
    }

    function _checkDate(uint40 date, uint40 filingDate) internal view {
        if (date > block.timestamp) revert FutureDate(date, block.timestamp);
        if (date < filingDate) revert DateBeforeFiling(date, filingDate);
    }

    /// @dev Emits the log with exactly `data` and extends the accumulator over the same bytes.
    function _commit(bytes32 topic0, uint256 recordId, bytes32 assetId, uint256 kind, bytes memory data)
        internal
    {
        accumulator = keccak256(abi.encodePacked(accumulator, topic0, recordId, assetId, kind, data));
        assembly ("memory-safe") {
            log4(add(data, 32), mload(data), topic0, recordId, assetId, kind)
        }
    }
}
