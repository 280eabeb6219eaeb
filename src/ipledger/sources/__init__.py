"""Where data come from besides the chain's users: the generated market and its writer, and
importers of published data (CUAD licences).

Nothing here values anything: :mod:`ipledger.valuation` reads the ledger, whatever filled it.
"""

from __future__ import annotations

__all__: list[str] = []
