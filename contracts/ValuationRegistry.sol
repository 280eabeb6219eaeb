// SPDX-License-Identifier: Apache-2.0
pragma solidity 0.8.28;

import {LedgerRoles} from "./LedgerRoles.sol";
import {LedgerTypes, ILedgerErrors} from "./LedgerTypes.sol";

interface IAssetState {
    function checkAssetAndCurrency(bytes32 assetId, bytes3 currency) external view returns (bool known, bool allowed);
}

/// @title Anchors of valuation reports, insurance quotes and policies, and insurance claims.
/// @notice An anchor fixes the hash of a report with its headline figures and the block of the
///         ledger state it was computed from, so that an auditor can recompute the report and
///         compare hashes. Like IPLedger it keeps its own record sequence and accumulator over
///         the exact bytes of its logs.
contract ValuationRegistry is LedgerRoles, ILedgerErrors {
    uint8 public constant ANCHOR_VALUATION = 1; // valuer role: figures are value, low, high
    uint8 public constant ANCHOR_QUOTE = 2; // insurer role: sum insured, gross, net premium
    uint8 public constant ANCHOR_POLICY = 3; // insurer role: same figures as a quote

    uint8 public constant CLAIM_OPENED = 1; // notified: date = date of loss, amount = initial case reserve
    uint8 public constant CLAIM_PAID = 2; // amount = paid under cost head `head`
    uint8 public constant CLAIM_RECOVERED = 3; // amount = recovered by subrogation (damages won back)
    uint8 public constant CLAIM_CLOSED = 4; // amount = 0; the case reserve falls to zero
    uint8 public constant CLAIM_RESERVED = 5; // case reserve revised to amount (0 allowed)
    uint8 public constant CLAIM_AWARD_SHARED = 6; // amount = share of a recovered award paid back to the insured

    struct AnchorInput {
        bytes32 assetId;
        uint8 kind;
        bytes32 reportHash; // sha-256 of the canonical JSON report
        uint64 stateBlock; // ledger block the report was computed from
        uint40 asOf; // valuation or quote date, unix seconds
        bytes3 currency;
        uint128 value; // minor units
        uint128 low;
        uint128 high;
    }

    struct ClaimInput {
        bytes32 assetId;
        uint8 kind;
        bytes32 policyHash; // report hash of the anchored policy or quote
        bytes32 claimRef; // the insurer's claim reference, hashed
        uint8 head; // cost head code (ipledger.insurance.products.HEADS order)
        uint40 date;
        bytes3 currency;
        uint128 amount; // minor units
        bytes32 docHash;
    }

    event Anchored(
        uint256 indexed recordId,
        bytes32 indexed assetId,
        uint8 indexed kind,
        bytes32 reportHash,
        uint64 stateBlock,
        uint40 asOf,
        bytes3 currency,
        uint128 value,
        uint128 low,
        uint128 high,
        address by
    );

    event ClaimRecorded(
        uint256 indexed recordId,
        bytes32 indexed assetId,
        uint8 indexed kind,
        bytes32 policyHash,
        bytes32 claimRef,
        uint8 head,
        uint40 date,
        bytes3 currency,
        uint128 amount,
        bytes32 docHash,
        address insurer
    );

    IAssetState public immutable ledger;
    bytes32 public accumulator;
    uint256 public recordCount;

    /// @param adminDelay seconds a new admin waits before accepting (0 only on development chains)
    constructor(address admin, IAssetState ledger_, uint48 adminDelay) LedgerRoles(admin, adminDelay) {
        ledger = ledger_;
        // The seed binds chain and address, so a same-code twin cannot pass for this registry.
        accumulator = keccak256(abi.encode(keccak256(bytes("ipledger.ValuationRegistry.v2")), block.chainid, address(this)));
    }

    function anchor(AnchorInput calldata a) external whenNotPaused returns (uint256 recordId) {
        if (a.kind == ANCHOR_VALUATION) {
            _checkRole(VALUER_ROLE);
        } else if (a.kind == ANCHOR_QUOTE || a.kind == ANCHOR_POLICY) {
            _checkRole(INSURER_ROLE);
        } else {
            revert InvalidKind(a.kind);
        }
        _requireAsset(a.assetId, a.currency);
        if (a.reportHash == bytes32(0)) revert EmptyHash();
        if (a.asOf > block.timestamp) revert FutureDate(a.asOf, block.timestamp);
        if (a.stateBlock >= block.number) revert FutureDate(uint40(a.stateBlock), block.number);
        if (a.value == 0) revert ZeroAmount(a.assetId, a.kind);
        if (a.kind == ANCHOR_VALUATION && (a.low > a.value || a.high < a.value)) {
            revert InvalidRange(a.low, a.value, a.high);
        }
        recordId = ++recordCount;
        _commit(
            Anchored.selector,
            recordId,
            a.assetId,
            a.kind,
            abi.encode(a.reportHash, a.stateBlock, a.asOf, a.currency, a.value, a.low, a.high, msg.sender)
        );
    }

    function recordClaim(ClaimInput calldata c) external whenNotPaused onlyRole(INSURER_ROLE) returns (uint256 recordId) {
        if (c.kind == 0 || c.kind > CLAIM_AWARD_SHARED) revert InvalidKind(c.kind);
        _requireAsset(c.assetId, c.currency);
        if (c.policyHash == bytes32(0)) revert EmptyHash();
        if (c.date > block.timestamp) revert FutureDate(c.date, block.timestamp);
        if (c.amount == 0 && c.kind != CLAIM_CLOSED && c.kind != CLAIM_RESERVED) revert ZeroAmount(c.assetId, c.kind);
        recordId = ++recordCount;
        _commit(
            ClaimRecorded.selector,
            recordId,
            c.assetId,
            c.kind,
            abi.encode(c.policyHash, c.claimRef, c.head, c.date, c.currency, c.amount, c.docHash, msg.sender)
        );
    }

    /// @dev The asset must be registered and the currency on the ledger's ISO 4217 allow-list.
    function _requireAsset(bytes32 assetId, bytes3 currency) private view {
        (bool known, bool allowed) = ledger.checkAssetAndCurrency(assetId, currency);
        if (!known) revert UnknownAsset(assetId);
        if (!allowed) {
            bytes3 c = currency;
            bool capitals = c[0] >= "A" && c[0] <= "Z" && c[1] >= "A" && c[1] <= "Z" && c[2] >= "A" && c[2] <= "Z";
            if (!capitals) revert InvalidCurrency(currency);
            revert UnknownCurrency(currency);
        }
    }

    function _commit(bytes32 topic0, uint256 recordId, bytes32 assetId, uint256 kind, bytes memory data) private {
        accumulator = keccak256(abi.encodePacked(accumulator, topic0, recordId, assetId, kind, data));
        assembly ("memory-safe") {
            log4(add(data, 32), mload(data), topic0, recordId, assetId, kind)
        }
    }
}
