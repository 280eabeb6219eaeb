// SPDX-License-Identifier: Apache-2.0
pragma solidity 0.8.28;

/// @title Shared codes and custom errors of the ipledger contracts of record.
/// @notice Codes are small integers so that events stay cheap; the Python client
///         (ipledger.chain.codes) mirrors every constant here.
library LedgerTypes {
    // Asset kinds (third indexed topic of AssetRegistered).
    uint8 internal constant KIND_INVENTION = 1;
    uint8 internal constant KIND_UTILITY_MODEL = 2;
    uint8 internal constant KIND_DESIGN = 3;
    uint8 internal constant KIND_TRADEMARK = 4;
    uint8 internal constant KIND_COPYRIGHT = 5;
    uint8 internal constant KIND_SOFTWARE = 6;
    uint8 internal constant KIND_TRADE_SECRET = 7;
    uint8 internal constant MAX_ASSET_KIND = 7;

    // Asset status (third indexed topic of StatusChanged).
    uint8 internal constant STATUS_PENDING = 1; // application filed, not granted
    uint8 internal constant STATUS_ACTIVE = 2; // granted / registered and in force
    uint8 internal constant STATUS_LAPSED = 3; // fees unpaid
    uint8 internal constant STATUS_INVALIDATED = 4;
    uint8 internal constant STATUS_EXPIRED = 5;
    uint8 internal constant STATUS_OWNERSHIP_DISPUTE = 6;
    uint8 internal constant STATUS_INFRINGEMENT_DISPUTE = 7;
    uint8 internal constant MAX_STATUS = 7;

    // Transaction kinds (third indexed topic of TxRecorded and RecordVoided).
    uint8 internal constant TX_ASSIGNMENT = 1;
    uint8 internal constant TX_LICENCE = 2;
    uint8 internal constant TX_PLEDGE = 3;
    uint8 internal constant TX_RELEASE = 4;
    uint8 internal constant TX_AUCTION = 5;
    uint8 internal constant MAX_TX_KIND = 5;

    // Exclusivity of a licence.
    uint8 internal constant NON_EXCLUSIVE = 0;
    uint8 internal constant SOLE = 1;
    uint8 internal constant EXCLUSIVE = 2;

    // Organisation kinds of the directory (0 removes an account).
    uint8 internal constant ORG_REGISTRY = 1;
    uint8 internal constant ORG_EXCHANGE = 2;
    uint8 internal constant ORG_VALUER = 3;
    uint8 internal constant ORG_INSURER = 4;
    uint8 internal constant ORG_AUDITOR = 5;
    uint8 internal constant ORG_HOLDER = 6;
    uint8 internal constant MAX_ORG_KIND = 6;

    // Consent level of a record: who, besides the recorder, signed its terms.
    uint8 internal constant CONSENT_RECORDER = 0;
    uint8 internal constant CONSENT_ONE_PARTY = 1;
    uint8 internal constant CONSENT_BOTH_PARTIES = 2;

    uint256 internal constant MAX_BATCH = 1000;
    uint16 internal constant MAX_BPS = 10_000;
}

/// @notice Every rejection of the contracts of record (OpenZeppelin's
///         AccessControlUnauthorizedAccount and EnforcedPause come on top).
interface ILedgerErrors {
    error UnknownAsset(bytes32 assetId);
    error DuplicateAsset(bytes32 assetId);
    error AssetInactive(bytes32 assetId, uint8 status);
    error AssetDisputed(bytes32 assetId, uint8 status);
    error SellerNotOwner(bytes32 assetId, address seller, address owner);
    error ZeroAmount(bytes32 assetId, uint8 kind);
    error FutureDate(uint40 date, uint256 blockTime);
    error DateBeforeFiling(uint40 date, uint40 filingDate);
    error UnknownRecord(uint64 recordId);
    error AlreadyVoid(uint64 recordId);
    error MalformedBatch(uint256 length, uint256 maxLength);
    error InvalidKind(uint8 kind);
    error InvalidStatus(uint8 status);
    error InvalidCurrency(bytes3 currency);
    error InvalidRoyalty(uint16 royaltyBps);
    error InvalidTerm(uint40 date, uint40 termEnd);
    error InvalidParty(address party);
    error InvalidDates(uint40 filingDate, uint40 grantDate, uint40 expiryDate);
    error RecordKindMismatch(uint64 recordId, uint8 expected, uint8 actual);
    error EmptyHash();
    error InvalidRange(uint128 low, uint128 value, uint128 high);
    error InvalidExclusivity(uint8 exclusivity);
    error InvalidReference(uint64 ref);
    error InvalidTerritory(bytes2 territory);
    // Invariants over a record's history (see docs/decisions/0010-trust-invariants.md).
    error NonCanonicalNumber(string registryNumber);
    error InvalidTransition(bytes32 assetId, uint8 from, uint8 to);
    error StatusDateBackwards(uint40 date, uint40 lastDate);
    error RecordAssetMismatch(uint64 recordId, bytes32 assetId);
    /// @dev `recordId` is not the asset's latest live transfer, or `seller` is not its seller.
    error NotLatestTransfer(uint64 recordId, address seller);
    error PartiesChanged(uint64 recordId);
    /// @dev A release between other parties than its pledge's (`from` pledgor, `to` pledgee).
    error ReleasePartiesMismatch(uint64 pledgeId, address from, address to);
    error UnknownCurrency(bytes3 currency);
    error InvalidOrganisation(address account);
    // Party consent (EIP-712).
    error ConsentExpired(address signer, uint256 deadline);
    error InvalidConsent(address signer);
    /// @dev The consent nonce (the sender's address, top 160 bits, and the signed counter) was
    ///      spent before: a replayed signature.
    error ConsentNonceUsed(address signer, uint256 nonce);
    /// @dev The packed consents end early, run on past the last record, or name a role other than
    ///      `from` and `to`, at byte `offset`.
    error MalformedConsents(uint256 offset);
    error OwnerConsentRequired(bytes32 assetId, address owner);
}
