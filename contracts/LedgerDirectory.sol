// SPDX-License-Identifier: Apache-2.0
pragma solidity 0.8.28;

import {LedgerRoles} from "./LedgerRoles.sol";
import {LedgerTypes, ILedgerErrors} from "./LedgerTypes.sol";

/// @title Admin-maintained reference data: the ISO 4217 currencies and the organisation directory.
/// @notice Neither is a record (their events do not extend the accumulator); both are set by the
///         default admin, whose hand-over is two-step and delayed on shared chains.
abstract contract LedgerDirectory is LedgerRoles, ILedgerErrors {
    struct Organisation {
        string orgId; // the organisation's own identifier, e.g. a unified social credit code
        string name;
        uint8 kind; // LedgerTypes.ORG_*
    }

    /// @notice An account joined, changed or (kind 0) left the organisation directory.
    event OrganisationSet(address indexed account, string orgId, string name, uint8 kind);
    /// @notice Currency codes were allowed or withdrawn (one log per call, so that seeding the
    ///         whole ISO 4217 list stays one log for log-range-limited providers).
    event CurrenciesSet(bytes3[] currencies, bool allowed);

    // One bit per code: index (c0-'A')*676 + (c1-'A')*26 + (c2-'A') < 17,576, 256 codes a word,
    // so that a batch of records in one currency reads one warm word.
    mapping(uint256 => uint256) internal _currencyBits;
    mapping(address => Organisation) private _orgs;

    // ------------------------------------------------------------------ writes

    /// @notice Allows (or withdraws) ISO 4217 alphabetic codes; three capital letters each.
    function setCurrencies(bytes3[] calldata codes, bool allowed) external onlyRole(DEFAULT_ADMIN_ROLE) {
        for (uint256 i; i < codes.length; ++i) {
            _setCurrency(codes[i], allowed);
        }
        emit CurrenciesSet(codes, allowed);
    }

    /// @notice Names the organisation behind `account`; kind 0 removes the account.
    function setOrganisation(address account, string calldata orgId, string calldata name, uint8 kind)
        external
        onlyRole(DEFAULT_ADMIN_ROLE)
    {
        if (account == address(0) || kind > LedgerTypes.MAX_ORG_KIND) revert InvalidOrganisation(account);
        if (kind != 0 && (bytes(orgId).length == 0 || bytes(name).length == 0)) revert InvalidOrganisation(account);
        if (kind == 0) {
            delete _orgs[account];
            emit OrganisationSet(account, "", "", 0);
        } else {
            _orgs[account] = Organisation(orgId, name, kind);
            emit OrganisationSet(account, orgId, name, kind);
        }
    }

    // ------------------------------------------------------------------ views

    function isCurrency(bytes3 c) public view returns (bool) {
        uint256 idx = _currencyIndex(c);
        return idx != type(uint256).max && (_currencyBits[idx >> 8] >> (idx & 255)) & 1 == 1;
    }

    function organisationOf(address account) external view returns (Organisation memory) {
        return _orgs[account];
    }

    // ------------------------------------------------------------------ internals

    /// @dev Bit index of a code of three capitals, or type(uint256).max for anything else.
    function _currencyIndex(bytes3 c) internal pure returns (uint256 idx) {
        assembly ("memory-safe") {
            let v := shr(232, c)
            let a := sub(shr(16, v), 65)
            let b := sub(and(shr(8, v), 0xff), 65)
            let d := sub(and(v, 0xff), 65)
            idx := add(add(mul(a, 676), mul(b, 26)), d)
            if or(or(gt(a, 25), gt(b, 25)), gt(d, 25)) { idx := not(0) }
        }
    }

    function _setCurrency(bytes3 c, bool allowed) internal {
        uint256 idx = _currencyIndex(c);
        if (idx == type(uint256).max) revert InvalidCurrency(c);
        if (allowed) {
            _currencyBits[idx >> 8] |= 1 << (idx & 255);
        } else {
            _currencyBits[idx >> 8] &= ~(1 << (idx & 255));
        }
    }

    function _requireCurrency(bytes3 c) internal view {
        uint256 idx = _currencyIndex(c);
        if (idx == type(uint256).max) revert InvalidCurrency(c);
        if ((_currencyBits[idx >> 8] >> (idx & 255)) & 1 == 0) revert UnknownCurrency(c);
    }
}
