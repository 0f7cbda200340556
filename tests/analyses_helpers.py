"""Helpers shared by the analyses tests: construct scores computed directly from the clean stage's
output (item means with the codebook's min-items rule), standing in for the scales stage's
scores.parquet in unit tests."""

from __future__ import annotations

import numpy as np
import pandas as pd

from mscsurvey.codebook.spec import Codebook


def scores_from_clean(clean: pd.DataFrame, codebook: Codebook) -> pd.DataFrame:
    """``pid``, the cluster column, every group column and one score per construct (mean of the
    answered keyed items, NaN when fewer than the construct's minimum are answered)."""
    out = clean[["pid", codebook.cluster, *codebook.groups]].copy()
    for cid, con in codebook.constructs.items():
        m = clean[list(con.items)].astype("float64")
        n = m.notna().sum(axis=1)
        out[cid] = m.mean(axis=1).where(n >= con.min_items(), np.nan)
        out[f"{cid}__n_items"] = n.astype("int64")
    return out


def reliability_table(codebook: Codebook, excluded: dict[str, str] | None = None) -> pd.DataFrame:
    """A reliability table in the scales stage's format, every construct ok unless ``excluded``."""
    excluded = excluded or {}
    return pd.DataFrame(
        {
            "construct": list(codebook.constructs),
            "status": ["failed" if c in excluded else "ok" for c in codebook.constructs],
            "included": [c not in excluded for c in codebook.constructs],
            "reason": [excluded.get(c, "") for c in codebook.constructs],
        }
    )


# --- the default synthetic study, run once per test session ---------------------------------------

_STUDY: dict[str, object] = {}


def default_study(tmp_path_factory) -> object:
    """Run the whole workflow once (default size: 640 raw rows, 575 analysed) in a temporary folder
    and return that folder; later calls in the same session return the same folder."""
    if "work" not in _STUDY:
        from workflow_helpers import snakemake, write_config

        work = tmp_path_factory.mktemp("analyses_study")
        write_config(work, n_respondents=None)
        snakemake(work)
        _STUDY["work"] = work
    return _STUDY["work"]
