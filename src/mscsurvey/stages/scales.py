"""Construct scores with reliability checks: the codebook-driven scales stage.

Input is the clean stage's output: one row per analysed respondent, one nullable integer column per item
holding the **reverse-keyed** code (higher = more of the construct; missing = not answered or "don't
know"). Nothing study-specific is named here: constructs, items, groups and the cluster column come from
the :class:`~mscsurvey.codebook.spec.Codebook`.

* :func:`score` — a construct's score is the mean of its answered items, when at least
  ``construct.min_items()`` of them are answered.
* :func:`reliability_table` — per construct: alpha with its CI, standardised alpha, omega total,
  average inter-item r, a status (ok / weak / failed) and what the gate does with it.
* :func:`item_table` — per item: answers, mean, SD, missing share, corrected item-total r, alpha if
  deleted, one-factor loading and flags.
* :func:`cfa_tables` — the confirmatory factor model of all constructs together; :func:`wlsmv_fit` —
  the same with the items treated as ordinal (WLSMV), when enough respondents answered every item.
* :func:`invariance_table` — measurement invariance of each construct across each compared group.
* :func:`run_scores`, :func:`run_cfa`, :func:`invariance_table` — what the workflow's three jobs
  ``scales``, ``cfa`` and ``invariance`` compute, each from the clean responses (so the two cores share
  them, and the analyses that need only the scores start early); :func:`run_scales` — all three.

Every statistic is computed on the listwise-complete rows of the construct's items (the respondents who
answered all of them), as ``psych::alpha`` does; the scores use every respondent who answered enough.
"""

from __future__ import annotations

import logging
import math
import zlib
from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd

from mscsurvey import contracts
from mscsurvey.codebook.spec import Codebook
from mscsurvey.errors import SurveyError
from mscsurvey.settings import ScalesSettings, Thresholds
from mscsurvey.stats import cfa as _cfa
from mscsurvey.stats import invariance as _inv
from mscsurvey.stats import polychoric as _poly
from mscsurvey.stats import reliability as rel
from mscsurvey.stats import wlsmv as _wlsmv

__all__ = [
    "STATUS",
    "RELIABILITY_COLUMNS",
    "ITEM_COLUMNS",
    "ScoresResult",
    "ScalesResult",
    "scale_settings",
    "input_columns",
    "keyed_items",
    "score",
    "reliability_table",
    "item_table",
    "apply_gate",
    "cfa_sample",
    "cfa_tables",
    "invariance_table",
    "wlsmv_fit",
    "run_scores",
    "run_cfa",
    "run_scales",
]

log = logging.getLogger(__name__)

#: Reliability status, best first.
STATUS = ("ok", "weak", "failed")

RELIABILITY_COLUMNS = contracts.RELIABILITY.columns

ITEM_COLUMNS = contracts.ITEM_STATS.columns

_CI_LEVEL = 0.95


def scale_settings(settings: ScalesSettings | None = None) -> ScalesSettings:
    """``settings``, or the config schema's defaults of the ``scales:`` block when None."""
    return settings if settings is not None else ScalesSettings.parse()


def keyed_items(responses: pd.DataFrame, codebook: Codebook, construct: str) -> pd.DataFrame:
    """The construct's item columns as float64 (NaN = missing), in codebook order.

    Raises
    ------
    SurveyError
        an item column is absent or not numeric.
    """
    cols = {}
    for iid in codebook.constructs[construct].items:
        if iid not in responses.columns:
            raise SurveyError(
                f"column '{iid}' (item of construct '{construct}' in {codebook.path}) is missing from "
                "the clean responses (expected one column per codebook item)",
                column=iid,
            )
        s = responses[iid]
        if not pd.api.types.is_numeric_dtype(s):
            raise SurveyError(
                f"item column '{iid}' holds {s.dtype} values (expected numeric codes from the clean stage)",
                column=iid,
            )
        cols[iid] = s.to_numpy(dtype="float64", na_value=np.nan)
    return pd.DataFrame(cols, index=responses.index)


def input_columns(codebook: Codebook) -> list[str]:
    """The clean responses' columns the scales stage reads (for column projection of the Parquet
    file): the pseudonym, the cluster, every group and every item."""
    cols = [codebook.identifiers.pseudonym]
    if codebook.cluster:
        cols.append(codebook.cluster)
    return cols + list(codebook.groups) + list(codebook.items)


