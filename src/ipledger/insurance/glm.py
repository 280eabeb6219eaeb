"""Claims GLMs: Poisson x Gamma frequency-severity and a Tweedie pure-premium model.

Both estimators take a design matrix, the target ``y`` = claim amount per unit of exposure (the
pure premium), ``sample_weight`` = exposure, and (frequency-severity) the claim counts. The
freMTPL2 feature engineering follows scikit-learn's example "Tweedie regression on insurance
claims"; beMTPL97 gets the same treatment on its own features.
"""

from __future__ import annotations

from functools import partial
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
from numpy.typing import ArrayLike, NDArray
from sklearn.base import BaseEstimator, RegressorMixin
from sklearn.compose import ColumnTransformer
from sklearn.linear_model import GammaRegressor, PoissonRegressor, TweedieRegressor
from sklearn.metrics import auc, d2_tweedie_score, mean_gamma_deviance, mean_poisson_deviance, mean_tweedie_deviance
from sklearn.model_selection import train_test_split
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import FunctionTransformer, KBinsDiscretizer, OneHotEncoder, StandardScaler
from sklearn.utils.validation import check_is_fitted

from ipledger.errors import PricingError

TWEEDIE_POWERS = (1.5, 1.7, 1.8, 1.9, 1.99, 1.999, 1.9999)
CLAIM_AMOUNT_CAP = 200_000.0


class FrequencySeverityGLM(RegressorMixin, BaseEstimator):
    """Poisson claim frequency x Gamma average claim amount; predicts the pure premium.

    Args:
        freq_alpha, freq_max_iter: PoissonRegressor settings.
        sev_alpha, sev_max_iter: GammaRegressor settings.
        solver: sklearn GLM solver (``"lbfgs"`` as in the example's original settings).
    """

    def __init__(
        self,
        freq_alpha: float = 1e-12,
        freq_max_iter: int = 300,
        sev_alpha: float = 10.0,
        sev_max_iter: int = 10_000,
        solver: str = "lbfgs",
    ) -> None:
        self.freq_alpha = freq_alpha
        self.freq_max_iter = freq_max_iter
        self.sev_alpha = sev_alpha
        self.sev_max_iter = sev_max_iter
        self.solver = solver

    def fit(self, X: Any, y: ArrayLike, sample_weight: ArrayLike | None = None, *, claim_number: ArrayLike) -> Any:
        """Fit on pure premium ``y`` (amount per exposure), exposure weights and claim counts."""
        y_ = np.asarray(y, dtype=float)
        w = np.ones_like(y_) if sample_weight is None else np.asarray(sample_weight, dtype=float)
        n = np.asarray(claim_number, dtype=float)
        if y_.shape != w.shape or y_.shape != n.shape:
            raise PricingError("y, sample_weight and claim_number must have the same length")
        if (y_ < 0).any() or (w <= 0).any() or (n < 0).any():
            raise PricingError("pure premiums and counts must be >= 0 and exposures > 0")
        amount = y_ * w
        mask = amount > 0
        if not mask.any():
            raise PricingError("no claims with a positive amount: the severity model cannot be fitted")
        self.frequency_ = PoissonRegressor(alpha=self.freq_alpha, max_iter=self.freq_max_iter, solver=self.solver)
        self.frequency_.fit(X, n / w, sample_weight=w)
        self.severity_ = GammaRegressor(alpha=self.sev_alpha, max_iter=self.sev_max_iter, solver=self.solver)
        self.severity_.fit(X[mask], amount[mask] / np.fmax(n[mask], 1), sample_weight=n[mask])
        return self

    def predict_frequency(self, X: Any) -> NDArray[np.float64]:
        """Expected claims per unit of exposure."""
        check_is_fitted(self, "frequency_")
        return np.asarray(self.frequency_.predict(X), dtype=float)

    def predict_severity(self, X: Any) -> NDArray[np.float64]:
        """Expected amount per claim."""
        check_is_fitted(self, "severity_")
        return np.asarray(self.severity_.predict(X), dtype=float)

    def predict(self, X: Any) -> NDArray[np.float64]:
        """Pure premium per unit of exposure (frequency x severity)."""
        return self.predict_frequency(X) * self.predict_severity(X)


