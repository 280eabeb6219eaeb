"""Reinsurance of a simulated book: per-risk excess of loss, quota share, and an aggregate
stop-loss for the subsidiser; gross and net results, and the capital the net book needs.

Order (decision record 0054): the per-risk excess of loss applies to each policy's share of
each claim; the quota share cedes a fixed share of what the excess of loss leaves; the
subsidiser's aggregate stop-loss pays the insurer's net annual claims above an attachment (a
loss ratio on the net premium), up to a limit. Reinsurance is priced as the simulated ceded
losses times a loading (excess of loss), or the ceded share of premium less a ceding commission
(quota share); the stop-loss is the subsidiser's cost, not a premium.

Capital is ``TVaR_99(S) - E[S]`` of the annual claims ``S`` (the expected shortfall beyond the
mean at 99%); each policy's share is its co-TVaR, ``E[X_i | S >= VaR_99] - E[X_i]``, which
adds up to the total. The risk load is the cost of holding it: ``cost_of_capital x capital``.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from numpy.typing import NDArray

from ipledger.errors import PricingError
from ipledger.insurance.aggregate import Claims

F = NDArray[np.float64]


@dataclass(frozen=True)
class Treaties:
    """Treaty terms (amounts in major units; assumptions sized to the pilot's limits).

    Attributes:
        xol_retention / xol_limit: per risk (policy) and claim: the reinsurer pays
            ``min(max(x - retention, 0), limit)``; ``xol_limit = 0`` switches it off.
        xol_loading: the excess-of-loss price is the expected ceded loss times ``1 + loading``.
        quota_share: share of the retained claims (and of the premium after the excess-of-loss
            premium) ceded.
        qs_commission: ceding commission, a share of the quota-share premium paid back.
        stop_loss_attachment / stop_loss_limit: the subsidiser's aggregate stop-loss, as loss
            ratios on the net premium (pays claims between attachment and attachment + limit).
    """

    xol_retention: float = 500_000.0
    xol_limit: float = 1_500_000.0
    xol_loading: float = 0.5
    quota_share: float = 0.3
    qs_commission: float = 0.3
    stop_loss_attachment: float = 1.1
    stop_loss_limit: float = 1.0

    def __post_init__(self) -> None:
        if not 0.0 <= self.quota_share < 1.0 or not 0.0 <= self.qs_commission < 1.0:
            raise PricingError("quota share and ceding commission must be in [0, 1)")
        if (
            min(self.xol_retention, self.xol_limit, self.xol_loading, self.stop_loss_attachment, self.stop_loss_limit)
            < 0
        ):
            raise PricingError("treaty amounts and loadings must be >= 0")


NONE = Treaties(xol_limit=0.0, quota_share=0.0, qs_commission=0.0, stop_loss_limit=0.0)


def tvar(x: F, level: float = 0.99) -> float:
    """Tail value at risk: the mean of the worst ``1 - level`` share of outcomes."""
    s = np.sort(np.asarray(x, dtype=float))
    k = max(1, round(len(s) * (1.0 - level)))
    return float(s[-k:].mean())


def capital(per_sim: F, level: float = 0.99) -> float:
    """Risk capital ``TVaR_level - mean`` of an annual claims distribution (major units)."""
    return max(tvar(per_sim, level) - float(np.mean(per_sim)), 0.0)


def allocate_capital(claims: Claims, amounts: F | None = None, level: float = 0.99) -> F:
    """Each policy's co-TVaR share of the book's capital (sums to :func:`capital`)."""
    amt = claims.amount if amounts is None else amounts
    per_sim = np.bincount(claims.sim, weights=amt, minlength=claims.n_sims)
    k = max(1, round(claims.n_sims * (1.0 - level)))
    tail = np.zeros(claims.n_sims, dtype=bool)
    tail[np.argsort(per_sim, kind="stable")[-k:]] = True
    in_tail = np.bincount(claims.policy[tail[claims.sim]], weights=amt[tail[claims.sim]], minlength=claims.n_policies)
    mean = np.bincount(claims.policy, weights=amt, minlength=claims.n_policies) / claims.n_sims
    return np.asarray(in_tail / k - mean, dtype=np.float64)


@dataclass(frozen=True)
class Result:
    """Gross and net annual results per simulated year (major units)."""

    gross_claims: F
    xol_ceded: F
    qs_ceded: F
    net_claims: F
    stop_loss: F
    gross_premium: float
    xol_premium: float
    qs_premium: float
    qs_commission: float
    net_premium: float
    expenses: float

    @property
    def gross_result(self) -> F:
        """Insurer's result before reinsurance: premium - expenses - claims."""
        return np.asarray(self.gross_premium - self.expenses - self.gross_claims, dtype=np.float64)

    @property
    def net_result(self) -> F:
        """After the treaties and the subsidiser's stop-loss."""
        return np.asarray(self.net_premium - self.expenses - self.net_claims + self.stop_loss, dtype=np.float64)

    def summary(self) -> dict[str, float]:
        """Headline figures, gross and net."""
        out: dict[str, float] = {}
        for label, claims_, prem, res in (
            ("gross", self.gross_claims, self.gross_premium, self.gross_result),
            ("net", self.net_claims - self.stop_loss, self.net_premium, self.net_result),
        ):
            out |= {
                f"{label}_premium": prem,
                f"{label}_expected_claims": float(claims_.mean()),
                f"{label}_loss_ratio": float(claims_.mean() / prem) if prem > 0 else float("nan"),
                f"{label}_loss_ratio_p99": float(np.quantile(claims_, 0.99) / prem) if prem > 0 else float("nan"),
                f"{label}_expected_result": float(res.mean()),
                f"{label}_result_p01": float(np.quantile(res, 0.01)),
                f"{label}_prob_loss": float((res < 0).mean()),
                f"{label}_capital_tvar99": capital(claims_),
            }
        out["xol_premium"] = self.xol_premium
        out["xol_expected_ceded"] = float(self.xol_ceded.mean())
        out["qs_premium"] = self.qs_premium
        out["qs_commission"] = self.qs_commission
        out["qs_expected_ceded"] = float(self.qs_ceded.mean())
        out["stop_loss_expected_cost"] = float(self.stop_loss.mean())
        out["stop_loss_p99_cost"] = float(np.quantile(self.stop_loss, 0.99))
        out["stop_loss_prob_triggered"] = float((self.stop_loss > 0).mean())
        return out


def apply(
    claims: Claims, gross_premium: float, treaties: Treaties = Treaties(), *, expense_ratio: float = 0.25
) -> Result:
    """Apply the treaties to simulated claims of a book with ``gross_premium`` a year."""
    t = treaties
    xol = np.clip(claims.amount - t.xol_retention, 0.0, t.xol_limit)
    qs = t.quota_share * (claims.amount - xol)
    n = claims.n_sims
    gross = np.bincount(claims.sim, weights=claims.amount, minlength=n).astype(np.float64)
    xol_s = np.bincount(claims.sim, weights=xol, minlength=n).astype(np.float64)
    qs_s = np.bincount(claims.sim, weights=qs, minlength=n).astype(np.float64)
    net = gross - xol_s - qs_s
    xol_premium = float(xol_s.mean()) * (1.0 + t.xol_loading)
    qs_premium = t.quota_share * (gross_premium - xol_premium)
    commission = t.qs_commission * qs_premium
    net_premium = gross_premium - xol_premium - qs_premium + commission
    attach = t.stop_loss_attachment * net_premium
    stop = np.clip(net - attach, 0.0, t.stop_loss_limit * net_premium)
    return Result(
        gross,
        xol_s,
        qs_s,
        net,
        stop,
        gross_premium,
        xol_premium,
        qs_premium,
        commission,
        net_premium,
        expense_ratio * gross_premium,
    )


__all__ = ["NONE", "Result", "Treaties", "allocate_capital", "apply", "capital", "tvar"]
