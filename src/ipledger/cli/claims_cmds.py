"""`ipledger claims`: record insurance claims on chain, list their state, develop them to ultimate."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated, Any

import typer

from ipledger.cli._common import JsonOpt, ProfileOpt, console, fail, load_existing, print_json

claims_app = typer.Typer(
    help="Insurance claims on chain: record them (insurer role), list each claim's state, and "
    "develop them to ultimate (chain ladder, Bornhuetter-Ferguson, Mack).",
    no_args_is_help=True,
)

COLUMNS = ("incurred", "paid", "reported")


def register(app: typer.Typer) -> None:
    app.add_typer(claims_app, name="claims")


@claims_app.command("record")
def record(
    asset: Annotated[str, typer.Argument(help="Asset id (0x...) or registry number.")],
    policy: Annotated[str, typer.Argument(help="Hash of the anchored quote or policy the claim is under.")],
    kind: Annotated[str, typer.Argument(help="opened, reserved, paid, recovered, award_shared or closed.")],
    amount: Annotated[
        float,
        typer.Argument(help="Major units: the case reserve (opened, reserved), the payment, the recovery; 0 to close."),
    ],
    ref: Annotated[str, typer.Option("--ref", help="The insurer's claim reference (all events of one claim).")],
    head: Annotated[str, typer.Option(help="Cost head of a payment (legal, direct_loss, ...).")] = "legal",
    date: Annotated[
        str | None, typer.Option(help="YYYY-MM-DD: the date of loss for `opened`, else the event's date; default now.")
    ] = None,
    currency: Annotated[str, typer.Option(help="ISO 4217 currency code.")] = "CNY",
    document: Annotated[
        Path | None,
        typer.Option(help="A file kept with the claim (notice, invoice, judgment); its hash goes on chain."),
    ] = None,
    profile: ProfileOpt = None,
    json_out: JsonOpt = False,
) -> None:
    """Record one claim event on chain under an anchored quote or policy of the asset. The
    policy must be anchored on this ledger for this asset (the audit flags claims that are not)."""
    from ipledger.insurance.claims import KINDS
    from ipledger.ledger import Ledger
    from ipledger.workflows import record_claim

    if kind not in KINDS:
        fail(f"unknown claim event {kind!r} (events: {', '.join(KINDS)})")
    if amount < 0:
        fail(f"a claim amount is never negative (got {amount:g}); record recoveries as `recovered`")
    body = None
    if document is not None:
        if not document.is_file():
            fail(f"no such document: {document}")
        body = document.read_bytes()
    prof = load_existing(profile)
    with Ledger(prof) as ledger:
        ledger.sync(progress=False)
        aid = ledger.resolve_asset(asset)
        policy_hash = _anchored_policy(ledger, aid, policy)
        written = record_claim(
            ledger,
            aid,
            policy_hash,
            kind,
            amount,
            claim_ref=ref,
            head=head,
            date=date,
            currency=currency,
            document=body,
        )
    out = {
        "asset_id": aid,
        "policy_hash": policy_hash,
        "claim_ref": ref,
        "kind": kind,
        "amount": amount,
        "currency": currency,
        "block_number": written.block_number,
        "tx_hash": "0x" + written.tx_hash.hex(),
    }
    if json_out:
        print_json(out)
    else:
        console.print(f"claim {ref}: {kind} {amount:,.2f} {currency} recorded in block {written.block_number}")


@claims_app.command("list")
def list_claims(
    as_of: Annotated[
        str | None, typer.Option("--as-of", help="State at this date (YYYY-MM-DD); default today.")
    ] = None,
    policy: Annotated[str | None, typer.Option(help="Only the claims under this policy hash.")] = None,
    profile: ProfileOpt = None,
    json_out: JsonOpt = False,
) -> None:
    """Each claim's position at a date: paid, case reserve, recoveries, awards shared, incurred."""
    from ipledger.insurance import claims as clm

    tx, _ = _read(profile, policy)
    st = clm.states(tx, as_of) if len(tx) else tx
    rows = [] if not len(st) else st.to_dict(orient="records")
    if json_out:
        print_json(rows)
        return
    from rich.table import Table

    table = Table(title=f"claims ({len(rows)}; a claim is named by the hash of its reference)")
    for col in ("claim", "policy", "loss date", "paid", "case reserve", "recovered", "award shared", "incurred", ""):
        table.add_column(col, justify="right" if col not in ("claim", "policy", "loss date", "") else "left")
    for r in rows:
        table.add_row(
            str(r["claim_ref"])[:14] + "…",
            str(r["policy_hash"])[:12] + "…",
            str(r["loss_date"])[:10],
            *(f"{float(r[k]):,.2f}" for k in ("paid", "case_reserve", "recovered", "award_shared", "incurred")),
            "closed" if r["closed"] else "open",
        )
    console.print(table)