def _carried(responses: pd.DataFrame, codebook: Codebook) -> list[str]:
    cols = [codebook.identifiers.pseudonym]
    if codebook.cluster:
        cols.append(codebook.cluster)
    cols += list(codebook.groups)
    missing = [c for c in cols if c not in responses.columns]
    if missing:
        raise SurveyError(
            f"column '{missing[0]}' (from {codebook.path}) is missing from the clean responses",
            column=missing[0],
        )
    return cols


def score(
    responses: pd.DataFrame, codebook: Codebook, *, standardise: bool = False
) -> pd.DataFrame:
    """Construct scores: the mean of each construct's answered (keyed) items.

    Parameters
    ----------
    responses
        the clean stage's output (keyed item codes, group columns, the pseudonym and cluster columns).
    codebook
        the study's codebook.
    standardise
        also return ``<construct>__z``: the score minus its mean, divided by its SD (ddof 1), over the
        respondents with a score.

    Returns
    -------
    DataFrame
        one row per respondent, in input order: the pseudonym column, the cluster column and every
        group column unchanged, then per construct (codebook order) ``<construct>`` (float64; NaN when
        fewer than ``construct.min_items()`` items are answered), ``<construct>__n_items`` (int64,
        items answered) and, with ``standardise``, ``<construct>__z`` (float64).

    Raises
    ------
    SurveyError
        a codebook column is missing from ``responses`` or an item column is not numeric.

    Notes
    -----
    Person-mean scoring over the answered items ("prorating") assumes the answered items are
    exchangeable; the minimum share (``min_answered`` in the codebook) bounds how far it is stretched.
    """
    out = responses[_carried(responses, codebook)].copy()
    new = {}
    for cid, con in codebook.constructs.items():
        x = keyed_items(responses, codebook, cid).to_numpy()
        answered = np.isfinite(x).sum(axis=1)
        with np.errstate(invalid="ignore", divide="ignore"):
            mean = np.nansum(x, axis=1) / answered
        s = np.where(answered >= con.min_items(), mean, np.nan)
        new[cid] = s
        new[f"{cid}__n_items"] = answered.astype(np.int64)
        if standardise:
            ok = np.isfinite(s)
            sd = float(np.std(s[ok], ddof=1)) if ok.sum() >= 2 else float("nan")
            if not (sd > 0):
                log.warning("construct %s: scores have no spread; %s__z left missing", cid, cid)
                new[f"{cid}__z"] = np.full(len(s), np.nan)
            else:
                new[f"{cid}__z"] = (s - float(np.mean(s[ok]))) / sd
    return pd.concat([out, pd.DataFrame(new, index=responses.index)], axis=1)


# ----------------------------------------------------------------------------------------------------
# Per-construct statistics
# ----------------------------------------------------------------------------------------------------


def _seed_for(seed: int | None, construct: str) -> int | None:
    """A construct's bootstrap seed: independent of the order of constructs in the codebook."""
    if seed is None:
        return None
    ss = np.random.SeedSequence([int(seed), zlib.crc32(construct.encode("utf-8"))])
    return int(ss.generate_state(1)[0])


@dataclass
class _ConstructStats:
    row: dict[str, Any]
    items: pd.DataFrame


def _ordinal(complete: pd.DataFrame) -> dict[str, float]:
    """Ordinal alpha and omega (polychoric matrix) of a construct's complete rows; NaN when the codes
    are not integers or an item has a single answer (:mod:`mscsurvey.stats.polychoric`), or omega of 2
    items."""
    out = {"ordinal_alpha": float("nan"), "ordinal_omega": float("nan")}
    try:
        r = _poly.polychoric(complete).rho.to_numpy()
        out["ordinal_alpha"] = _poly.matrix_alpha(r)
        if complete.shape[1] >= 3:
            out["ordinal_omega"] = _poly.matrix_omega(r)
    except ValueError as exc:
        log.info("ordinal reliability not computed: %s", exc)
    return out


def _problem(x: pd.DataFrame, complete: pd.DataFrame, min_complete: int) -> str | None:
    """Why reliability cannot be estimated for these items, or None."""
    k = x.shape[1]
    if k < 2:
        return "single item: internal consistency cannot be estimated"
    empty = [c for c in x.columns if x[c].notna().sum() == 0]
    if empty:
        return f"item {empty[0]} has no answers"
    n = len(complete)
    if n < min_complete:
        return (
            f"only {n} respondent(s) answered every item (fewer than scales.min_complete = "
            f"{min_complete})"
        )
    flat = [c for c in complete.columns if complete[c].nunique() < 2]
    if flat:
        return f"item {flat[0]} has no variance among the {n} respondents who answered every item"
    return None


