"""No key material reaches output, errors, --debug tracebacks, logs, reports or written files.

The CLI runs as a user runs it, signing with a keystore account imported through `ipledger keys
import`, with every library logger at DEBUG into a file; then every byte of output and every file
in the folder is searched for the private key (hex either case, and raw bytes) and the password.
"""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

from tests.e2e.conftest import CLI
from tests.e2e.test_import import ASSETS

KEY = "8da4ef21b864d2cc526dbdb2a120bd2874c36c9d0a1fb7f8c63d7f7a8b41de8f"
PASSWORD = "correct horse battery staple 7"
LOGGING = (
    "import logging, sys; logging.basicConfig(filename='debug.log', level=logging.DEBUG); "
    "from ipledger.cli.main import main; sys.argv = ['ipledger', *sys.argv[1:]]; main()"
)
TOML = """\
default_profile = "local"
[profile.local]
backend = "embedded"
data_dir = ".ipledger"
account = "recorder"
password_env = "IPL_TEST_PW"
"""


class LoggedCLI(CLI):
    def cmd(self, *args: str) -> list[str]:
        return [sys.executable, "-c", LOGGING, *args]


@pytest.mark.slow
def test_no_key_material_anywhere(tmp_path: Path) -> None:
    cli = LoggedCLI(tmp_path)
    cli.env["IPL_TEST_PW"] = PASSWORD
    (tmp_path / "ipledger.toml").write_text(TOML)
    key_file = tmp_path / "key.txt"
    key_file.write_text("0x" + KEY + "\n")
    outputs: list[subprocess.CompletedProcess[str]] = []
    imported = cli("--debug", "keys", "import", "recorder", "--key-file", "key.txt", "--password-env", "IPL_TEST_PW")
    outputs.append(imported)
    key_file.unlink()  # the user's own input file, not something ipledger wrote
    (tmp_path / "assets.csv").write_text(ASSETS)
    for args in (
        ("--debug", "keys", "list"),
        ("--debug", "init"),
        ("--debug", "import", "assets", "assets.csv"),
        ("--debug", "sync"),
        ("--debug", "chain", "status"),
        ("--debug", "audit", "--json", "--html", "audit.html"),
        ("--debug", "witness", "save", "witness.json"),
    ):
        outputs.append(cli(*args))
    address = outputs[0].stdout.split()[2]
    assert address.startswith("0x") and address in outputs[1].stdout
    status = cli("chain", "status", "--json").stdout
    assert '"ledger_records": 2' in status

    # Failures with --debug print full tracebacks: a wrong password, a broken CI key, a raw key in the file.
    cli.env["IPL_TEST_PW"] = PASSWORD + "x"
    (tmp_path / "more.csv").write_text(ASSETS.replace("ZL2018100", "ZL2018200").replace("ZL2019200", "ZL2019300"))
    bad = cli("--debug", "import", "assets", "more.csv", check=False)
    assert bad.returncode != 0 and "wrong password" in bad.stderr
    outputs.append(bad)
    cli.env["IPL_TEST_PW"] = PASSWORD
    (tmp_path / "ipledger.toml").write_text(TOML.replace('account = "recorder"', f'private_key = "0x{KEY}"'))
    refused = cli("--debug", "chain", "status", check=False)
    assert refused.returncode != 0 and "raw private_key in ipledger.toml is refused" in refused.stderr
    outputs.append(refused)
    (tmp_path / "ipledger.toml").write_text(TOML)
    cli.env["IPLEDGER_PRIVATE_KEY"] = KEY[:-2] + "zz"
    del cli.env["IPL_TEST_PW"]
    broken = cli("--debug", "chain", "status", check=False)
    outputs.append(broken)
    assert any("Traceback" in p.stderr for p in outputs[-3:])  # --debug did show tracebacks

    needles_text = [KEY, KEY.upper(), KEY[:16], KEY[-16:], PASSWORD]
    needles_bytes = [n.encode() for n in needles_text] + [bytes.fromhex(KEY), PASSWORD.encode("utf-16-le")]
    for proc in outputs:
        for stream in (proc.stdout, proc.stderr):
            for needle in needles_text:
                assert needle.lower() not in stream.lower(), f"key material in the output of {proc.args[3:]}"
    written = [p for p in tmp_path.rglob("*") if p.is_file()]
    assert any(p.name == "debug.log" for p in written) and any(p.suffix == ".sqlite" for p in written)
    assert (tmp_path / "audit.html").is_file() and (tmp_path / "witness.json").is_file()
    for path in written:
        data = path.read_bytes()
        for needle in needles_bytes:
            assert needle not in data and needle.lower() not in data.lower(), f"key material in {path}"