class TweediePurePremiumGLM(RegressorMixin, BaseEstimator):
    """Compound Poisson-Gamma (Tweedie, log link) GLM on the pure premium."""

    def __init__(self, power: float = 1.9, alpha: float = 0.1, max_iter: int = 10_000, solver: str = "lbfgs") -> None:
        self.power = power
        self.alpha = alpha
        self.max_iter = max_iter
        self.solver = solver

    def fit(self, X: Any, y: ArrayLike, sample_weight: ArrayLike | None = None) -> Any:
        """Fit on pure premium ``y`` with exposure ``sample_weight``."""
        self.model_ = TweedieRegressor(power=self.power, alpha=self.alpha, max_iter=self.max_iter, solver=self.solver)
        self.model_.fit(X, np.asarray(y, dtype=float), sample_weight=sample_weight)
        return self

    def predict(self, X: Any) -> NDArray[np.float64]:
        """Pure premium per unit of exposure."""
        check_is_fitted(self, "model_")
        return np.asarray(self.model_.predict(X), dtype=float)


def lorenz_curve(
    y_true: ArrayLike, y_pred: ArrayLike, exposure: ArrayLike
) -> tuple[NDArray[np.float64], NDArray[np.float64]]:
    """Ordered Lorenz curve: policies ranked by predicted risk, cumulated share of claim amounts."""
    yt, yp, ex = (np.asarray(a, dtype=float) for a in (y_true, y_pred, exposure))
    order = np.argsort(yp)
    cum = np.cumsum(yt[order] * ex[order])
    cum /= cum[-1]
    return np.linspace(0, 1, len(cum)), cum


def gini(y_true: ArrayLike, y_pred: ArrayLike, exposure: ArrayLike) -> float:
    """Gini index ``1 - 2 x area under the ordered Lorenz curve`` (ranking power)."""
    x, c = lorenz_curve(y_true, y_pred, exposure)
    return float(1.0 - 2.0 * auc(x, c))


def pure_premium_metrics(
    y_true: ArrayLike, y_pred: ArrayLike, exposure: ArrayLike, *, powers: tuple[float, ...] = TWEEDIE_POWERS
) -> dict[str, float]:
    """Gini, D² (Tweedie p=1.9) and mean Tweedie deviances of a pure-premium prediction."""
    out = {"gini": gini(y_true, y_pred, exposure)}
    out["d2_tweedie_1.9"] = float(d2_tweedie_score(y_true, y_pred, sample_weight=exposure, power=1.9))
    for p in powers:
        out[f"tweedie_dev_{p}"] = float(mean_tweedie_deviance(y_true, y_pred, sample_weight=exposure, power=p))
    return out


# --- freMTPL2 ---------------------------------------------------------------------------------


def load_fremtpl2(data_dir: Path) -> pd.DataFrame:
    """freMTPL2freq joined with summed freMTPL2sev, with the example's corrections and targets."""
    freq = pd.read_csv(data_dir / "insurance" / "freMTPL2freq.csv.gz")
    sev = pd.read_csv(data_dir / "insurance" / "freMTPL2sev.csv.gz")
    freq["IDpol"] = freq["IDpol"].astype(int)
    df = freq.set_index("IDpol").join(sev.groupby("IDpol").sum(), how="left")
    df["ClaimAmount"] = df["ClaimAmount"].fillna(0)
    return _targets(df, "ClaimNb", "Exposure", "ClaimAmount")


def _targets(df: pd.DataFrame, nb: str, expo: str, amount: str) -> pd.DataFrame:
    df = df.copy()
    df[nb] = df[nb].clip(upper=4)
    df[expo] = df[expo].clip(upper=1)
    df[amount] = df[amount].clip(upper=CLAIM_AMOUNT_CAP)
    # A claim with no amount is not counted, so frequency and severity stay consistent.
    df.loc[(df[amount] == 0) & (df[nb] >= 1), nb] = 0
    df["PurePremium"] = df[amount] / df[expo]
    df["Frequency"] = df[nb] / df[expo]
    df["AvgClaimAmount"] = df[amount] / np.fmax(df[nb], 1)
    return df