def _judge(row: dict[str, Any], th: Thresholds) -> str | None:
    """Set the construct's ``status`` (ok, weak, else failed) and ``reason`` from its alpha and the
    thresholds; return the problem when alpha is undefined."""
    alpha = row["alpha"]
    if not math.isfinite(alpha):
        return "alpha is undefined (the total score has no variance)"
    if alpha >= th.ok:
        row["status"] = "ok"
    elif alpha >= th.weak:
        row["status"] = "weak"
        row["reason"] = (
            f"alpha {alpha:.3f} is below the ok threshold {th.ok} (scales.thresholds.ok)"
        )
    else:
        row["reason"] = (
            f"alpha {alpha:.3f} is below the weak threshold {th.weak} (scales.thresholds.weak)"
        )
    return None


def _construct_stats(
    responses: pd.DataFrame,
    codebook: Codebook,
    cid: str,
    settings: ScalesSettings,
    seed: int | None,
    scores: pd.DataFrame,
) -> _ConstructStats:
    con = codebook.constructs[cid]
    x = keyed_items(responses, codebook, cid)
    complete = x.dropna()
    k, n = x.shape[1], len(complete)
    nan = float("nan")
    row: dict[str, Any] = {
        "construct": cid,
        "label": con.label,
        "n_items": k,
        "n_complete": n,
        "n_scored": int(scores[cid].notna().sum()),
        "alpha": nan,
        "alpha_ci_low": nan,
        "alpha_ci_high": nan,
        "alpha_ci_method": settings.alpha_ci,
        "alpha_std": nan,
        "omega_total": nan,
        "ordinal_alpha": nan,
        "ordinal_omega": nan,
        "average_r": nan,
        "mean": float(scores[cid].mean()) if scores[cid].notna().any() else nan,
        "sd": float(scores[cid].std(ddof=1)) if scores[cid].notna().sum() >= 2 else nan,
        "status": "failed",
        "included": True,
        "reason": "",
    }
    problem = _problem(x, complete, int(settings.min_complete))
    item_rows = pd.DataFrame(
        {
            "item": list(x.columns),
            "r_drop": nan,
            "alpha_if_deleted": nan,
            "loading": nan,
        }
    )
    if problem is None:
        a = rel.cronbach_alpha(
            complete,
            ci=_CI_LEVEL,
            method=settings.alpha_ci,
            n_boot=int(settings.bootstrap_resamples),
            seed=_seed_for(seed, cid),
        ).iloc[0]
        row.update(alpha=float(a["alpha"]), alpha_ci_low=a["ci_low"], alpha_ci_high=a["ci_high"])
        row["alpha_std"] = rel.standardised_alpha(complete)
        row["average_r"] = rel.average_interitem_r(complete)
        it = rel.item_total(complete)
        item_rows["r_drop"] = it["r_drop"].to_numpy()
        item_rows["alpha_if_deleted"] = it["alpha_if_deleted"].to_numpy()
        if k >= 3:
            lf = rel.one_factor_loadings(complete, method=settings.omega)
            item_rows["loading"] = lf["loading"].to_numpy()
            s = float(lf["loading"].sum())
            row["omega_total"] = s * s / (s * s + float(lf["uniqueness"].sum()))
        row.update(_ordinal(complete))
        problem = _judge(row, settings.thresholds)
    elif len(complete) >= 3 and k >= 2:
        # reliability is not judged, but item statistics that can be computed still help find the cause
        try:
            it = rel.item_total(complete)
            item_rows["r_drop"] = it["r_drop"].to_numpy()
            item_rows["alpha_if_deleted"] = it["alpha_if_deleted"].to_numpy()
        except ValueError:
            pass
    if problem is not None:
        row["status"] = "failed"
        row["reason"] = problem
    return _ConstructStats(row=row, items=item_rows)


