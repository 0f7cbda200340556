"""Population values of the CFA's standardised loadings for the synthetic study (test helper).

``truth.json`` has ``estimands.item_latent_correlation`` (keyed item code with its latent construct), but
that is not what a CFA of the coded items converges to: with 4-5 coarse categories the items share a
little more variance than the latent alone explains, and the population CFA loading is 0.00-0.06 higher
(mean 0.026 at the default seed). This module draws a large population from the generator's own
functions (people, latent scores with the realised MSC intercepts, continuous responses, the realised
thresholds from ``truth.json``; everyone answers every item) and fits the same CFA to it.

What ``truth.json`` should add: ``estimands.cfa_std_loading[item]``, computed this way on the Monte Carlo
draw the generator already makes.
"""

from __future__ import annotations

from typing import Any

import numpy as np
import pandas as pd

from mscsurvey.codebook.spec import Codebook
from mscsurvey.schema import load_yaml
from mscsurvey.stats import cfa
from mscsurvey.synthesize.latent import (
    apply_thresholds,
    draw_people,
    item_responses,
    latent_scores,
)
from mscsurvey.synthesize.model import parse_model


def population_codes(
    truth: dict[str, Any], codebook: Codebook, model_path: str, *, n: int = 200_000, seed: int = 1
) -> pd.DataFrame:
    """Keyed item codes of ``n`` respondents drawn from the synthetic model (no missing answers)."""
    spec = parse_model(load_yaml(model_path), codebook)
    rng = np.random.default_rng(seed)
    people = draw_people(spec, codebook, n, rng, quota=False)
    constructs = list(codebook.constructs)
    u = np.array(
        [[truth["clusters"][c.id]["random_effects"][k] for k in constructs] for c in spec.clusters]
    )
    eta, _ = latent_scores(spec, codebook, people, u, rng)
    xs = item_responses(eta, codebook, spec.loadings, rng)
    out = {}
    for j, iid in enumerate(codebook.items):
        sc = codebook.scales[codebook.items[iid].scale]
        thr = np.asarray(truth["latent"]["thresholds"][iid], dtype=float)
        code = apply_thresholds(xs[:, j], thr, list(sc.codes)).astype(float)
        out[iid] = sc.min + sc.max - code if codebook.items[iid].reverse else code
    return pd.DataFrame(out)


def population_cfa_loadings(
    truth: dict[str, Any], codebook: Codebook, model_path: str, *, n: int = 200_000, seed: int = 1
) -> pd.Series:
    """Standardised CFA loadings (item -> value) fitted to a large draw of the synthetic population."""
    codes = population_codes(truth, codebook, model_path, n=n, seed=seed)
    constructs = {c: list(con.items) for c, con in codebook.constructs.items()}
    res = cfa.fit_cfa(codes, constructs, method="fiml")
    return res.loadings.set_index("item")["std_loading"]
