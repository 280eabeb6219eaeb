// SPDX-License-Identifier: Apache-2.0
pragma solidity 0.8.28;

import {LedgerRoles} from "./LedgerRoles.sol";
import {IPRegistry} from "./IPRegistry.sol";
import {ConsentLedger} from "./ConsentLedger.sol";

/// @title The deployed contract of record: asset registry and transaction ledger in one
///        address, sharing one record sequence and one accumulator.
/// @dev One contract rather than two so that every transaction record checks its asset with a
///      storage read instead of an external call (see docs/decisions/0002-one-ledger-contract.md).
contract IPLedger is ConsentLedger {
    /// @param admin default admin (roles, currencies, organisations)
    /// @param adminDelay seconds a new admin waits before accepting (0 only on development chains)
    /// @param currencies ISO 4217 alphabetic codes allowed from the start
    constructor(address admin, uint48 adminDelay, bytes3[] memory currencies)
        LedgerRoles(admin, adminDelay)
        IPRegistry("ipledger.IPLedger.v2")
    {
        for (uint256 i; i < currencies.length; ++i) {
            _setCurrency(currencies[i], true);
        }
        emit CurrenciesSet(currencies, true);
    }

    /// @notice Whether `assetId` is registered and `currency` is allowed: the one call the
    ///         ValuationRegistry makes per anchor or claim.
    function checkAssetAndCurrency(bytes32 assetId, bytes3 currency) external view returns (bool known, bool allowed) {
        return (_assets[assetId] != 0, isCurrency(currency));
    }
}
