"""Optional nonresponse and missing-at-random answers for the synthetic survey (off by default).

The model file's ``sensitivity`` block (absent by default: then nothing here runs and no random
number is drawn, so the default export is unchanged) makes two departures that the sensitivity
analyses should repair:

- ``nonresponse``: each genuine respondent responds with the probability of their category of one
  grouping variable (``group``, ``response_rate``; an unreported category responds at the mean rate).
  A nonrespondent opened the survey and answered no item (every item blank), so the clean stage
  excludes them for answering too little. With group effects in the latent model, the respondents'
  unweighted means are biased; raking to the genuine respondents' counts per category (saved in the
  truth as the population margins) removes the bias.
- ``missing_at_random``: a responding genuine respondent skips each item of ``constructs`` with
  probability ``base + slope × (top code − their answer to the driver item)`` (``base`` when the
  driver is unanswered). The skips depend only on an observed answer (MAR), and the driver correlates
  with the skipped constructs, so complete-case means are biased and imputation with the driver as a
  predictor repairs them.

The truth (``truth.json`` key ``sensitivity``) holds the settings, the population margins, the file
rows of the responding genuine respondents, and the construct means of all genuine respondents before
either departure (``population_mean``) and of the respondents before the skips (``respondent_mean``).
"""

from __future__ import annotations

from typing import Any

import numpy as np

from mscsurvey.codebook.spec import Codebook
from mscsurvey.errors import SurveyError
from mscsurvey.synthesize import estimands as est
from mscsurvey.synthesize.export import BLANK

__all__ = ["parse_sensitivity", "apply_sensitivity", "population_means"]


def _fail(msg: str, key: str, source: str) -> SurveyError:
    return SurveyError(f"{source}: {key}: {msg}", key=key)


def parse_sensitivity(value: Any, cb: Codebook, source: str) -> dict[str, Any] | None:
    """Check the model's ``sensitivity`` block (None when absent)."""
    if value is None:
        return None
    if not isinstance(value, dict):
        raise _fail("expected a mapping", "sensitivity", source)
    out: dict[str, Any] = {"seed_offset": int(value.get("seed_offset", 19))}
    nr = value.get("nonresponse")
    if nr is not None:
        g = nr.get("group")
        if g not in cb.groups:
            raise _fail(
                f"'{g}' is not a group of the codebook", "sensitivity.nonresponse.group", source
            )
        rates = {str(k): float(v) for k, v in (nr.get("response_rate") or {}).items()}
        bad = [k for k in rates if k not in cb.groups[g].categories]
        if bad or not rates or not all(0 < r <= 1 for r in rates.values()):
            raise _fail(
                f"expected rates in (0, 1] for categories of {g}",
                "sensitivity.nonresponse.response_rate",
                source,
            )
        out["nonresponse"] = {"group": g, "response_rate": rates}
    mar = value.get("missing_at_random")
    if mar is not None:
        driver, cons = mar.get("driver"), list(mar.get("constructs") or [])
        if driver not in cb.items or not cons or any(c not in cb.constructs for c in cons):
            raise _fail(
                "expected a driver item and constructs of the codebook",
                "sensitivity.missing_at_random",
                source,
            )
        if any(driver in cb.constructs[c].items for c in cons):
            raise _fail(
                "the driver item may not belong to a skipped construct",
                "sensitivity.missing_at_random.driver",
                source,
            )
        out["missing_at_random"] = {
            "driver": driver,
            "constructs": cons,
            "base": float(mar.get("base", 0.05)),
            "slope": float(mar.get("slope", 0.15)),
        }
    return out


def population_means(answers: np.ndarray, cb: Codebook) -> dict[str, float]:
    """Construct means (keyed, prorated as the scales stage) of rows of item answers (codes > 0)."""
    codes = np.where(answers > 0, answers, np.nan).astype(float)
    scores = est.construct_scores(est.keyed_codes(codes, cb), cb)
    return {c: float(np.nanmean(v)) for c, v in scores.items()}


def apply_sensitivity(
    settings: dict[str, Any],
    cb: Codebook,
    answers_g: np.ndarray,
    reported: np.ndarray | None,
    seed: int,
) -> tuple[np.ndarray, np.ndarray, dict[str, Any]]:
    """Apply nonresponse and MAR skips to the genuine respondents' answers.

    Parameters
    ----------
    settings : dict
        From :func:`parse_sensitivity`.
    cb : Codebook
        The codebook.
    answers_g : numpy.ndarray, shape (n_gen, n_items)
        Genuine answers (codes > 0; ``DONT_KNOW``/``BLANK`` otherwise).
    reported : numpy.ndarray or None
        Each genuine respondent's reported category of the nonresponse group ("" when unreported).
    seed : int
        The generator's seed (``seed_offset`` is added for this stream of its own).

    Returns
    -------
    answers, responded, truth
        The new answers, a boolean per genuine respondent, and the truth block (rows added later).
    """
    rng = np.random.default_rng([int(seed), int(settings["seed_offset"])])
    out = answers_g.copy()
    n, items = out.shape[0], list(cb.items)
    truth: dict[str, Any] = {"settings": settings, "population_mean": population_means(out, cb)}
    responded = np.ones(n, dtype=bool)
    nr = settings.get("nonresponse")
    if nr is not None and reported is not None:
        rates = nr["response_rate"]
        mean_rate = float(np.mean(list(rates.values())))
        p = np.array([rates.get(str(c), mean_rate) for c in reported])
        responded = rng.random(n) < p
        out[~responded] = BLANK
        cats = cb.groups[nr["group"]].categories
        truth["population_counts"] = {c: int(np.sum(reported == c)) for c in cats}
        truth["respondent_counts"] = {c: int(np.sum((reported == c) & responded)) for c in cats}
    truth["respondent_mean"] = population_means(out[responded], cb)
    mar = settings.get("missing_at_random")
    if mar is not None:
        j0 = items.index(mar["driver"])
        top = max(cb.scale_of(mar["driver"]).codes)
        d = out[:, j0].astype(float)
        p = np.where(d > 0, mar["base"] + mar["slope"] * (top - d), mar["base"]).clip(0, 1)
        cols = [items.index(i) for c in mar["constructs"] for i in cb.constructs[c].items]
        skip = (rng.random((n, len(cols))) < p[:, None]) & responded[:, None] & (out[:, cols] > 0)
        sub = out[:, cols]
        sub[skip] = BLANK
        out[:, cols] = sub
        truth["cells_skipped"] = int(skip.sum())
    truth["n_responded"] = int(responded.sum())
    return out, responded, truth