def _item_rows(
    responses: pd.DataFrame,
    codebook: Codebook,
    cid: str,
    stats: _ConstructStats,
    margin: float,
) -> list[dict[str, Any]]:
    x = keyed_items(responses, codebook, cid)
    n_resp = len(x)
    k = x.shape[1]
    alpha = stats.row["alpha"]
    out = []
    for rec in stats.items.itertuples(index=False):
        iid = rec.item
        col = x[iid]
        answered = int(col.notna().sum())
        notes = []
        flag_del = bool(math.isfinite(rec.alpha_if_deleted) and math.isfinite(alpha))
        flag_del = flag_del and rec.alpha_if_deleted - alpha > margin
        flag_neg = bool(math.isfinite(rec.r_drop) and rec.r_drop < 0)
        if answered == 0:
            notes.append("no answers")
        elif col.nunique() < 2:
            notes.append("no variance (every answer the same)")
        if flag_neg:
            notes.append(
                f"negative corrected item-total r ({rec.r_drop:.3f}): is the item reverse-keyed? "
                f"check items.{iid}.reverse in the codebook"
            )
        if flag_del:
            notes.append(
                f"deleting it raises alpha from {alpha:.3f} to {rec.alpha_if_deleted:.3f} "
                f"(more than scales.alpha_if_deleted_margin = {margin})"
            )
        if k == 2:
            notes.append("2-item construct: no alpha if deleted or one-factor loading")
        out.append(
            {
                "item": iid,
                "construct": cid,
                "reverse": bool(codebook.items[iid].reverse),
                "n": answered,
                "mean": float(col.mean()) if answered else float("nan"),
                "sd": float(col.std(ddof=1)) if answered >= 2 else float("nan"),
                "pct_missing": 100.0 * (n_resp - answered) / n_resp if n_resp else float("nan"),
                "r_drop": float(rec.r_drop),
                "alpha_if_deleted": float(rec.alpha_if_deleted),
                "loading": float(rec.loading),
                "flag_alpha_if_deleted": flag_del,
                "flag_negative_r_drop": flag_neg,
                "note": "; ".join(notes),
            }
        )
    return out


def apply_gate(table: pd.DataFrame, *, gate: str) -> pd.DataFrame:
    """What a failed construct does downstream.

    Parameters
    ----------
    table
        a reliability table (:data:`RELIABILITY_COLUMNS`).
    gate
        ``"warn"`` (failed constructs stay ``included`` with their reason), ``"exclude"``
        (``included=False``; the analyses leave them out) or ``"error"`` (stop).

    Returns
    -------
    DataFrame
        a copy with ``included`` and ``reason`` set.

    Raises
    ------
    SurveyError
        with ``gate="error"`` and a failed construct: one line naming the construct, its alpha (or why
        it has none), the threshold and the config key to change.
    ValueError
        an unknown ``gate``.
    """
    if gate not in ("warn", "exclude", "error"):
        raise ValueError(f"gate must be 'warn', 'exclude' or 'error', got {gate!r}")
    out = table.copy()
    failed = out["status"] == "failed"
    if gate == "error" and failed.any():
        r = out[failed].iloc[0]
        others = int(failed.sum()) - 1
        more = f" ({others} more failed construct(s) in the log)" if others else ""
        for rr in out[failed].iloc[1:].itertuples(index=False):
            log.error("construct %s failed: %s", rr.construct, rr.reason)
        raise SurveyError(
            f"construct '{r['construct']}' failed the reliability check: {r['reason']}{more}; "
            "fix its items in the codebook, or set scales.gate to warn or exclude",
            key="scales.gate",
        )
    out["included"] = True
    if gate == "exclude":
        out.loc[failed, "included"] = False
        out.loc[failed, "reason"] = out.loc[failed, "reason"] + "; excluded (scales.gate = exclude)"
    elif gate == "warn":
        out.loc[failed, "reason"] = (
            out.loc[failed, "reason"] + "; kept with a warning (scales.gate = warn)"
        )
    return out


def _all_stats(
    responses: pd.DataFrame,
    codebook: Codebook,
    settings: ScalesSettings,
    seed: int | None,
    scores: pd.DataFrame | None = None,
) -> dict[str, _ConstructStats]:
    if scores is None:
        scores = score(responses, codebook)
    return {
        cid: _construct_stats(responses, codebook, cid, settings, seed, scores)
        for cid in codebook.constructs
    }


