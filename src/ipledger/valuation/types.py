"""Result types shared by the valuation methods, the report and the insurance pricing."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any


@dataclass(frozen=True)
class MethodResult:
    """One approach's value with its range, in major currency units.

    Attributes:
        method: ``"market"``, ``"income"`` or ``"cost"``.
        value: point estimate.
        low: lower end of the method's range (e.g. the 10th percentile).
        high: upper end of the method's range (e.g. the 90th percentile).
        n_data: how many data points (comparables, licences, cost items) support it.
        sufficient: False when the data are too few to rely on (the reconciliation then gives
            the method no weight and says so in ``warnings``).
        details: method-specific inputs and intermediate figures, JSON-serialisable.
        warnings: plain-language caveats.
        weight: the method's weight in the reconciled value (a fraction, the weights of one
            valuation sum to 1); None until :func:`ipledger.valuation.reconcile.reconcile`
            sets it.
    """

    method: str
    value: float
    low: float
    high: float
    n_data: int = 0
    sufficient: bool = True
    details: dict[str, Any] = field(default_factory=dict)
    warnings: tuple[str, ...] = ()
    weight: float | None = None
