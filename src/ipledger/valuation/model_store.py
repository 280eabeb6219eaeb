"""The fitted market model as plain arrays: its predictor, and its file beside the ledger.

A fitted :class:`~ipledger.valuation.market_model.MarketModel` is a list of regression trees
plus conformal calibration scores: numbers only. :class:`Trees` holds the booster's trees as
flat arrays and predicts with them (exactly the sums scikit-learn computes, tree by tree in the
same order), so the model can be written to a NumPy ``.npz`` file and read back with
``allow_pickle=False``: reading a model from a data folder someone else controls can give wrong
numbers but cannot run code (pickle or joblib could). The file is a cache, keyed by a hash of
the data the model was fitted on and of the model's version and settings; a file whose key does
not match, or that cannot be read, is ignored and replaced. See decision record
``0040-backtest-persisted-market-model.md``.
"""

from __future__ import annotations

import hashlib
import json
import os
import tempfile
import zipfile
from dataclasses import dataclass, fields
from pathlib import Path
from typing import Any

import numpy as np

from ipledger.valuation.conformal import StoredModel

#: Bump when the persisted layout or anything that changes a fitted model changes.
FORMAT = "ipledger.market-model/1"
_NODE_FIELDS = ("feature", "threshold", "missing_left", "left", "right", "is_leaf", "is_cat", "bitset", "value")