def _reliability_frame(stats: dict[str, _ConstructStats], settings: ScalesSettings) -> pd.DataFrame:
    table = pd.DataFrame([s.row for s in stats.values()], columns=RELIABILITY_COLUMNS)
    table = table.astype(
        {
            "n_items": "int64",
            "n_complete": "int64",
            "n_scored": "int64",
            "included": "bool",
            **{
                c: "float64"
                for c in (
                    "alpha",
                    "alpha_ci_low",
                    "alpha_ci_high",
                    "alpha_std",
                    "omega_total",
                    "ordinal_alpha",
                    "ordinal_omega",
                    "average_r",
                    "mean",
                    "sd",
                )
            },
        }
    )
    return apply_gate(table, gate=settings.gate)


def _item_frame(
    responses: pd.DataFrame,
    codebook: Codebook,
    stats: dict[str, _ConstructStats],
    settings: ScalesSettings,
) -> pd.DataFrame:
    rows = []
    for cid, st in stats.items():
        rows += _item_rows(responses, codebook, cid, st, float(settings.alpha_if_deleted_margin))
    return pd.DataFrame(rows, columns=ITEM_COLUMNS).astype({"n": "int64"})


def reliability_table(
    responses: pd.DataFrame,
    codebook: Codebook,
    *,
    settings: ScalesSettings | None = None,
    seed: int | None = None,
) -> pd.DataFrame:
    """One row per construct: reliability, status and what the gate does with it.

    Parameters
    ----------
    responses
        the clean stage's output.
    codebook
        the study's codebook.
    settings
        the ``scales:`` settings (:class:`~mscsurvey.settings.ScalesSettings`; None = the config
        schema's defaults): ``alpha_ci``, ``bootstrap_resamples``, ``thresholds``, ``gate``,
        ``min_complete``, ``omega``.
    seed
        the bootstrap's seed (each construct gets its own stream, derived from this and its id).

    Returns
    -------
    DataFrame
        columns :data:`RELIABILITY_COLUMNS`: ``construct``, ``label``, ``n_items``, ``n_complete``
        (respondents who answered every item: the rows of every statistic), ``n_scored`` (respondents
        with a score), ``alpha`` with its 95% ``alpha_ci_low``/``alpha_ci_high`` by
        ``alpha_ci_method`` (``feldt`` or ``bootstrap``), ``alpha_std``, ``omega_total`` (one-factor
        model by ``settings.omega``; NaN for 2-item constructs, not identified), ``ordinal_alpha``
        and ``ordinal_omega`` (the same of the polychoric correlation matrix, items treated as ordinal:
        :mod:`mscsurvey.stats.polychoric`; NaN when not computable), ``average_r``,
        ``mean`` and ``sd`` of the scores, ``status`` (``ok`` alpha >= ok threshold, ``weak`` >= weak,
        else ``failed``; also ``failed`` when reliability cannot be estimated: a single item, an item
        nobody answered, fewer than ``min_complete`` complete respondents, a constant item),
        ``included`` and ``reason``.

    Raises
    ------
    SurveyError
        bad settings; with ``gate: error``, the first failed construct (see :func:`apply_gate`).

    Notes
    -----
    Statistics agree with ``psych::alpha``, ``psych::alpha.ci`` and ``psych::fa`` (psych 2.2.9) on the
    listwise-complete rows; see :mod:`mscsurvey.stats.reliability`. The status uses the point estimate of
    alpha, not its interval.
    """
    s = scale_settings(settings)
    return _reliability_frame(_all_stats(responses, codebook, s, seed), s)


def item_table(
    responses: pd.DataFrame,
    codebook: Codebook,
    *,
    settings: ScalesSettings | None = None,
) -> pd.DataFrame:
    """One row per item (codebook order): answers, spread and how the item fits its construct.

    Returns
    -------
    DataFrame
        columns :data:`ITEM_COLUMNS`: ``item``, ``construct``, ``reverse`` (codebook), ``n`` (answers),
        ``mean``, ``sd`` (of the keyed answers), ``pct_missing`` (% of respondents without an answer),
        ``r_drop`` (corrected item-total r), ``alpha_if_deleted``, ``loading`` (one-factor, the
        ``omega`` method), ``flag_alpha_if_deleted`` (deleting the item raises alpha by more than
        ``alpha_if_deleted_margin``), ``flag_negative_r_drop`` (r_drop < 0: typically a reverse-keyed
        item the codebook does not mark ``reverse: true``), ``note``. ``r_drop``, ``alpha_if_deleted``
        and ``loading`` use the construct's listwise-complete rows; NaN when they cannot be computed
        (the note or the reliability table's reason says why).

    Raises
    ------
    SurveyError
        bad settings, a missing or non-numeric item column.

    Notes
    -----
    ``r_drop`` and ``alpha_if_deleted`` agree with ``psych::alpha`` (psych 2.2.9) ``r.drop`` and
    ``alpha.drop$raw_alpha``.
    """
    s = scale_settings(settings)
    return _item_frame(responses, codebook, _all_stats(responses, codebook, s, None), s)


