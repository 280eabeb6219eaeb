"""`ipledger sign` then `ipledger import transactions`: the parties' consent reaches the chain."""

from __future__ import annotations

import csv
import json
from pathlib import Path

from eth_account import Account

from tests.e2e.conftest import CLI

SELLER = Account.from_key(b"\x0a" * 32)
BUYER = Account.from_key(b"\x0b" * 32)


def test_both_parties_sign_offline_and_import(cli: CLI, tmp_path: Path) -> None:
    (tmp_path / "a.key").write_text(SELLER.key.hex())
    (tmp_path / "b.key").write_text(BUYER.key.hex())
    (tmp_path / "assets.csv").write_text(
        "jurisdiction,kind,registry_number,class_code,filing_date,grant_date,expiry_date,status,owner\n"
        f"CN,invention,ZL 2018 1001 2345.6,A61K31/00,2018-03-01,2020-06-01,2038-03-01,active,{SELLER.address}\n"
    )
    cli("import", "assets", "assets.csv")
    (tmp_path / "tx.csv").write_text(
        "asset,kind,seller,buyer,date,currency,amount,royalty_rate,exclusivity,territory,term_end\n"
        f"ZL201810012345.6,assignment,{SELLER.address},{BUYER.address},2022-02-01,CNY,12000000,,,,\n"
    )
    cli("sign", "tx.csv", "--key-file", "a.key", "--out", "s1.csv")
    out = json.loads(cli("sign", "s1.csv", "--key-file", "b.key", "--out", "s2.csv", "--json").stdout)
    assert out["signed"] == 1 and out["signer"] == BUYER.address
    # A signed price cannot be changed afterwards: the contract refuses the row.
    tampered = (tmp_path / "s2.csv").read_text().replace("12000000", "1200")
    (tmp_path / "bad.csv").write_text(tampered)
    bad = cli("import", "transactions", "bad.csv", check=False)
    assert bad.returncode != 0 and "InvalidConsent" in bad.stderr
    cli("import", "transactions", "s2.csv")
    hist = json.loads(cli("history", "ZL201810012345.6", "--json").stdout)["records"]
    sale = [h for h in hist if h["event"] == "assignment"]
    assert sale and sale[0]["consent"] == 2 and "signed by both parties" in sale[0]["text"]
    key_text = SELLER.key.hex().removeprefix("0x")
    assert key_text not in (tmp_path / "s2.csv").read_text()


def test_a_signature_names_its_recorder(cli: CLI, tmp_path: Path) -> None:
    """Signed for another recorder (`--recorder`), the file cannot be imported by this one."""
    (tmp_path / "a.key").write_text(SELLER.key.hex())
    (tmp_path / "assets.csv").write_text(
        "jurisdiction,kind,registry_number,class_code,filing_date,grant_date,expiry_date,status,owner\n"
        f"CN,invention,ZL 2018 1001 2345.6,A61K31/00,2018-03-01,2020-06-01,2038-03-01,active,{SELLER.address}\n"
    )
    cli("import", "assets", "assets.csv")
    (tmp_path / "tx.csv").write_text(
        "asset,kind,seller,buyer,date,currency,amount,royalty_rate,exclusivity,territory,term_end\n"
        f"ZL201810012345.6,licence,{SELLER.address},{BUYER.address},2022-02-01,CNY,12000000,0.05,,CN,\n"
    )
    other = "0x" + "77" * 20
    cli("sign", "tx.csv", "--key-file", "a.key", "--out", "s.csv", "--recorder", other, "--nonce", "7")
    nonce = int(next(csv.DictReader((tmp_path / "s.csv").open()))["seller_nonce"])
    assert nonce == int(other, 16) << 96 | 7
    refused = cli("import", "transactions", "s.csv", check=False)
    assert refused.returncode != 0 and "only that recorder can submit it" in refused.stderr
