"""`ipledger init`, `ipledger deploy`, `ipledger chain status`."""

from __future__ import annotations

from pathlib import Path

import typer

from ipledger.cli._common import JsonOpt, ProfileOpt, console, load, load_existing, print_json

chain_app = typer.Typer(rich_markup_mode="markdown", help="Inspect the chain behind a profile.", no_args_is_help=True)


def register(app: typer.Typer) -> None:
    app.command("init")(init)
    app.command("deploy")(deploy_cmd)
    app.add_typer(chain_app, name="chain")


def init(profile: ProfileOpt = None, json_out: JsonOpt = False) -> None:
    """Create ipledger.toml (if missing), the embedded chain and the contracts. Safe to rerun."""
    from ipledger.chain.connect import ensure_deployed, open_backend
    from ipledger.config import CONFIG_FILE, DEFAULT_TOML, find_config

    created_config = False
    if find_config() is None:
        Path(CONFIG_FILE).write_text(DEFAULT_TOML)
        created_config = True
    prof = load(profile)
    prof.data_dir.mkdir(parents=True, exist_ok=True)
    with open_backend(prof) as backend:
        deployment, fresh = ensure_deployed(prof, backend)
        head = backend.head()
    info = {
        "profile": prof.name,
        "config_created": created_config,
        "data_dir": str(prof.data_dir),
        "deployed": fresh,
        "IPLedger": "0x" + deployment.ledger.hex(),
        "ValuationRegistry": "0x" + deployment.registry.hex(),
        "head": head,
    }
    if json_out:
        print_json(info)
        return
    verb = "deployed" if fresh else "already deployed"
    console.print(f"[green]ready[/]: profile [bold]{prof.name}[/] ({prof.backend}) in {prof.data_dir}")
    console.print(f"contracts {verb}: IPLedger {info['IPLedger']}, ValuationRegistry {info['ValuationRegistry']}")


def deploy_cmd(
    profile: ProfileOpt = None,
    force: bool = typer.Option(False, "--force", help="Deploy new contracts even if the recorded ones answer."),
    json_out: JsonOpt = False,
) -> None:
    """Deploy the contracts of record on the profile's chain and record their addresses."""
    from ipledger.chain.connect import ensure_deployed, open_backend
    from ipledger.chain.deploy import deploy

    prof = load(profile)
    prof.data_dir.mkdir(parents=True, exist_ok=True)
    with open_backend(prof) as backend:
        if force:
            deployment = deploy(backend, admin_delay=prof.effective_admin_delay)
            prof.deployment_file.write_text(deployment.to_json())
            fresh = True
        else:
            deployment, fresh = ensure_deployed(prof, backend)
    data = {
        "IPLedger": "0x" + deployment.ledger.hex(),
        "ValuationRegistry": "0x" + deployment.registry.hex(),
        "new": fresh,
    }
    if json_out:
        print_json(data)
    else:
        console.print(
            ("deployed" if fresh else "already deployed") + f": {data['IPLedger']} / {data['ValuationRegistry']}"
        )


@chain_app.command("status")
def status(profile: ProfileOpt = None, json_out: JsonOpt = False) -> None:
    """Head block, contract addresses, record counts and accumulators."""
    from ipledger.chain.connect import connect, open_backend

    prof = load_existing(profile)
    with open_backend(prof) as backend:
        head = backend.head()
        block = backend.block(head)
        info: dict[str, object] = {
            "profile": prof.name,
            "backend": prof.backend,
            "chain_id": backend.chain_id,
            "head": head,
            "head_hash": "0x" + block.hash.hex(),
        }
        if prof.deployment_file.is_file():
            client = connect(prof, backend)
            info.update(
                {
                    "IPLedger": "0x" + client.ledger_address.hex(),
                    "ValuationRegistry": "0x" + client.registry_address.hex(),
                    "ledger_records": client.record_count(),
                    "registry_records": client.record_count("registry"),
                    "ledger_accumulator": "0x" + client.accumulator().hex(),
                    "registry_accumulator": "0x" + client.accumulator("registry").hex(),
                    "paused": client.paused(),
                }
            )
    if json_out:
        print_json(info)
        return
    from rich.table import Table

    table = Table(title=f"chain status: {prof.name}", show_header=False)
    for k, v in info.items():
        table.add_row(k, str(v))
    console.print(table)
