"""A simulated personality inventory shaped like a real one: six-point items named by number only, a
known factor structure with reverse-keyed items, background columns coded as numbers, no id column.

Used by tests/test_draft_efa.py and benchmarks/draft_speed.py. The truth (each item's factor and key)
is returned beside the data, so a drafted codebook can be scored against it.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

#: background columns: name -> (lowest code, highest code); age is numeric with many values
BACKGROUND = {
    "sex": (1, 2),
    "health": (1, 5),
    "p1edu": (1, 8),
    "p2edu": (1, 8),
    "education": (1, 8),
    "wellness": (1, 2),
    "exercise": (1, 6),
    "smoke": (1, 9),
    "ER": (1, 4),
}


def inventory(
    n: int = 4000,
    n_items: int = 135,
    n_factors: int = 5,
    reversed_share: float = 0.2,
    *,
    seed: int = 7,
) -> tuple[pd.DataFrame, dict[str, int], dict[str, bool]]:
    """(data, item -> true factor, item -> reverse-keyed) for a simulated inventory.

    Items: primary loadings U(0.45, 0.75) (negative for the reversed share), small cross-loadings
    N(0, 0.08), factors correlated 0.2, answers cut into six points; 2% of answers blank. Items are
    named ``q_<number>`` with numbers that say nothing, in a shuffled order.
    """
    rng = np.random.default_rng(seed)
    factor = np.arange(n_items) % n_factors
    rev = rng.random(n_items) < reversed_share
    lam = rng.normal(0.0, 0.08, (n_items, n_factors))
    lam[np.arange(n_items), factor] = rng.uniform(0.45, 0.75, n_items) * np.where(rev, -1, 1)
    phi = np.full((n_factors, n_factors), 0.2) + 0.8 * np.eye(n_factors)
    f = rng.standard_normal((n, n_factors)) @ np.linalg.cholesky(phi).T
    common = f @ lam.T
    unique = np.sqrt(np.clip(1 - (lam**2).sum(axis=1), 0.2, None))
    latent = common + rng.standard_normal((n, n_items)) * unique
    cuts = np.array([-1.5, -0.7, 0.0, 0.7, 1.5])
    codes = (latent[..., None] > cuts).sum(axis=-1) + 1
    numbers = rng.choice(np.arange(1, 5000), n_items, replace=False)
    order = rng.permutation(n_items)
    names = [f"q_{numbers[j]}" for j in order]
    data = pd.DataFrame(codes[:, order], columns=names).astype("float64")
    data = data.mask(rng.random(data.shape) < 0.02)
    data.insert(0, "age", rng.integers(14, 81, n))
    for col, (lo, hi) in BACKGROUND.items():
        data[col] = rng.integers(lo, hi + 1, n)
    truth_factor = {names[i]: int(factor[j]) for i, j in enumerate(order)}
    truth_rev = {names[i]: bool(rev[j]) for i, j in enumerate(order)}
    return data, truth_factor, truth_rev