def cfa_sample(n: int, max_n: int | None, seed: int | None) -> np.ndarray | None:
    """Row positions of the CFA's random sample when ``n`` exceeds ``max_n`` (sorted), else None.

    Drawn with ``numpy.random.default_rng`` from a stream derived from ``seed`` (the same seed and
    ``n`` give the same rows).
    """
    if max_n is None or n <= max_n:
        return None
    rng = np.random.default_rng(_seed_for(0 if seed is None else seed, "__cfa__"))
    return np.sort(rng.choice(n, size=int(max_n), replace=False))


def cfa_tables(
    responses: pd.DataFrame,
    codebook: Codebook,
    *,
    settings: ScalesSettings | None = None,
    seed: int | None = None,
) -> tuple[pd.DataFrame, pd.DataFrame]:
    """The confirmatory factor model of all constructs together (:func:`mscsurvey.stats.cfa.fit_cfa`).

    Returns
    -------
    fit, loadings
        :data:`mscsurvey.stats.cfa.FIT_COLUMNS` (one row) and :data:`mscsurvey.stats.cfa.LOADING_COLUMNS`; when the
        model cannot be fitted (too few respondents, no identified factor) the fit row carries NaN
        indices, ``converged=False`` and the reason in ``note``, and every item a NaN loading: the
        stage goes on.

    Notes
    -----
    With more respondents than ``settings.cfa_max_n`` the model is fitted on a seeded random
    sample of that many (:func:`cfa_sample`), and the fit's ``note`` says so: each evaluation of the
    FIML likelihood costs one k x k inverse per missing-data pattern, and with many respondents almost
    every respondent has a pattern of their own (about 40 s for 5,000 respondents x 40 items on one
    core, hours for 10^6). Fit indices and loadings barely move beyond a few thousand respondents;
    the chi-square, its p-value and the standard errors are those of the sample (its ``n``).
    """
    s = scale_settings(settings)
    constructs = {cid: list(con.items) for cid, con in codebook.constructs.items()}
    data = pd.concat([keyed_items(responses, codebook, cid) for cid in constructs], axis=1)
    rows = cfa_sample(len(data), s.cfa_max_n, seed)
    sampled = ""
    if rows is not None:
        sampled = (
            f"fitted on a random sample of {len(rows):,} of {len(data):,} respondents "
            "(scales.cfa_max_n)"
        )
        log.info("CFA %s", sampled)
        data = data.iloc[rows]
    try:
        res = _cfa.fit_cfa(data, constructs, method=s.cfa_missing, ci=_CI_LEVEL)
        if sampled:
            note = res.fit["note"].fillna("").astype(str)
            res.fit["note"] = [f"{t}; {sampled}" if t else sampled for t in note]
        return res.fit, res.loadings
    except (ValueError, np.linalg.LinAlgError) as exc:
        log.warning("CFA not fitted: %s", exc)
        fit = pd.DataFrame(
            [
                {
                    **dict.fromkeys(_cfa.FIT_COLUMNS, float("nan")),
                    "model": "all constructs",
                    "method": s.cfa_missing,
                    "information": "",
                    "n": len(data),
                    "n_complete": int(data.notna().all(axis=1).sum()),
                    "n_items": data.shape[1],
                    "n_factors": 0,
                    "n_parameters": 0,
                    "df": 0,
                    "converged": False,
                    "note": f"not fitted: {exc}" + (f"; {sampled}" if sampled else ""),
                }
            ],
            columns=_cfa.FIT_COLUMNS,
        )
        rows = [
            {
                **dict.fromkeys(_cfa.LOADING_COLUMNS, float("nan")),
                "construct": cid,
                "item": i,
                "n": int(data[i].notna().sum()),
                "marker": False,
                "method": s.cfa_missing,
                "note": "CFA not fitted",
            }
            for cid, its in constructs.items()
            for i in its
        ]
        return fit, pd.DataFrame(rows, columns=_cfa.LOADING_COLUMNS)


