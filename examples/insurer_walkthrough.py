"""An insurer's walk through the Python API, notebook style: run it cell by cell, or whole.

    python examples/insurer_walkthrough.py           # after `make demo` (uses its ledger)

It opens the ledger the demo wrote, picks an asset, values it, prices three products for two
risk profiles, anchors one quote, and audits the result.
"""

# %% Open the ledger and bring it up to date
import ipledger
from ipledger.insurance import PRODUCTS
from ipledger.workflows import anchor_quote, risk_profile_for

ledger = ipledger.Ledger.open("local")
ledger.sync(progress=False)
assets = ledger.assets()
print(f"{len(assets):,} assets, {len(ledger.transactions()):,} live transactions")

# %% Pick a granted invention patent with trading history
tx = ledger.transactions()
active = assets[(assets["kind"] == "invention") & (assets["status"] == "active")]
counts = tx.groupby("asset_id").size()
asset_id = active.assign(n=active["asset_id"].map(counts)).sort_values("n", ascending=False).iloc[0]["asset_id"]
print(ledger.history(asset_id).tail(5)[["record_id", "event", "date", "detail"]])

# %% Value it: market, income and cost approaches, reconciled
valuation = ipledger.value_asset(ledger, asset_id, inputs={"revenue": 40_000_000.0, "revenue_growth": 0.03})
print(f"value {valuation.value:,.0f} {valuation.currency} (range {valuation.low:,.0f} to {valuation.high:,.0f})")
print({m.method: round(valuation.weights.get(m.method, 0.0), 2) for m in valuation.methods})

# %% Price products for a domestic SME and for an exporter to the US
for firm, markets in (("sme", ()), ("sme", ("US",))):
    risk = risk_profile_for(ledger, asset_id, firm_type=firm, export_markets=markets)
    for product in ("enforcement", "infringement_liability", "small_micro_patent_guard"):
        if product not in PRODUCTS:
            continue
        q = ipledger.quote(valuation, product, risk)
        si, gross, net = q.anchor_figures()
        exports = ",".join(markets) or "-"
        figures = f"sum insured {si:>12,.0f}  gross {gross:>9,.0f}  net {net:>9,.0f}"
        print(f"{product:<26} exports={exports:<3} {figures}")

# %% Anchor the enforcement quote on chain (insurer role) and audit everything
q = ipledger.quote(valuation, "enforcement", risk_profile_for(ledger, asset_id))
anchored = anchor_quote(ledger, q, asset_id, valuation.state_block)
print(f"quote anchored in block {anchored.block_number}")
ledger.sync(progress=False)
report = ipledger.audit_ledger(ledger)
print("audit passed" if report.passed else "audit FAILED")
ledger.close()