@claims_app.command("triangle")
def triangle(
    column: Annotated[str, typer.Option(help="incurred, paid or reported (claim counts).")] = "incurred",
    expected_lr: Annotated[
        float | None,
        typer.Option(
            "--expected-lr",
            help="Prior expected loss ratio: enables Bornhuetter-Ferguson against the gross premium of the "
            "policies anchored in each accident year.",
        ),
    ] = None,
    tail: Annotated[
        float | None,
        typer.Option(help="Development factor beyond the last age (default: the pricing's reporting pattern)."),
    ] = None,
    policy: Annotated[str | None, typer.Option(help="Only the claims under this policy hash.")] = None,
    profile: ProfileOpt = None,
    json_out: JsonOpt = False,
) -> None:
    """The accident-year development triangle of the claims on chain (year-end valuations) and
    its development to ultimate with the `chainladder` package: chain-ladder ultimate and IBNR,
    Bornhuetter-Ferguson with `--expected-lr`, and Mack's standard error when the triangle is
    large enough (three accident years and three ages)."""
    from ipledger.insurance import claims as clm
    from ipledger.insurance.development import develop

    if column not in COLUMNS:
        fail(f"unknown triangle column {column!r} (columns: {', '.join(COLUMNS)})")
    if expected_lr is not None and not 0 < expected_lr < 10:
        fail(f"--expected-lr is a ratio such as 0.6 (got {expected_lr:g})")
    tx, anchors = _read(profile, policy)
    if not len(tx):
        fail("no claims recorded on this ledger yet (ipledger claims record ...)")
    frame = clm.development_frame(tx)
    expected = None
    if expected_lr is not None:
        if column == "reported":
            fail("Bornhuetter-Ferguson on claim counts needs expected counts, not a loss ratio")
        expected = _premium_by_year(anchors) * expected_lr
        missing = sorted(set(frame["origin"]) - set(expected.index))
        if missing:
            fail(
                f"no anchored premium for accident year(s) {', '.join(missing)}: Bornhuetter-Ferguson needs a "
                "prior for every year (or drop --expected-lr for the chain ladder alone)"
            )
    res = develop(frame, column, expected=expected, tail=tail)
    wide = frame.pivot(index="origin", columns="valuation", values=column).sort_index()
    data: dict[str, Any] = {
        "column": column,
        "triangle": {
            o: {str(_year(v)): (None if val != val else float(val)) for v, val in row.items()}
            for o, row in wide.iterrows()
        },
        "origin": list(res.origin),
        "latest": res.latest.tolist(),
        "cdf": res.cdf.tolist(),
        "ultimate_cl": res.ultimate_cl.tolist(),
        "ibnr_cl": res.ibnr_cl.tolist(),
        "ultimate_bf": None if res.ultimate_bf is None else res.ultimate_bf.tolist(),
        "ibnr_bf": None if res.ibnr_bf is None else res.ibnr_bf.tolist(),
        "mack_std_err": None if res.mack_std_err != res.mack_std_err else res.mack_std_err,
    }
    if json_out:
        print_json(data)
        return
    from rich.table import Table

    tri = Table(title=f"cumulative {column} by accident year (rows) at year end (columns)")
    tri.add_column("accident year")
    for v in wide.columns:
        tri.add_column(str(_year(v)), justify="right")
    for o, row in wide.iterrows():
        tri.add_row(str(o), *("" if val != val else f"{float(val):,.0f}" for val in row.to_numpy()))
    console.print(tri)
    dev = Table(title="development to ultimate (chainladder)")
    for col in ("accident year", "latest", "CDF", "ultimate (CL)", "IBNR (CL)") + (
        ("ultimate (BF)", "IBNR (BF)") if res.ultimate_bf is not None else ()
    ):
        dev.add_column(col, justify="left" if col == "accident year" else "right")
    for i, o in enumerate(res.origin):
        cells = [
            o,
            f"{res.latest[i]:,.0f}",
            f"{res.cdf[i]:.3f}",
            f"{res.ultimate_cl[i]:,.0f}",
            f"{res.ibnr_cl[i]:,.0f}",
        ]
        if res.ultimate_bf is not None and res.ibnr_bf is not None:
            cells += [f"{res.ultimate_bf[i]:,.0f}", f"{res.ibnr_bf[i]:,.0f}"]
        dev.add_row(*cells)
    console.print(dev)
    mack = data["mack_std_err"]
    console.print(
        f"Mack standard error of the total reserve: {mack:,.0f}"
        if mack is not None
        else "Mack standard error: needs three accident years and three development ages"
    )