def _group_column(responses: pd.DataFrame, codebook: Codebook, gid: str) -> pd.Series:
    """A group as a categorical in codebook order (its first category is the reference group)."""
    cats = [str(c) for c in codebook.groups[gid].categories]
    col = responses[gid].astype("string")
    return pd.Series(pd.Categorical(col, categories=cats), index=responses.index, name=gid)


def invariance_table(
    responses: pd.DataFrame,
    codebook: Codebook,
    *,
    settings: ScalesSettings | None = None,
    seed: int | None = None,
) -> pd.DataFrame:
    """Measurement invariance of every construct (3+ items) across every compared group.

    Returns
    -------
    DataFrame
        :data:`mscsurvey.stats.invariance.INVARIANCE_COLUMNS`, one row per construct x group x level
        (``construct_set`` is the construct: each is tested as a one-factor model on the respondents
        who answered all its items). A construct x group that cannot be tested (fewer than two groups
        of ``settings.invariance_min_group_n`` complete respondents, or a 2-item construct) gets one
        row with level ``not_tested`` and the reason in ``note``.

    Notes
    -----
    Above ``settings.cfa_max_n`` respondents, fitted on the CFA's seeded sample
    (:func:`cfa_sample`). See :func:`mscsurvey.stats.invariance.measurement_invariance`.
    """
    s = scale_settings(settings)
    rows = cfa_sample(len(responses), s.cfa_max_n, seed)
    data = responses if rows is None else responses.iloc[rows]
    min_n = int(s.invariance_min_group_n)
    frames = []
    for cid, con in codebook.constructs.items():
        items = keyed_items(data, codebook, cid)
        for gid in codebook.compared_groups():
            df = items.assign(**{gid: _group_column(data, codebook, gid)})
            try:
                if len(con.items) < 3:
                    raise ValueError(f"{len(con.items)} items: a one-factor model needs 3")
                frames.append(
                    _inv.measurement_invariance(
                        df, {cid: list(con.items)}, gid, min_group_n=min_n, name=cid
                    )
                )
            except (ValueError, np.linalg.LinAlgError) as exc:
                frames.append(_not_tested(cid, gid, str(exc)))
    out = pd.concat(frames, ignore_index=True)[_inv.INVARIANCE_COLUMNS]
    return out.astype({"delta_df": "Int64", "holds": "boolean", "df": "Int64"})


def _not_tested(cid: str, gid: str, why: str) -> pd.DataFrame:
    row = dict.fromkeys(_inv.INVARIANCE_COLUMNS, float("nan"))
    row.update(
        construct_set=cid,
        group_variable=gid,
        level="not_tested",
        groups="",
        n_groups=0,
        n=0,
        df=pd.NA,
        compared_to="",
        delta_df=pd.NA,
        holds=pd.NA,
        freed_intercepts="",
        latent_means="",
        left_out="",
        converged=False,
        note=f"not tested: {why}",
    )
    return pd.DataFrame([row], columns=_inv.INVARIANCE_COLUMNS)


#: fewest listwise-complete respondents for the ordinal (WLSMV) CFA: below about 200 its robust
#: statistics are unreliable (Flora & Curran 2004).
WLSMV_MIN_N = 200


def wlsmv_fit(
    responses: pd.DataFrame,
    codebook: Codebook,
    *,
    settings: ScalesSettings | None = None,
    seed: int | None = None,
) -> pd.DataFrame | None:
    """The CFA of all constructs with the items treated as ordinal (:func:`mscsurvey.stats.wlsmv.fit_wlsmv`),
    as one row of :data:`mscsurvey.stats.cfa.FIT_COLUMNS` (``method = "wlsmv"``), or None when fewer than
    :data:`WLSMV_MIN_N` respondents answered every item (the estimator is listwise)."""
    s = scale_settings(settings)
    constructs = {cid: list(con.items) for cid, con in codebook.constructs.items()}
    data = pd.concat([keyed_items(responses, codebook, cid) for cid in constructs], axis=1)
    rows = cfa_sample(len(data), s.cfa_max_n, seed)
    if rows is not None:
        data = data.iloc[rows]
    complete = data.dropna()
    if len(complete) < WLSMV_MIN_N:
        log.info("WLSMV CFA not fitted: %d complete respondents (< %d)", len(complete), WLSMV_MIN_N)
        return None
    try:
        res = _wlsmv.fit_wlsmv(complete, constructs)
    except (ValueError, np.linalg.LinAlgError) as exc:
        log.warning("WLSMV CFA not fitted: %s", exc)
        return None
    f = res.fit.iloc[0]
    row = {c: f[c] for c in ("model", "method", "n", "n_items", "n_factors", "chi2", "df")}
    row.update(
        information="",
        n_complete=int(f["n"]),
        n_parameters=pd.NA,
        p_value=f["p_value"],
        cfi=f["cfi"],
        tli=f["tli"],
        rmsea=f["rmsea"],
        rmsea_ci_low=float("nan"),
        rmsea_ci_high=float("nan"),
        srmr=f["srmr"],
        converged=bool(f["converged"]),
        note="ordinal items: DWLS on polychorics, scaled-shifted chi-square (lavaan WLSMV); "
        "listwise-complete respondents",
    )
    return pd.DataFrame([row], columns=_cfa.FIT_COLUMNS)


