"""`ipledger witness save|anchor`: what an auditor keeps, and its hash on another chain."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from ipledger.cli._common import JsonOpt, ProfileOpt, console, load, print_json

witness_app = typer.Typer(help="Witnesses: pin a chain state to audit against later (--witness, --witness-from).")


def register(app: typer.Typer) -> None:
    app.add_typer(witness_app, name="witness")


@witness_app.command("save")
def save(
    path: Annotated[Path, typer.Argument(help="Where to write the witness (JSON).")],
    profile: ProfileOpt = None,
    block: Annotated[
        int | None, typer.Option("--block", help="Witness this block instead of the chain head.", min=0)
    ] = None,
    json_out: JsonOpt = False,
) -> None:
    """Write chain id, genesis hash, contract addresses, deployment block, a head block and both
    accumulators there, after checking the accumulators against the logs. Keep it where the data
    folder's holder cannot reach, or anchor it."""
    from ipledger.audit.witness import save_witness
    from ipledger.chain.connect import connect, open_backend
    from ipledger.chain.deploy import Deployment

    prof = load(profile)
    with open_backend(prof) as backend:
        client = connect(prof, backend)
        deployment = Deployment.from_file(prof.deployment_file)
        witness = save_witness(backend, client.ledger_address, client.registry_address, deployment.block, head=block)
    witness.write(path)
    if json_out:
        print_json(witness.to_dict())
        return
    console.print(
        f"witness of block {witness.head_block} ({witness.head_block_hash}) on chain {witness.chain_id} "
        f"written to {path}",
        highlight=False,
    )
    console.print(f"witness hash 0x{witness.digest.hex()}", highlight=False)


@witness_app.command("anchor")
def anchor(
    path: Annotated[Path, typer.Argument(help="The witness file to anchor.")],
    to: Annotated[str, typer.Option("--to", help="Profile of the chain to anchor on (another chain).")],
    json_out: JsonOpt = False,
) -> None:
    """Record the witness hash on another chain as a self-transaction of that profile's account,
    and keep the witness in that profile's folder for `ipledger audit --witness-from PROFILE`."""
    from ipledger.audit.anchor import anchor_witness
    from ipledger.audit.witness import load_witness
    from ipledger.chain.connect import open_backend
    from ipledger.errors import ConfigError

    witness = load_witness(path)
    prof = load(to)
    with open_backend(prof) as backend:
        if backend.chain_id == witness.chain_id:
            raise ConfigError(
                f"profile {to!r} is on chain {backend.chain_id}, the witnessed chain itself: anchor on another chain"
            )
        record = anchor_witness(backend, witness, prof.data_dir)
    data = {**record.to_dict()["anchor"], "witness_hash": "0x" + witness.digest.hex(), "kept_in": str(record.path)}
    if json_out:
        print_json(data)
        return
    console.print(
        f"witness hash {data['witness_hash']} anchored on chain {record.chain_id} in transaction {record.tx_hash} "
        f"(block {record.block_number}); kept in {record.path}",
        highlight=False,
    )