def _year(value: Any) -> int:
    import pandas as pd

    return int(pd.Timestamp(value).year)


def _read(profile: str | None, policy: str | None) -> tuple[Any, Any]:
    """The claim transactions (only under ``policy`` when given) and the anchors, from one synced
    ledger."""
    from ipledger.insurance import claims as clm
    from ipledger.ledger import Ledger

    with Ledger(load_existing(profile)) as ledger:
        ledger.sync(progress=False)
        tx = clm.from_ledger(ledger.claims())
        anchors = ledger.anchors()
    if policy:
        tx = tx[tx["policy_hash"] == _hash_text(policy)]
    return tx, anchors


def _hash_text(text: str) -> str:
    h = text.strip().lower().removeprefix("0x")
    if len(h) != 64 or any(c not in "0123456789abcdef" for c in h):
        fail(f"malformed policy hash {text!r} (expected 0x and 64 hex digits)")
    return "0x" + h


def _anchored_policy(ledger: Any, asset_id: str, policy: str) -> str:
    """The policy hash, when a quote or policy with it is anchored for this asset; else one line."""
    from ipledger.chain.codes import AnchorKind

    h = _hash_text(policy)
    a = ledger.anchors()
    kinds = {int(AnchorKind.QUOTE), int(AnchorKind.POLICY)}
    mine = a[(a["asset_id"].str.lower() == asset_id.lower()) & a["kind"].astype(int).isin(kinds)] if len(a) else a
    if not len(mine) or h not in set(mine["report_hash"].str.lower()):
        fail(f"{h} is not an anchored quote or policy of asset {asset_id} (anchor it first: ipledger quote --anchor)")
    return h


def _premium_by_year(a: Any) -> Any:
    """Gross premium of the quotes and policies anchored (the anchors frame ``a``), by the year
    they were anchored (the accident year they cover), in major units."""
    import pandas as pd

    from ipledger.chain.codes import AnchorKind
    from ipledger.money import to_major

    if not len(a):
        return pd.Series(dtype=float)
    policies = a[a["kind"].astype(int) == int(AnchorKind.POLICY)]
    use = policies if len(policies) else a[a["kind"].astype(int) == int(AnchorKind.QUOTE)]
    years = pd.to_datetime(use["as_of"].astype("int64"), unit="s").dt.year.astype(str)
    # A quote's anchor keeps (sum insured, gross premium, net premium) as (value, low, high).
    gross = [to_major(int(v), str(c)) for v, c in zip(use["low"], use["currency"], strict=True)]
    return pd.Series(gross, index=years.to_numpy()).groupby(level=0).sum()