def fremtpl2_transformer() -> ColumnTransformer:
    """The example's features: binned VehAge/DrivAge, one-hot categories, BonusMalus, log Density."""
    return ColumnTransformer(
        [
            ("binned_numeric", KBinsDiscretizer(n_bins=10, subsample=int(2e5), random_state=0), ["VehAge", "DrivAge"]),
            ("onehot_categorical", OneHotEncoder(), ["VehBrand", "VehPower", "VehGas", "Region", "Area"]),
            ("passthrough_numeric", "passthrough", ["BonusMalus"]),
            ("log_scaled_numeric", make_pipeline(FunctionTransformer(np.log), StandardScaler()), ["Density"]),
        ],
        remainder="drop",
    )


def bemtpl97_transformer() -> ColumnTransformer:
    """Same treatment for beMTPL97: binned ages and location, one-hot categories, bonus-malus."""
    return ColumnTransformer(
        [
            (
                "binned_numeric",
                KBinsDiscretizer(n_bins=10, subsample=int(2e5), random_state=0),
                ["ageph", "agec", "long", "lat"],
            ),
            (
                "onehot_categorical",
                OneHotEncoder(handle_unknown="ignore"),
                ["coverage", "sex", "fuel", "use", "fleet", "region"],
            ),
            ("passthrough_numeric", "passthrough", ["bm"]),
            ("log_scaled_numeric", make_pipeline(FunctionTransformer(np.log), StandardScaler()), ["power"]),
        ],
        remainder="drop",
    )


def load_bemtpl97(data_dir: Path) -> pd.DataFrame:
    """beMTPL97 with the same corrections and targets; ``region`` = first postcode digit."""
    df = pd.read_csv(data_dir / "insurance" / "beMTPL97.csv.gz")
    df["region"] = (df["postcode"] // 1000).astype(str)
    return _targets(df, "nclaims", "expo", "amount")


def evaluate(
    df: pd.DataFrame,
    transformer: ColumnTransformer,
    *,
    nb: str,
    expo: str,
    random_state: int = 0,
    freq_sev: FrequencySeverityGLM | None = None,
    tweedie: TweediePurePremiumGLM | None = None,
) -> dict[str, float]:
    """Fit both models on a train split and score them on the test split.

    Returns:
        A flat dict: Gini, D² and Tweedie deviances of both pure-premium models; Poisson deviance
        and D² of the frequency model; Gamma deviance and D² of the severity model (test set).
    """
    X = transformer.fit_transform(df)
    df_train, df_test, X_train, X_test = train_test_split(df, X, random_state=random_state)
    fs = freq_sev or FrequencySeverityGLM()
    fs.fit(X_train, df_train["PurePremium"], df_train[expo], claim_number=df_train[nb])
    tw = tweedie or TweediePurePremiumGLM()
    tw.fit(X_train, df_train["PurePremium"], sample_weight=df_train[expo])
    y, w = df_test["PurePremium"], df_test[expo]
    out: dict[str, float] = {"n_train": float(len(df_train)), "n_test": float(len(df_test))}
    for label, pred in (("freq_sev", fs.predict(X_test)), ("tweedie", tw.predict(X_test))):
        for k, v in pure_premium_metrics(y, pred, w).items():
            out[f"{label}_{k}"] = v
    freq_pred = fs.predict_frequency(X_test)
    out["freq_poisson_dev"] = float(mean_poisson_deviance(df_test["Frequency"], freq_pred, sample_weight=w))
    out["freq_d2"] = float(fs.frequency_.score(X_test, df_test["Frequency"], sample_weight=w))
    mask = (df_test["PurePremium"] > 0).to_numpy()
    sev_pred = fs.predict_severity(X_test[mask])
    out["sev_d2"] = float(
        fs.severity_.score(X_test[mask], df_test["AvgClaimAmount"][mask], sample_weight=df_test[nb][mask])
    )
    out["sev_gamma_dev"] = float(
        mean_gamma_deviance(df_test["AvgClaimAmount"][mask], sev_pred, sample_weight=df_test[nb][mask])
    )
    return out


evaluate_fremtpl2 = partial(evaluate, nb="ClaimNb", expo="Exposure")
evaluate_bemtpl97 = partial(evaluate, nb="nclaims", expo="expo")