@dataclass
class ScoresResult:
    """What the ``scales`` job writes: scores, the reliability table (gate applied), item statistics."""

    scores: pd.DataFrame
    reliability: pd.DataFrame
    items: pd.DataFrame

    def counts(self) -> dict[str, int]:
        st = self.reliability["status"].value_counts()
        return {
            **{s: int(st.get(s, 0)) for s in STATUS},
            "excluded": int((~self.reliability["included"]).sum()),
            "respondents": len(self.scores),
        }


@dataclass
class ScalesResult(ScoresResult):
    """Everything the three scales jobs (``scales``, ``cfa``, ``invariance``) write."""

    cfa_fit: pd.DataFrame
    cfa_loadings: pd.DataFrame
    invariance: pd.DataFrame


def run_scores(
    responses: pd.DataFrame,
    codebook: Codebook,
    *,
    settings: ScalesSettings | None = None,
    seed: int | None = None,
) -> ScoresResult:
    """Scores, reliability table (gate applied) and item table, computing each statistic once: the
    workflow's ``scales`` job (reads the ``scales`` keys but ``cfa_*`` and ``invariance_*``).

    Raises
    ------
    SurveyError
        as :func:`reliability_table` (bad settings, a missing column, ``gate: error`` with a failed
        construct). Nothing is returned, so nothing is written.
    """
    s = scale_settings(settings)
    scores = score(responses, codebook, standardise=bool(s.standardise))
    stats = _all_stats(responses, codebook, s, seed, scores)
    reliability = _reliability_frame(stats, s)
    return ScoresResult(scores, reliability, _item_frame(responses, codebook, stats, s))


def run_cfa(
    responses: pd.DataFrame,
    codebook: Codebook,
    *,
    settings: ScalesSettings | None = None,
    seed: int | None = None,
) -> tuple[pd.DataFrame, pd.DataFrame]:
    """The CFA of all constructs: :func:`cfa_tables`' fit row, then :func:`wlsmv_fit`'s when it is
    fitted, and the loadings: the workflow's ``cfa`` job (reads ``scales.cfa_missing`` and
    ``scales.cfa_max_n``)."""
    s = scale_settings(settings)
    fit, loadings = cfa_tables(responses, codebook, settings=s, seed=seed)
    ordinal = wlsmv_fit(responses, codebook, settings=s, seed=seed)
    if ordinal is not None:
        fit = pd.concat(
            [fit, ordinal.astype(fit.dtypes.to_dict(), errors="ignore")], ignore_index=True
        )
    return fit, loadings


def run_scales(
    responses: pd.DataFrame,
    codebook: Codebook,
    *,
    settings: ScalesSettings | None = None,
    seed: int | None = None,
) -> ScalesResult:
    """All three scales jobs in one call (:func:`run_scores`, :func:`run_cfa`,
    :func:`invariance_table`), for callers outside the workflow.

    Raises
    ------
    SurveyError
        as :func:`run_scores`; nothing is returned.
    """
    s = scale_settings(settings)
    main = run_scores(responses, codebook, settings=s, seed=seed)
    fit, loadings = run_cfa(responses, codebook, settings=s, seed=seed)
    inv = invariance_table(responses, codebook, settings=s, seed=seed)
    return ScalesResult(main.scores, main.reliability, main.items, fit, loadings, inv)
