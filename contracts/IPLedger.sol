// SPDX-License-Identifier: Apache-2.0
pragma solidity 0.8.28;

import {LedgerRoles} from "./LedgerRoles.sol";
import {IPRegistry} from "./IPRegistry.sol";
import {TradeLedger} from "./TradeLedger.sol";

/// @title The deployed contract of record: asset registry and transaction ledger in one
///        address, sharing one record sequence and one accumulator.
/// @dev One contract rather than two so that every transaction record checks its asset with a
///      storage read instead of an external call (see docs/decisions/0002-one-ledger-contract.md).
contract IPLedger is TradeLedger {
    constructor(address admin) LedgerRoles(admin, 0) {}
}
