// SPDX-License-Identifier: Apache-2.0
pragma solidity 0.8.28;

import {EIP712} from "@openzeppelin/contracts/utils/cryptography/EIP712.sol";
import {SignatureChecker} from "@openzeppelin/contracts/utils/cryptography/SignatureChecker.sol";
import {TradeLedger} from "./TradeLedger.sol";
import {LedgerTypes} from "./LedgerTypes.sol";

/// @title Transaction records that carry the parties' EIP-712 consent to their terms.
/// @notice A party (seller/licensor/pledgor `from`, buyer/licensee/pledgee `to`) signs the typed
///         data `Record` below offline; the recorder submits the signatures with the record. The
///         contract checks each one (ecrecover for accounts, ERC-1271 for contract wallets via
///         OpenZeppelin's SignatureChecker), spends the consent's nonce and emits one
///         `ConsentGiven` log per signature right after its record's `TxRecorded`, carrying the
///         nonce, deadline and signature bytes so that anyone can re-verify it from the logs. A
///         consent takes no record id of its own: its first topic is its record's id, and it
///         extends the accumulator like a record (so a log feed cannot drop, move or add one).
///         Replay protection without a storage word per signer: a nonce is the submitting
///         recorder's address (top 160 bits) and a counter it hands out (low 96 bits); each nonce
///         can be spent once, by that recorder only, in any order (a bitmap, 256 nonces a word).
///         Consents travel packed in one `bytes` argument, one group per record in order: a role
///         byte (bit 0: `from` signed, bit 1: `to` signed), then per signature, `from`'s first,
///         `counter (12 bytes) | deadline (5) | length (2) | signature (length)`. The signer is the
///         record's party and the nonce's top 160 bits the sender, so neither is sent. See
///         docs/decisions/0091-trust-release-parties-and-consent-logs.md.
abstract contract ConsentLedger is TradeLedger, EIP712 {
    bytes32 private constant RECORD_TYPEHASH = keccak256(
        "Record(bytes32 assetId,uint8 kind,address from,address to,uint40 date,bytes3 currency,uint128 amount,"
        "uint16 royaltyBps,uint8 exclusivity,bytes2 territory,uint40 termEnd,uint64 ref,bytes32 docHash,"
        "uint256 nonce,uint256 deadline)"
    );
    // secp256k1n / 2: larger `s` values are the malleable twin of a valid signature (EIP-2).
    uint256 private constant _HALF_N = 0x7FFFFFFFFFFFFFFFFFFFFFFFFFFFFFFF5D576E7357A4501DDFE92F46681B20A0;
    uint256 private constant _ENTRY = 19; // counter 12 + deadline 5 + length 2

    /// @notice One party's signature over the terms of transaction record `txRecordId` (its
    ///         asset is the record's). Not a record of its own: it takes no record id.
    event ConsentGiven(
        uint256 indexed txRecordId, address indexed signer, uint256 nonce, uint256 deadline, bytes signature
    );

    /// @notice Spent consent nonces, one bit each: nonce n is bit (n & 255) of word n >> 8.
    mapping(uint256 => uint256) public spentNonces;

    constructor() EIP712("ipledger.IPLedger", "2") {}

    // ------------------------------------------------------------------ writes

    /// @notice Records one transaction with its parties' signatures (`consents`: one packed group).
    function recordWithConsent(TxInput calldata r, bytes calldata consents)
        external
        whenNotPaused
        onlyRole(RECORDER_ROLE)
        returns (uint256 recordId)
    {
        return _single(r, consents, false);
    }

    /// @notice Records up to MAX_BATCH transactions, each with its own signatures (possibly none):
    ///         `consents` holds one packed group per record, in order.
    function recordBatchWithConsent(TxInput[] calldata records, bytes calldata consents)
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
        bytes32 domain = _domainSeparatorV4();
        bool strict = ownerConsentRequired;
        uint256 at;
        for (uint256 i; i < n; ++i) {
            (acc, at) = _consented(records[i], consents, at, firstRecordId + i, buf, acc, domain, strict, false);
        }
        if (at != consents.length) revert MalformedConsents(at);
        accumulator = acc;
        recordCount = firstRecordId + n - 1;
    }

    /// @notice amendRecord with the parties' signatures over the new terms.
    function amendRecordWithConsent(TxInput calldata r, bytes calldata consents)
        external
        whenNotPaused
        onlyRole(RECORDER_ROLE)
        returns (uint256 recordId)
    {
        return _single(r, consents, true);
    }

    // ------------------------------------------------------------------ internals

    function _single(TxInput calldata r, bytes calldata consents, bool amend) private returns (uint256 recordId) {
        recordId = recordCount + 1;
        (bytes32 acc, uint256 at) = _consented(
            r, consents, 0, recordId, _buffer(), accumulator, _domainSeparatorV4(), ownerConsentRequired, amend
        );
        if (at != consents.length) revert MalformedConsents(at);
        accumulator = acc;
        recordCount = recordId;
    }

    /// @dev The signature entry at `at` for party `role` (0 `from`, 1 `to`): its signer, nonce,
    ///      deadline, where its signature starts and where the next entry starts.
    function _entry(TxInput calldata r, bytes calldata cs, uint256 at, uint256 role)
        private
        view
        returns (address signer, uint256 nonce, uint256 deadline, uint256 sigAt, uint256 next)
    {
        bool bad;
        assembly ("memory-safe") {
            let o := add(cs.offset, at)
            signer := and(calldataload(add(r, add(64, shl(5, role)))), 0xffffffffffffffffffffffffffffffffffffffff)
            nonce := or(shl(96, caller()), shr(160, calldataload(o)))
            deadline := shr(216, calldataload(add(o, 12)))
            sigAt := add(at, _ENTRY)
            next := add(sigAt, shr(240, calldataload(add(o, 17))))
            bad := gt(next, cs.length)
        }
        if (bad) revert MalformedConsents(at);
    }

    /// @dev EIP-712 digest of `Record` with `nonce` and `deadline`: the 13 static words of
    ///      TxInput are already their encodeData (uints right aligned, bytesN left aligned), so
    ///      they are hashed straight from calldata. Dirty calldata gives another digest (the
    ///      signature fails) and is refused by the record's own checks anyway.
    function _digest(TxInput calldata r, bytes32 domain, uint256 nonce, uint256 deadline)
        private
        pure
        returns (bytes32 h)
    {
        bytes32 typeHash = RECORD_TYPEHASH;
        assembly ("memory-safe") {
            let p := mload(0x40)
            mstore(p, typeHash)
            calldatacopy(add(p, 32), r, 416)
            mstore(add(p, 448), nonce)
            mstore(add(p, 480), deadline)
            let structHash := keccak256(p, 512)
            mstore(p, 0x1901000000000000000000000000000000000000000000000000000000000000)
            mstore(add(p, 2), domain)
            mstore(add(p, 34), structHash)
            h := keccak256(p, 66)
        }
    }

    /// @dev A 65-byte ECDSA signature `r | s | v` by `signer` (the precompile, with OpenZeppelin
    ///      ECDSA's rules: v 27 or 28, s in the lower half), else ERC-1271 for contract wallets.
    function _validSignature(address signer, bytes32 digest, bytes calldata sig) private view returns (bool) {
        if (sig.length == 65) {
            address recovered;
            assembly ("memory-safe") {
                let s := calldataload(add(sig.offset, 32))
                let v := byte(0, calldataload(add(sig.offset, 64)))
                if and(iszero(gt(s, _HALF_N)), or(eq(v, 27), eq(v, 28))) {
                    let m := mload(0x40)
                    mstore(m, digest)
                    mstore(add(m, 32), v)
                    mstore(add(m, 64), calldataload(sig.offset))
                    mstore(add(m, 96), s)
                    mstore(0, 0)
                    if staticcall(gas(), 1, m, 128, 0, 32) { recovered := mload(0) }
                }
            }
            if (recovered == signer && recovered != address(0)) return true;
        }
        return SignatureChecker.isValidERC1271SignatureNow(signer, digest, sig);
    }

    /// @dev Records `r` as record `id`, then checks and logs the signatures of the group at `at`
    ///      (a bad one reverts the whole transaction, the record with it); returns the
    ///      accumulator and where the next group starts. Under the owner-consent setting (`strict`)
    ///      whether the owner signed is known before the signatures are checked: the signers are
    ///      the record's parties, and the owner is read before the record can change it.
    function _consented(
        TxInput calldata r,
        bytes calldata cs,
        uint256 at,
        uint256 id,
        uint256 buf,
        bytes32 acc,
        bytes32 domain,
        bool strict,
        bool amend
    ) private returns (bytes32, uint256) {
        if (at >= cs.length) revert MalformedConsents(at);
        uint256 roles = uint8(cs[at]);
        if (roles > 3) revert MalformedConsents(at);
        bool ownerSigned;
        if (strict && roles != 0) {
            address owner = address(uint160(_assets[r.assetId]));
            ownerSigned = (roles & 1 != 0 && r.from == owner) || (roles & 2 != 0 && r.to == owner);
        }
        // The batch fast path when it applies (no owner-consent setting, not an amendment).
        bool done;
        bytes32 next;
        uint256 flag;
        if (!amend && !strict) (done, next, flag) = _fastRecord(r, id, buf, acc);
        if (done) _setFlag(id, flag);
        acc = done ? next : _record(r, id, buf, acc, amend, ownerSigned);
        if (roles == 0) return (acc, at + 1);
        return _consents(r, cs, at + 1, roles, id, acc, domain);
    }

    /// @dev Checks each signature of the group at `p`, spends its nonce and emits ConsentGiven
    ///      with data abi.encode(nonce, deadline, signature), written once after the four header
    ///      words the accumulator hashes in front of it (accumulator, topic0, record id, signer).
    function _consents(
        TxInput calldata r,
        bytes calldata cs,
        uint256 p,
        uint256 roles,
        uint256 id,
        bytes32 acc,
        bytes32 domain
    ) private returns (bytes32, uint256) {
        uint256 freeMemory;
        assembly ("memory-safe") {
            freeMemory := mload(0x40)
        }
        bytes32 topic0 = ConsentGiven.selector;
        for (uint256 role; role < 2; ++role) {
            if ((roles >> role) & 1 == 0) continue;
            (address signer, uint256 nonce, uint256 deadline, uint256 sigAt, uint256 next) = _entry(r, cs, p, role);
            p = next;
            if (block.timestamp > deadline) revert ConsentExpired(signer, deadline);
            uint256 bit = uint256(1) << (nonce & 255);
            uint256 spent = spentNonces[nonce >> 8];
            if (spent & bit != 0) revert ConsentNonceUsed(signer, nonce);
            spentNonces[nonce >> 8] = spent | bit;
            if (!_validSignature(signer, _digest(r, domain, nonce, deadline), cs[sigAt:next])) {
                revert InvalidConsent(signer);
            }
            assembly ("memory-safe") {
                let m := mload(0x40)
                mstore(m, acc)
                mstore(add(m, 32), topic0)
                mstore(add(m, 64), id)
                mstore(add(m, 96), signer)
                let d := add(m, 128)
                let len := sub(next, sigAt)
                mstore(d, nonce)
                mstore(add(d, 32), deadline)
                mstore(add(d, 64), 0x60)
                let padded := and(add(len, 31), not(31))
                mstore(add(d, add(96, padded)), 0) // zero padding of the last word (the length when empty)
                mstore(add(d, 96), len)
                calldatacopy(add(d, 128), add(cs.offset, sigAt), len)
                let size := add(128, padded)
                acc := keccak256(m, add(128, size))
                log3(d, size, topic0, id, signer)
            }
        }
        // Nothing allocated here outlives the record (the ERC-1271 call's buffers): give the
        // memory back so that a batch does not pay quadratic memory expansion.
        assembly ("memory-safe") {
            mstore(0x40, freeMemory)
        }
        return (acc, p);
    }
}