@dataclass
class Trees:
    """A fitted gradient-boosting regressor as flat arrays (all trees' nodes concatenated).

    Attributes:
        feature, threshold, missing_left, left, right, is_leaf, is_cat, bitset, value: per node.
        roots: index of each tree's root node, in boosting order.
        left_bits: (n, 8) uint32 bitsets of the categories sent left at categorical nodes.
        known_bits: (n_categorical, 8) uint32 bitsets of the categories seen in training.
        f_idx_map: feature index -> row of ``known_bits``.
        perm: input column order the trees read (categorical columns first).
        categories: the training categories of each categorical column, concatenated.
        cat_sizes: how many of ``categories`` belong to each categorical column.
        baseline: the booster's initial prediction.
        depth: the deepest node's depth.
    """

    feature: np.ndarray
    threshold: np.ndarray
    missing_left: np.ndarray
    left: np.ndarray
    right: np.ndarray
    is_leaf: np.ndarray
    is_cat: np.ndarray
    bitset: np.ndarray
    value: np.ndarray
    roots: np.ndarray
    left_bits: np.ndarray
    known_bits: np.ndarray
    f_idx_map: np.ndarray
    perm: np.ndarray
    categories: np.ndarray
    cat_sizes: np.ndarray
    baseline: np.ndarray
    depth: np.ndarray

    @classmethod
    def from_booster(cls, booster: Any, n_iter: int | None = None) -> Trees:
        """Copy a fitted scikit-learn HistGradientBoostingRegressor (one tree per iteration),
        its first ``n_iter`` trees when given."""
        parts: dict[str, list[np.ndarray]] = {k: [] for k in _NODE_FIELDS}
        roots, bits = [], []
        offset = n_bits = 0
        predictors = booster._predictors[:n_iter] if n_iter is not None else booster._predictors
        for (pred,) in predictors:
            nodes = pred.nodes
            roots.append(offset)
            parts["feature"].append(nodes["feature_idx"].astype(np.int64))
            parts["threshold"].append(nodes["num_threshold"].astype(np.float64))
            parts["missing_left"].append(nodes["missing_go_to_left"].astype(bool))
            parts["left"].append(nodes["left"].astype(np.int64) + offset)
            parts["right"].append(nodes["right"].astype(np.int64) + offset)
            parts["is_leaf"].append(nodes["is_leaf"].astype(bool))
            parts["is_cat"].append(nodes["is_categorical"].astype(bool))
            parts["bitset"].append(nodes["bitset_idx"].astype(np.int64) + n_bits)
            parts["value"].append(nodes["value"].astype(np.float64))
            lb = np.asarray(pred.raw_left_cat_bitsets, dtype=np.uint32).reshape(-1, 8)
            bits.append(lb)
            n_bits += len(lb)
            offset += len(nodes)
        n_features = int(booster.n_features_in_)
        pre = booster._preprocessor
        if pre is None:
            perm = np.arange(n_features)
            cats: list[np.ndarray] = []
            known = np.zeros((0, 8), dtype=np.uint32)
            f_idx_map = np.zeros(n_features, dtype=np.uint32)
        else:
            is_cat = np.asarray(booster.is_categorical_, dtype=bool)
            perm = np.concatenate([np.flatnonzero(is_cat), np.flatnonzero(~is_cat)])
            cats = [np.asarray(c, dtype=np.float64) for c in pre.named_transformers_["encoder"].categories_]
            known, f_idx_map = booster._bin_mapper.make_known_categories_bitsets()
        depth = max(int(p.nodes["depth"].max()) for (p,) in predictors) if predictors else 0
        return cls(
            **{k: np.concatenate(v) if v else np.zeros(0) for k, v in parts.items()},
            roots=np.asarray(roots, dtype=np.int64),
            left_bits=np.concatenate(bits) if bits else np.zeros((0, 8), dtype=np.uint32),
            known_bits=np.asarray(known, dtype=np.uint32),
            f_idx_map=np.asarray(f_idx_map, dtype=np.uint32),
            perm=perm.astype(np.int64),
            categories=np.concatenate(cats) if cats else np.zeros(0),
            cat_sizes=np.asarray([len(c) for c in cats], dtype=np.int64),
            baseline=np.asarray(booster._baseline_prediction, dtype=np.float64).reshape(1),
            depth=np.asarray([depth], dtype=np.int64),
        )

    def _encode(self, X: np.ndarray) -> np.ndarray:
        """The booster's own input: categorical columns first, as indices into their categories."""
        Z = np.array(X[:, self.perm], dtype=np.float64)
        start = 0
        for j, size in enumerate(self.cat_sizes):
            cats = self.categories[start : start + size]
            start += size
            cats = cats[~np.isnan(cats)]
            col = Z[:, j]
            pos = np.searchsorted(cats, col)
            ok = ~np.isnan(col) & (pos < len(cats))
            ok[ok] = cats[pos[ok]] == col[ok]
            Z[:, j] = np.where(ok, pos, np.nan)  # unknown and missing categories: NaN
        return Z

    def predict(self, X: np.ndarray, chunk: int = 2048) -> np.ndarray:
        """Sum of the leaves reached, per row of ``X`` (the booster's ``predict``)."""
        X = np.asarray(X, dtype=np.float64)
        out = np.empty(len(X))
        for lo in range(0, len(X), chunk):
            out[lo : lo + chunk] = self._predict(self._encode(X[lo : lo + chunk]))
        return out

    def _predict(self, Z: np.ndarray) -> np.ndarray:
        n = len(Z)
        idx = np.broadcast_to(self.roots, (n, len(self.roots))).copy()
        rows = np.arange(n)[:, None]
        for _ in range(int(self.depth[0]) + 1):
            leaf = self.is_leaf[idx]
            if leaf.all():
                break
            f = np.where(leaf, 0, self.feature[idx])
            x = Z[rows, f]
            missing = np.isnan(x)
            go_left = x <= self.threshold[idx]
            cat = self.is_cat[idx] & ~missing & ~leaf
            if cat.any():
                xc = x[cat]
                valid = xc >= 0
                code = np.where(valid, xc, 0).astype(np.int64)
                word, bit = code >> 5, (code & 31).astype(np.uint32)
                b = self.bitset[idx][cat]
                in_left = (self.left_bits[b, word] >> bit) & 1
                known = (self.known_bits[self.f_idx_map[f[cat]], word] >> bit) & 1
                ml = self.missing_left[idx][cat]
                go_left[cat] = np.where(valid & (in_left == 1), True, np.where(valid & (known == 1), False, ml))
            go_left = np.where(missing, self.missing_left[idx], go_left)
            step = np.where(go_left, self.left[idx], self.right[idx])
            idx = np.where(leaf, idx, step)
        values = self.value[idx]
        out = np.zeros(n) + self.baseline[0]
        for t in range(values.shape[1]):  # tree by tree, as the booster sums
            out += values[:, t]
        return out


def _valid(t: Trees, n_features: int) -> bool:
    """Whether the arrays form trees the predictor can walk (a damaged or crafted file must
    not crash it or send it out of bounds)."""
    n = len(t.value)
    if any(len(getattr(t, k)) != n for k in _NODE_FIELDS) or n_features < 1:
        return False
    if sorted(t.perm.tolist()) != list(range(n_features)) or len(t.f_idx_map) != n_features:
        return False
    if t.left_bits.ndim != 2 or t.left_bits.shape[1] != 8 or t.known_bits.ndim != 2 or t.known_bits.shape[1] != 8:
        return False
    if int(t.cat_sizes.sum()) != len(t.categories) or len(t.baseline) != 1 or not 0 <= int(t.depth[0]) < 64:
        return False
    if len(t.roots) and (t.roots.min() < 0 or t.roots.max() >= n):
        return False
    inner = ~t.is_leaf
    if inner.any():
        for arr in (t.left[inner], t.right[inner]):
            if arr.min() < 0 or arr.max() >= n:
                return False
        if t.feature[inner].min() < 0 or t.feature[inner].max() >= n_features:
            return False
    cat = inner & t.is_cat
    if cat.any():
        if t.bitset[cat].min() < 0 or t.bitset[cat].max() >= len(t.left_bits):
            return False
        if int(t.f_idx_map[t.feature[cat]].max()) >= len(t.known_bits):
            return False
    return bool(np.isfinite(t.value).all())


