"""The public development keys, and the rule that keeps them on development chains.

Anyone can sign with these keys: anvil's and hardhat's accounts come from the published mnemonic
``test test test test test test test test test test test junk``, and eth-tester's from the
private keys 1, 2, 3, ... A ledger whose admin or recorder is one of them has no access control
at all, so ipledger refuses to send from them on any chain other than the embedded chain and
anvil's default chain id, unless told ``--allow-dev-keys``.
"""

from __future__ import annotations

from functools import cache

from eth_keys import keys

from ipledger.errors import ConfigError

#: The published test mnemonic of anvil and hardhat.
DEV_MNEMONIC = "test test test test test test test test test test test junk"

#: Its first 20 accounts (m/44'/60'/0'/0/i), hardhat's default count; a test re-derives them.
MNEMONIC_ADDRESSES = (
    "0xf39Fd6e51aad88F6F4ce6aB8827279cffFb92266",
    "0x70997970C51812dc3A010C7d01b50e0d17dc79C8",
    "0x3C44CdDdB6a900fa2b585dd299e03d12FA4293BC",
    "0x90F79bf6EB2c4f870365E785982E1f101E93b906",
    "0x15d34AAf54267DB7D7c367839AAf71A00a2C6A65",
    "0x9965507D1a55bcC2695C58ba16FB37d819B0A4dc",
    "0x976EA74026E726554dB657fA54763abd0C3a0aa9",
    "0x14dC79964da2C08b23698B3D3cc7Ca32193d9955",
    "0x23618e81E3f5cdF7f54C3d65f7FBc0aBf5B21E8f",
    "0xa0Ee7A142d267C1f36714E4a8F75612F20a79720",
    "0xBcd4042DE499D14e55001CcbB24a551F3b954096",
    "0x71bE63f3384f5fb98995898A86B02Fb2426c5788",
    "0xFABB0ac9d68B0B445fB7357272Ff202C5651694a",
    "0x1CBd3b2770909D4e10f157cABC84C7264073C9Ec",
    "0xdF3e18d64BC6A983f673Ab319CCaE4f1a57C7097",
    "0xcd3B766CCDd6AE721141F452C550Ca635964ce71",
    "0x2546BcD3c84621e976D8185a91A922aE77ECEc30",
    "0xbDA5747bFD65F08deb54cb465eB87D40e51B197E",
    "0xdD2FD4581271e230360230F9337D5c0430Bf44C0",
    "0x8626f6940E2eb28930eFb4CeF49B2d1F2C9C1199",
)

#: eth-tester's keys are the integers 1..N; every key this small is public.
SMALL_KEYS = 100

ANVIL_CHAIN_ID = 31337


@cache
def dev_addresses() -> frozenset[bytes]:
    """Addresses of every public development key (20-byte values)."""
    out = {bytes.fromhex(a[2:]) for a in MNEMONIC_ADDRESSES}
    for i in range(1, SMALL_KEYS + 1):
        out.add(keys.PrivateKey(i.to_bytes(32, "big")).public_key.to_canonical_address())
    return frozenset(out)


def dev_chain_ids() -> frozenset[int]:
    """Chain ids on which the development keys may sign: the embedded chain's and anvil's."""
    from ipledger.chain.embedded import CHAIN_ID

    return frozenset({CHAIN_ID, ANVIL_CHAIN_ID})


def is_dev_key(address: bytes) -> bool:
    """True when ``address`` belongs to a public development key."""
    return bytes(address) in dev_addresses()


def check_signer(chain_id: int, address: bytes, *, allow_dev_keys: bool = False) -> None:
    """Refuse to sign from a development key on a chain that is not a development chain.

    Raises:
        ConfigError: ``address`` is a public development key and ``chain_id`` is neither the
            embedded chain's nor anvil's default, and ``allow_dev_keys`` is False.
    """
    if allow_dev_keys or chain_id in dev_chain_ids() or not is_dev_key(address):
        return
    raise ConfigError(
        f"account 0x{bytes(address).hex()} is a public development key (anvil/hardhat/eth-tester) and chain "
        f"{chain_id} is not a development chain: anyone could sign as it; use a keystore account "
        "(`ipledger keys new`) or pass --allow-dev-keys"
    )
