// SPDX-License-Identifier: Apache-2.0
pragma solidity 0.8.28;

import {EIP712} from "@openzeppelin/contracts/utils/cryptography/EIP712.sol";
import {SignatureChecker} from "@openzeppelin/contracts/utils/cryptography/SignatureChecker.sol";
import {ECDSA} from "@openzeppelin/contracts/utils/cryptography/ECDSA.sol";
import {TradeLedger} from "./TradeLedger.sol";
import {LedgerTypes} from "./LedgerTypes.sol";

/// @title Transaction records that carry the parties' EIP-712 consent to their terms.
/// @notice A party (seller/licensor/pledgor `from`, buyer/licensee/pledgee `to`) signs the typed
///         data `Record` below offline; the recorder submits the signatures with the record. The
///         contract checks each one (ecrecover for accounts, ERC-1271 for contract wallets via
///         OpenZeppelin's SignatureChecker), spends the consent's nonce and emits one
///         `ConsentGiven` record per signature, carrying the signature bytes, nonce and deadline
///         so that anyone can re-verify it from the logs. The consent level of a transaction
///         record is the number of its parties that signed (0 recorder only, 1, 2 both).
///         Replay protection without a storage word per signer: a nonce is the submitting
///         recorder's address (top 160 bits) and a counter it hands out (low 96 bits); each nonce
///         can be spent once, by that recorder only, in any order (a bitmap, 256 nonces a word).
///         See docs/decisions/0090-trust-one-asset-word-and-recorder-nonces.md.
abstract contract ConsentLedger is TradeLedger, EIP712 {
    struct PartyConsent {
        address signer; // must be the record's `from` or `to`
        uint256 nonce; // recorder << 96 | counter, not spent before (spentNonces)
        uint256 deadline; // unix seconds; refused after it
        bytes signature; // 65-byte ECDSA signature, or whatever the signer's ERC-1271 wallet accepts
    }

    bytes32 private constant RECORD_TYPEHASH = keccak256(
        "Record(bytes32 assetId,uint8 kind,address from,address to,uint40 date,bytes3 currency,uint128 amount,"
        "uint16 royaltyBps,uint8 exclusivity,bytes2 territory,uint40 termEnd,uint64 ref,bytes32 docHash,"
        "uint256 nonce,uint256 deadline)"
    );

    /// @notice One party's signature over the terms of transaction record `txRecordId`; `level`
    ///         is the record's consent level counting this signature.
    event ConsentGiven(
        uint256 indexed recordId,
        bytes32 indexed assetId,
        address indexed signer,
        uint64 txRecordId,
        uint8 level,
        uint256 nonce,
        uint256 deadline,
        bytes signature
    );

    /// @notice Spent consent nonces, one bit each: nonce n is bit (n & 255) of word n >> 8.
    mapping(uint256 => uint256) public spentNonces;

    constructor() EIP712("ipledger.IPLedger", "2") {}

    // ------------------------------------------------------------------ writes

    /// @notice Records one transaction with up to two party signatures.
    function recordWithConsent(TxInput calldata r, PartyConsent[] calldata consents)
        external
        whenNotPaused
        onlyRole(RECORDER_ROLE)
        returns (uint256 recordId)
    {
        return _single(r, consents, false);
    }

    /// @notice Records up to MAX_BATCH transactions, each with its own signatures (possibly none).
    function recordBatchWithConsent(TxInput[] calldata records, PartyConsent[][] calldata consents)
        external
        whenNotPaused
        onlyRole(RECORDER_ROLE)
        returns (uint256 firstRecordId)
    {
        uint256 n = records.length;
        if (n == 0 || n > LedgerTypes.MAX_BATCH || consents.length != n) {
            revert MalformedBatch(n, LedgerTypes.MAX_BATCH);
        }
        firstRecordId = recordCount + 1;
        uint256 buf = _buffer();
        bytes32 acc = accumulator;
        uint256 id = firstRecordId;
        for (uint256 i; i < n; ++i) {
            (acc, id) = _consented(records[i], consents[i], id, buf, acc, false);
            ++id;
        }
        accumulator = acc;
        recordCount = id - 1;
    }

    /// @notice amendRecord with the parties' signatures over the new terms.
    function amendRecordWithConsent(TxInput calldata r, PartyConsent[] calldata consents)
        external
        whenNotPaused
        onlyRole(RECORDER_ROLE)
        returns (uint256 recordId)
    {
        return _single(r, consents, true);
    }

    // ------------------------------------------------------------------ internals

    /// @dev EIP-712 hashStruct of `Record`: the 13 static words of TxInput are already their
    ///      encodeData (uints right aligned, bytesN left aligned), so they are hashed straight
    ///      from calldata. Dirty calldata gives another digest (the signature fails) and is
    ///      refused by the record's own checks anyway.
    function _structHash(TxInput calldata r, uint256 nonce, uint256 deadline) private pure returns (bytes32 h) {
        bytes32 typeHash = RECORD_TYPEHASH;
        assembly ("memory-safe") {
            let p := mload(0x40)
            mstore(p, typeHash)
            calldatacopy(add(p, 32), r, 416)
            mstore(add(p, 448), nonce)
            mstore(add(p, 480), deadline)
            h := keccak256(p, 512)
        }
    }

    function _single(TxInput calldata r, PartyConsent[] calldata consents, bool amend)
        private
        returns (uint256 recordId)
    {
        recordId = recordCount + 1;
        (bytes32 acc, uint256 last) = _consented(r, consents, recordId, _buffer(), accumulator, amend);
        accumulator = acc;
        recordCount = last;
    }

    /// @dev ECDSA first, then ERC-1271 (OpenZeppelin 5.0's order). SignatureChecker 5.4 reads the
    ///      signer's code size first: a cold account access (2,600 gas) for every new signer.
    function _validSignature(address signer, bytes32 digest, bytes calldata signature) private view returns (bool) {
        if (signature.length == 65) {
            // ECDSA.tryRecover(hash, bytes) parses exactly so, after copying the bytes to memory.
            (address recovered, ECDSA.RecoverError err,) = ECDSA.tryRecover(
                digest, uint8(signature[64]), bytes32(signature[0:32]), bytes32(signature[32:64])
            );
            if (err == ECDSA.RecoverError.NoError && recovered == signer) return true;
        }
        return SignatureChecker.isValidERC1271SignatureNow(signer, digest, signature);
    }

    /// @dev Checks the signatures, records `r` as record `id` and its consents as the records
    ///      after it; returns the accumulator and the last record id used.
    function _consented(
        TxInput calldata r,
        PartyConsent[] calldata consents,
        uint256 id,
        uint256 buf,
        bytes32 acc,
        bool amend
    ) private returns (bytes32, uint256) {
        uint256 n = consents.length;
        if (n > 2) revert MalformedBatch(n, 2);
        uint256 freeMemory;
        assembly ("memory-safe") {
            freeMemory := mload(0x40)
        }
        address owner = address(uint160(_assets[r.assetId]));
        bool fromSigned;
        bool toSigned;
        bool ownerSigned;
        for (uint256 i; i < n; ++i) {
            PartyConsent calldata c = consents[i];
            address signer = c.signer;
            if (block.timestamp > c.deadline) revert ConsentExpired(signer, c.deadline);
            if (signer == r.from && !fromSigned) {
                fromSigned = true;
            } else if (signer == r.to && !toSigned) {
                toSigned = true;
            } else {
                revert ConsentNotParty(signer);
            }
            uint256 nonce = c.nonce;
            uint256 bit = uint256(1) << (nonce & 255);
            uint256 spent = spentNonces[nonce >> 8];
            if (spent & bit != 0 || nonce >> 96 != uint256(uint160(msg.sender))) revert ConsentNonceUsed(signer, nonce);
            spentNonces[nonce >> 8] = spent | bit;
            bytes32 digest = _hashTypedDataV4(_structHash(r, nonce, c.deadline));
            if (!_validSignature(signer, digest, c.signature)) revert InvalidConsent(signer);
            if (signer == owner) ownerSigned = true;
        }
        // The batch fast path when it applies (no owner-consent setting, not an amendment).
        bool done;
        bytes32 next;
        if (!amend && !ownerConsentRequired) (done, next) = _fastRecord(r, id, buf, acc);
        acc = done ? next : _record(r, id, buf, acc, amend, ownerSigned);
        bytes32 topic0 = ConsentGiven.selector;
        bytes32 assetId = r.assetId;
        for (uint256 i; i < n; ++i) {
            PartyConsent calldata c = consents[i];
            uint256 signerWord = uint256(uint160(c.signer));
            uint256 nonce = c.nonce;
            uint256 deadline = c.deadline;
            bytes calldata sig = c.signature;
            uint256 rid = id + 1 + i;
            // The log's data is abi.encode(uint64 id, uint8 level, nonce, deadline, signature),
            // written once after the five header words the accumulator hashes in front of it.
            assembly ("memory-safe") {
                let p := mload(0x40)
                mstore(p, acc)
                mstore(add(p, 32), topic0)
                mstore(add(p, 64), rid)
                mstore(add(p, 96), assetId)
                mstore(add(p, 128), signerWord)
                let d := add(p, 160)
                mstore(d, id)
                mstore(add(d, 32), add(i, 1))
                mstore(add(d, 64), nonce)
                mstore(add(d, 96), deadline)
                mstore(add(d, 128), 0xa0)
                let padded := and(add(sig.length, 31), not(31))
                mstore(add(d, add(160, padded)), 0) // zero padding of the last word (the length when empty)
                mstore(add(d, 160), sig.length)
                calldatacopy(add(d, 192), sig.offset, sig.length)
                let len := add(192, padded)
                acc := keccak256(p, add(160, len))
                log4(d, len, topic0, rid, assetId, signerWord)
            }
        }
        // Nothing allocated here outlives the record: give the memory back so that a batch
        // does not pay quadratic memory expansion.
        assembly ("memory-safe") {
            mstore(0x40, freeMemory)
        }
        return (acc, id + n);
    }
}