def _arrays(model: Any) -> dict[str, np.ndarray]:
    trees = model.trees_
    out = {f"trees.{f.name}": getattr(trees, f.name) for f in fields(Trees)}
    out["calibration_scores"] = model.calibration_scores_
    out["calibration_weights"] = model.calibration_weights_
    for key, (s, w) in model.group_scores_.items():
        out[f"group.{key}.scores"] = s
        out[f"group.{key}.weights"] = w
    for key, w in getattr(model, "blend_weights_", {}).items():
        out[f"blend.{key}"] = w
    return out


def model_key(data_fingerprint: str, params: dict[str, Any], extra: dict[str, Any]) -> str:
    """Hex key of a fitted model: the data it was fitted on, its settings and the code version."""
    from ipledger import __version__

    params = {k: (list(v) if isinstance(v, tuple) else v) for k, v in params.items() if k != "n_threads"}
    blob = json.dumps(
        {"format": FORMAT, "ipledger": __version__, "data": data_fingerprint, "params": params, **extra},
        sort_keys=True,
        default=str,
    )
    return hashlib.sha256(blob.encode()).hexdigest()


def save_model(path: Path, model: Any, key: str, extra: dict[str, np.ndarray] | None = None) -> None:
    """Write the fitted model to ``path`` (npz, no pickled objects) atomically, with its key.

    Args:
        path: the file.
        model: a fitted MarketModel.
        key: its key (:func:`model_key`).
        extra: more arrays to keep beside it (numbers only), read back by :func:`load_model`.
    """
    meta = {
        "format": FORMAT,
        "key": key,
        "n_features_in": int(model.n_features_in_),
        "n_iter": int(model.n_iter_),
        "params": {k: v for k, v in model.get_params().items()},
    }
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(prefix=path.name, suffix=".tmp", dir=path.parent)
    try:
        with os.fdopen(fd, "wb") as fh:
            arrays = _arrays(model)
            arrays.update({f"extra.{k}": np.asarray(v) for k, v in (extra or {}).items()})
            arrays["meta"] = np.frombuffer(json.dumps(meta, default=list).encode(), dtype=np.uint8)
            np.savez(fh, allow_pickle=False, **arrays)  # type: ignore[arg-type]
            fh.flush()
            os.fsync(fh.fileno())
        os.replace(tmp, path)  # readers see the old file or the new one, never half of one
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise


def load_model(path: Path, key: str) -> tuple[StoredModel, dict[str, np.ndarray]] | None:
    """The model stored at ``path`` and its extra arrays, if its key is ``key`` and it reads
    back whole; else None.

    Args:
        path: the npz file.
        key: the key the caller expects (see :func:`model_key`).
    """
    try:
        with np.load(path, allow_pickle=False) as z:
            meta = json.loads(bytes(z["meta"]).decode())
            if not isinstance(meta, dict) or meta.get("format") != FORMAT or meta.get("key") != key:
                return None
            trees = Trees(**{f.name: np.asarray(z[f"trees.{f.name}"]) for f in fields(Trees)})
            groups: dict[int, tuple[np.ndarray, np.ndarray]] = {}
            for name in z.files:
                if name.startswith("group.") and name.endswith(".scores"):
                    g = int(name.split(".")[1])
                    groups[g] = (np.asarray(z[name], dtype=float), np.asarray(z[f"group.{g}.weights"], dtype=float))
            scores = np.asarray(z["calibration_scores"], dtype=float)
            weights = np.asarray(z["calibration_weights"], dtype=float)
            blend = {int(n.split(".")[1]): np.asarray(z[n], dtype=float) for n in z.files if n.startswith("blend.")}
            extra = {name[6:]: np.asarray(z[name]) for name in z.files if name.startswith("extra.")}
            n_features = int(meta["n_features_in"])
            model = StoredModel(
                dict(meta["params"]), n_features, int(meta["n_iter"]), trees, scores, weights, groups, blend
            )
    except (OSError, ValueError, KeyError, TypeError, EOFError, zipfile.BadZipFile):
        return None
    if len(scores) != len(weights) or not _valid(trees, n_features):
        return None
    return model, extra
