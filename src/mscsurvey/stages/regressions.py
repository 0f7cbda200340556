"""Driver models: which collaboration dynamics go with an outcome construct.

Each model of the config (``analyses.models.<name>: {outcome, predictors, controls}``) is fitted on its
complete cases as an OLS regression with **standardised coefficients**, cluster-robust standard errors
(respondents are nested in the codebook's cluster column), HC3 standard errors and VIFs beside them; the
same design as a linear mixed model with a random intercept per cluster; and the relative importance of
each predictor by **dominance analysis** (general dominance = Shapley decomposition of R², a categorical
predictor counted as one block of dummies). :func:`drivers` turns the ranking into a sentence.

**Predictors and controls.** Both enter the OLS, the mixed model and the dominance analysis (so every
share of R² is reported, and the predictors' shares are those of the full model, controls included).
Only predictors are ranked as drivers: ``rank`` counts among the predictors (missing for a control;
``rank_all`` is the rank among all blocks), and the driver sentence names the strongest predictors
"controlling for" the controls. The ``role`` column (``predictor``/``control``) says which is which.

Coding (the ``coding`` column):

- a construct: its score z-scored on the model's complete cases (``standardised score``);
- an ordered group: its category's position 1..k, z-scored (``linear score 1..k, z-scored``);
- an unordered group: 0/1 dummies against the codebook ``reference`` (``dummy vs reference``); their
  coefficients are differences in outcome SDs.

The outcome is z-scored on the complete cases; SDs use ddof = 1 (as R's ``scale``).
"""

from __future__ import annotations

import logging
import warnings
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field

import numpy as np
import pandas as pd

# OLS and add_constant from their modules, not statsmodels.api: importing the api (every model,
# formulas) costs ~0.5 s CPU at the start of each job that imports this module (regressions,
# sensitivity; issue 20)
from statsmodels.regression.linear_model import OLS
from statsmodels.stats.outliers_influence import variance_inflation_factor
from statsmodels.tools.tools import add_constant

from mscsurvey import contracts
from mscsurvey.codebook.models import CONTROL, PREDICTOR, ModelSpec, input_columns, validate_models
from mscsurvey.codebook.spec import Codebook, Group
from mscsurvey.errors import SurveyError
from mscsurvey.report.phrasing import driver_sentence, lower_first, not_modelled
from mscsurvey.stages.subgroups import excluded_constructs

# dominance_analysis lives in stats/ (an engine); re-exported: it was this module's API before issue 16
from mscsurvey.stats.comparisons import check_level
from mscsurvey.stats.dominance import dominance_analysis
from mscsurvey.stats.mixed import fit_random_intercept

__all__ = [
    "REGRESSION_COLUMNS",
    "IMPORTANCE_COLUMNS",
    "DRIVER_COLUMNS",
    "CODING",
    "ModelSpec",
    "Design",
    "RegressionResult",
    "input_columns",
    "validate_models",
    "model_design",
    "standardised_ols",
    "mixed_model",
    "dominance_analysis",
    "drivers",
    "run_models",
]

log = logging.getLogger(__name__)

CODING = {
    "construct": "standardised score",
    "ordered": "linear score 1..k, z-scored",
    "dummy": "dummy vs reference",
    "intercept": "intercept",
}
REGRESSION_COLUMNS = contracts.REGRESSIONS.columns
IMPORTANCE_COLUMNS = contracts.IMPORTANCE.columns
DRIVER_COLUMNS = contracts.DRIVERS.columns


@dataclass
class Design:
    """A model's complete-case data, coded and standardised (see :func:`model_design`).

    ``x`` has one column per term (no intercept); ``terms`` one row per term of ``x`` with ``term``,
    ``predictor``, ``coding``, ``reference``; ``blocks`` maps each predictor to its terms;
    ``dropped`` lists predictors/terms left out, with the reason (term, predictor, coding, reference,
    note); ``clusters`` is aligned to the rows of ``y`` and ``x``.
    """

    model: str
    outcome: str
    y: pd.Series
    x: pd.DataFrame
    terms: pd.DataFrame
    blocks: dict[str, list[str]]
    clusters: pd.Series | None
    dropped: list[dict[str, object]] = field(default_factory=list)

    @property
    def n(self) -> int:
        return int(len(self.y))

    @property
    def n_clusters(self) -> int | None:
        return None if self.clusters is None else int(self.clusters.nunique())


@dataclass(frozen=True)
class RegressionResult:
    """The three tables of :func:`run_models`."""

    regressions: pd.DataFrame
    importance: pd.DataFrame
    drivers: pd.DataFrame


def _zscore(s: pd.Series) -> pd.Series:
    return (s - s.mean()) / s.std(ddof=1)


@dataclass
class _Terms:
    """The design's columns, term rows, blocks and dropped terms, filled predictor by predictor."""

    xcols: dict[str, pd.Series] = field(default_factory=dict)
    term_rows: list[dict[str, object]] = field(default_factory=list)
    blocks: dict[str, list[str]] = field(default_factory=dict)
    dropped: list[dict[str, object]] = field(default_factory=list)

    def _drop(self, term: str, p: str, coding: str, ref: str | None, note: str) -> None:
        self.dropped.append(
            {"term": term, "predictor": p, "coding": coding, "reference": ref, "note": note}
        )

    def _term(self, term: str, p: str, coding: str, ref: str | None, col: pd.Series) -> None:
        self.xcols[term] = col
        self.term_rows.append({"term": term, "predictor": p, "coding": coding, "reference": ref})
        self.blocks.setdefault(p, []).append(term)

    def add_numeric(self, p: str, v: pd.Series, coding: str) -> None:
        """A construct score or an ordered group's positions: z-scored, or dropped if constant."""
        if v.std(ddof=1) > 0:
            self._term(p, p, coding, None, _zscore(v))
        else:
            self._drop(p, p, coding, None, "dropped: constant on the model's complete cases")

    def add_dummies(self, p: str, grp: Group, labels: pd.Series, *, model: str) -> None:
        """An unordered group's 0/1 dummies against its reference (the most frequent category
        when the reference has no respondent); categories with none are dropped and recorded."""
        coding = CODING["dummy"]
        counts = labels.value_counts()
        present = [c for c in grp.categories if counts.get(c, 0) > 0]
        ref = grp.reference
        if len(present) < 2:
            note = "dropped: fewer than two categories among the model's complete cases"
            self._drop(p, p, coding, ref, note)
            return
        if ref not in present:
            new_ref = max(present, key=lambda c: (counts[c], -grp.categories.index(c)))
            log.warning(
                "model %s: reference '%s' of %s has no respondents; using '%s'",
                model,
                ref,
                p,
                new_ref,
            )
            note = (
                "reference category has no respondents in the model's complete cases; "
                f"'{new_ref}' is the reference instead"
            )
            self._drop(f"{p}[{ref}]", p, coding, ref, note)
            ref = new_ref
        self.blocks[p] = []
        for cat in grp.categories:
            if cat == ref:
                continue
            term = f"{p}[{cat}]"
            if cat not in present:
                if cat == grp.reference:
                    continue  # recorded above: the reference had no respondents
                note = "dropped: no respondents in the model's complete cases"
                self._drop(term, p, coding, ref, note)
                continue
            self._term(term, p, coding, ref, (labels == cat).astype("float64"))


def model_design(
    scores: pd.DataFrame,
    codebook: Codebook,
    *,
    outcome: str,
    predictors: Sequence[str],
    model: str | None = None,
) -> Design:
    """Complete cases of ``outcome ~ predictors``, coded and standardised.

    Parameters
    ----------
    scores : pandas.DataFrame
        One row per respondent: construct scores, group columns (categorical; missing = not
        reported) and the codebook's cluster column.
    codebook : Codebook
        Says which predictors are constructs, ordered or unordered groups, and each group's reference.
    outcome : str, keyword-only
        The outcome construct.
    predictors : sequence of str, keyword-only
        Constructs and groups.
    model : str, optional, keyword-only
        The model's name (default: the outcome).

    Returns
    -------
    Design

    Raises
    ------
    SurveyError
        A column missing from ``scores``.

    Notes
    -----
    Rows missing the outcome, any predictor or the cluster are dropped (listwise). A dummy whose
    category has no respondent among the complete cases is dropped and recorded; if the reference
    category has none, the most frequent category becomes the reference (recorded); a predictor that
    is constant on the complete cases is dropped (recorded). Terms are named like the synthetic
    generator's estimands: a construct's or ordered group's id, ``group[category]`` for a dummy.
    """
    cluster = codebook.cluster
    cols = [outcome, *predictors] + ([cluster] if cluster else [])
    lacking = [c for c in cols if c not in scores.columns]
    if lacking:
        raise SurveyError(
            f"the scores table lacks column(s) {', '.join(lacking)} needed by model "
            f"'{model or outcome}'"
        )
    d = scores[cols].dropna()
    y = _zscore(d[outcome].astype("float64"))
    acc = _Terms()
    for p in predictors:
        if p in codebook.constructs:
            acc.add_numeric(p, d[p].astype("float64"), CODING["construct"])
            continue
        grp = codebook.groups[p]
        labels = d[p].astype(str)
        if grp.ordered:
            pos = labels.map({c: k + 1 for k, c in enumerate(grp.categories)}).astype("float64")
            acc.add_numeric(p, pos, CODING["ordered"])
        else:
            acc.add_dummies(p, grp, labels, model=model or outcome)
    xcols, term_rows, blocks, dropped = acc.xcols, acc.term_rows, acc.blocks, acc.dropped
    for rec in dropped:
        log.warning("model %s: %s: %s", model or outcome, rec["term"], rec["note"])
    x = pd.DataFrame(xcols, index=d.index)
    terms = pd.DataFrame(term_rows, columns=["term", "predictor", "coding", "reference"])
    clusters = d[cluster].astype(str) if cluster else None
    return Design(
        model=model or outcome,
        outcome=outcome,
        y=y,
        x=x,
        terms=terms,
        blocks=blocks,
        clusters=clusters,
        dropped=dropped,
    )


def standardised_ols(design: Design, *, ci_level: float = 0.95) -> pd.DataFrame:
    """OLS of the standardised design with cluster-robust and HC3 standard errors and VIFs.

    Parameters
    ----------
    design : Design
        From :func:`model_design`.
    ci_level : float, keyword-only
        Confidence level.

    Returns
    -------
    pandas.DataFrame
        One row per term, the intercept first: ``term``, ``estimate`` (standardised coefficient),
        ``se_cluster``, ``ci_low``, ``ci_high``, ``p`` (cluster-robust), ``se_hc3``, ``p_hc3``,
        ``vif``, ``n``, ``n_clusters``, ``r2``, ``r2_adj``.

    Notes
    -----
    ``statsmodels`` ``OLS(...).fit(cov_type="cluster", cov_kwds={"groups": ...}, use_t=True)``: the
    CR1 sandwich with the small-sample factor :math:`\\frac{G}{G-1}\\frac{N-1}{N-K}`, t reference with
    :math:`G-1` degrees of freedom (Cameron & Miller 2015). The cluster labels are the design's,
    aligned to the complete-case rows. Without a cluster column (or with fewer than two clusters)
    the cluster columns are missing and ``p``/intervals come from HC3. VIF per column from
    ``variance_inflation_factor`` on the design with its intercept.

    References
    ----------
    Cameron, A. C., & Miller, D. L. (2015). A practitioner's guide to cluster-robust inference.
    *Journal of Human Resources*, 50(2), 317-372.
    MacKinnon, J. G., & White, H. (1985). Some heteroskedasticity-consistent covariance matrix
    estimators with improved finite sample properties. *J. Econometrics*, 29, 305-325.
    """
    check_level(ci_level)
    alpha = 1 - ci_level
    xc = add_constant(design.x, has_constant="add").rename(columns={"const": "Intercept"})
    y = design.y
    n, k = xc.shape
    if n <= k:
        raise ValueError(f"model '{design.model}' has {n} complete cases for {k} parameters")
    # one least-squares fit (an SVD of the n x k design), both sandwich covariances from it
    ols = OLS(y, xc).fit()
    hc3 = ols.get_robustcov_results(cov_type="HC3", use_t=False)
    use_cluster = (
        design.clusters is not None and design.n_clusters is not None and design.n_clusters >= 2
    )
    if use_cluster:
        codes = pd.factorize(design.clusters)[0]
        fit = ols.get_robustcov_results(cov_type="cluster", groups=codes, use_t=True)
        se, p = fit.bse, fit.pvalues
    else:
        fit = hc3
        se, p = np.full(k, np.nan), hc3.pvalues
    ci = np.asarray(fit.conf_int(alpha=alpha), dtype=float)
    vif = [np.nan, *_vifs(xc.to_numpy(dtype=float)[:, 1:])]
    return pd.DataFrame(
        {
            "term": list(xc.columns),
            "estimate": np.asarray(fit.params, dtype=float),
            "se_cluster": np.asarray(se, dtype=float),
            "ci_low": ci[:, 0],
            "ci_high": ci[:, 1],
            "p": np.asarray(p, dtype=float),
            "se_hc3": np.asarray(hc3.bse, dtype=float),
            "p_hc3": np.asarray(hc3.pvalues, dtype=float),
            "vif": vif,
            "n": n,
            "n_clusters": design.n_clusters if design.n_clusters is not None else pd.NA,
            "r2": float(fit.rsquared),
            "r2_adj": float(fit.rsquared_adj),
        }
    )


def _vifs(x: np.ndarray) -> list[float]:
    """Variance inflation factor of each column of ``x`` (the design without its intercept).

    ``1 / (1 - R_j^2)``, R_j^2 the (centred) R^2 of column j on the others and an intercept, is the
    j-th diagonal element of the inverse correlation matrix of the columns: one k x k inverse instead
    of statsmodels' ``variance_inflation_factor`` (a regression on n rows per column; same values to
    rounding). Exactly collinear columns fall back to it (infinite VIFs).
    """
    if x.shape[1] == 0:
        return []
    if x.shape[1] == 1:
        return [1.0]
    corr = np.corrcoef(x, rowvar=False)
    try:
        inv = np.linalg.inv(corr)
        if np.isfinite(inv).all() and np.linalg.cond(corr) < 1e12:
            return [float(v) for v in np.diag(inv)]
    except np.linalg.LinAlgError:
        pass
    xc = np.column_stack([np.ones(x.shape[0]), x])
    with np.errstate(divide="ignore", invalid="ignore"):
        return [float(variance_inflation_factor(xc, j)) for j in range(1, xc.shape[1])]


def mixed_model(design: Design, *, ci_level: float = 0.95) -> tuple[pd.DataFrame, str]:
    """The standardised design as a linear mixed model with a random intercept per cluster.

    Parameters
    ----------
    design : Design
        From :func:`model_design`.
    ci_level : float, keyword-only
        Confidence level of the (Wald) intervals.

    Returns
    -------
    (pandas.DataFrame, str)
        One row per term (intercept first): ``term``, ``mixed_estimate``, ``mixed_ci_low``,
        ``mixed_ci_high``; and a note (empty when the fit converged; missing values and a note when
        there is no cluster column or the fit failed).

    Notes
    -----
    Fitted by REML with :func:`mscsurvey.stats.mixed.fit_random_intercept` (statsmodels ``MixedLM``'s
    likelihood and fixed-effects covariance, computed from per-cluster sums); intervals are Wald
    intervals with a normal reference, as ``MixedLMResults.conf_int``.
    """
    check_level(ci_level)
    xc = add_constant(design.x, has_constant="add").rename(columns={"const": "Intercept"})
    empty = pd.DataFrame(
        {
            "term": list(xc.columns),
            "mixed_estimate": np.nan,
            "mixed_ci_low": np.nan,
            "mixed_ci_high": np.nan,
        }
    )
    if design.clusters is None or (design.n_clusters or 0) < 2:
        return empty, "no mixed model: fewer than two clusters"
    try:
        res, issues = fit_random_intercept(
            design.y.to_numpy(dtype=float),
            xc.to_numpy(dtype=float),
            design.clusters.to_numpy(dtype=str),
            reml=True,
        )
    except (ValueError, np.linalg.LinAlgError) as exc:
        return empty, f"mixed model failed: {exc}"
    k = xc.shape[1]
    fe = np.asarray(res.fe_params, dtype=float)
    ci = np.asarray(res.conf_int(alpha=1 - ci_level), dtype=float)[:k]
    out = pd.DataFrame(
        {
            "term": list(xc.columns),
            "mixed_estimate": fe,
            "mixed_ci_low": ci[:, 0],
            "mixed_ci_high": ci[:, 1],
        }
    )
    return out, "; ".join(issues)


_lower_first = lower_first  # the phrasing module's rule, used for the driver phrases


def drivers(
    regressions: pd.DataFrame,
    importance: pd.DataFrame,
    codebook: Codebook,
    *,
    top: int = 3,
) -> pd.DataFrame:
    """Predictors of each model in order of importance, with direction and a one-line summary.

    Parameters
    ----------
    regressions : pandas.DataFrame
        The ``regressions`` table of :func:`run_models` (estimated terms).
    importance : pandas.DataFrame
        The ``importance`` table of :func:`run_models`. Rows whose ``role`` is ``control`` are
        listed after the predictors, unranked; without a ``role`` column every row is a predictor.
    codebook : Codebook
        For labels.
    top : int, keyword-only
        How many predictors the sentence names.

    Returns
    -------
    pandas.DataFrame
        One row per model × block: the predictors in rank order (``rank`` 1, 2, ... among the
        predictors), then the controls (``rank`` missing). Columns ``model``, ``outcome``, ``rank``,
        ``predictor``, ``label``, ``role``, ``general_dominance``, ``share``, ``direction`` (``+``/``-``
        for a numeric predictor: the sign of its standardised coefficient; ``categorical`` for a
        block), ``detail`` (the coefficient; for a block the categories most above and below the
        reference, in outcome SDs) and ``sentence`` (the same for every row of a model), e.g. "Shared
        purpose is most strongly associated with trust (+), equitable processes (+) and household
        income (+), controlling for role in the MSC and sector." Controls are never named among the
        strongest.
    """
    if top < 1:
        raise ValueError(f"top must be at least 1, got {top!r}")
    rows = []
    for model, imp in importance.groupby("model", sort=False):
        role = imp["role"] if "role" in imp else pd.Series(PREDICTOR, index=imp.index)
        role = role.fillna(PREDICTOR).astype(str)
        preds = imp[role != CONTROL].assign(role=PREDICTOR)
        preds = preds.sort_values("general_dominance", ascending=False, kind="stable")
        preds = preds.assign(rank=range(1, len(preds) + 1))
        ctrls = imp[role == CONTROL].assign(role=CONTROL, rank=pd.NA)
        outcome = str(imp["outcome"].iloc[0])
        reg = regressions[(regressions["model"] == model) & (regressions["status"] == "estimated")]
        parts, recs = [], []
        for rec in [*preds.to_dict("records"), *ctrls.to_dict("records")]:
            pred = rec["predictor"]
            t = reg[reg["predictor"] == pred]
            label = _lower_first(codebook.label_of(pred))
            if len(t) == 1 and t["coding"].iloc[0] != CODING["dummy"]:
                beta = float(t["estimate"].iloc[0])
                direction = "+" if beta >= 0 else "-"
                detail = f"standardised coefficient {beta:+.2f}"
                phrase = f"{label} ({direction})"
            else:
                ref = str(t["reference"].iloc[0]) if len(t) else ""
                est = t.set_index("term")["estimate"].dropna()  # small cells: suppressed
                cat = {term: term[len(pred) + 1 : -1] for term in est.index}
                bits = []
                if len(est) and est.max() > 0:
                    hi = est.idxmax()
                    bits.append(f"highest {cat[hi]} ({est[hi]:+.2f} SD)")
                if len(est) and est.min() < 0:
                    lo = est.idxmin()
                    bits.append(f"lowest {cat[lo]} ({est[lo]:+.2f} SD)")
                direction = "categorical"
                detail = (
                    f"{', '.join(bits) or 'no category differs'} vs {ref}"
                    if len(est)
                    else "category estimates suppressed (too few respondents)"
                )
                short = [b.split(" (")[0] for b in bits]
                phrase = f"{label} ({', '.join(short)} vs {ref})" if short else label
            if rec["role"] == PREDICTOR:
                parts.append(phrase)
            recs.append(
                {
                    "model": model,
                    "outcome": outcome,
                    "rank": rec["rank"],
                    "predictor": pred,
                    "label": codebook.label_of(pred),
                    "role": rec["role"],
                    "general_dominance": float(rec["general_dominance"]),
                    "share": float(rec["share"]),
                    "direction": direction,
                    "detail": detail,
                }
            )
        controls = [_lower_first(codebook.label_of(c)) for c in ctrls["predictor"]]
        sentence = driver_sentence(codebook.label_of(outcome), parts[:top], controls)
        for r in recs:
            r["sentence"] = sentence
        rows += recs
    return pd.DataFrame(rows, columns=DRIVER_COLUMNS)


def _rank_predictors(da: pd.DataFrame) -> pd.Series:
    """Rank by general dominance among the predictors only (1 = largest; missing for a control)."""
    is_pred = da["role"] == PREDICTOR
    rank = pd.Series(pd.NA, index=da.index, dtype="Int64")
    order = da.loc[is_pred, "general_dominance"].rank(ascending=False, method="first")
    rank[is_pred] = order.astype("int64")
    return rank


def _record(
    spec: ModelSpec, rec: Mapping[str, object], status: str, ci_level: float
) -> dict[str, object]:
    pred = rec.get("predictor")
    return {
        "model": spec.name,
        "outcome": spec.outcome,
        "term": rec.get("term"),
        "predictor": pred,
        "role": None if pred is None else spec.role(str(pred)),
        "coding": rec.get("coding"),
        "reference": rec.get("reference"),
        "ci_level": float(ci_level),
        "status": status,
        "note": rec.get("note", ""),
    }


#: Columns of a term's estimate blanked when its category is a small cell.
_ESTIMATE_COLUMNS = [
    "estimate",
    "se_cluster",
    "ci_low",
    "ci_high",
    "p",
    "se_hc3",
    "p_hc3",
    "mixed_estimate",
    "mixed_ci_low",
    "mixed_ci_high",
]


def _suppress_small_dummies(est: pd.DataFrame, design: Design, min_n: int) -> pd.DataFrame:
    """Blank the estimates of dummy terms whose category, or whose reference category, has fewer
    than ``min_n`` of the model's complete cases: such a contrast is (nearly) the mean of a handful of
    respondents. The model itself is unchanged (they stay in it and in its R²)."""
    if min_n <= 1:
        return est
    dummies = design.terms[design.terms["coding"] == CODING["dummy"]]
    small: list[str] = []
    for _pred, terms in dummies.groupby("predictor", sort=False)["term"]:
        n_cat = {t: int(design.x[t].sum()) for t in terms}
        n_ref = design.n - sum(n_cat.values())
        small += list(terms) if n_ref < min_n else [t for t, n in n_cat.items() if n < min_n]
    if not small:
        return est
    mask = est["term"].isin(small)
    cols = [c for c in _ESTIMATE_COLUMNS if c in est]
    est.loc[mask, cols] = np.nan
    note = f"estimate suppressed: its category or the reference has fewer than {min_n} respondents"
    est.loc[mask, "note"] = note
    log.info("%d dummy estimates suppressed (n < %d)", int(mask.sum()), min_n)
    return est


def run_models(
    scores: pd.DataFrame,
    codebook: Codebook,
    models: Mapping[str, Mapping[str, object]],
    *,
    reliability: pd.DataFrame | None = None,
    ci_level: float = 0.95,
    top: int = 3,
    min_n: int = 1,
    source: str = "config/config.yaml",
) -> RegressionResult:
    """Fit every driver model of the config.

    Parameters
    ----------
    scores : pandas.DataFrame
        The scales stage's scores (constructs, groups, cluster).
    codebook : Codebook
        The study's codebook.
    models : mapping
        ``analyses.models`` of the config.
    reliability : pandas.DataFrame, optional, keyword-only
        The scales stage's reliability table: a predictor construct with ``included == False`` is
        dropped from its model and a model whose outcome is excluded is skipped (both recorded in
        ``regressions`` with ``status`` and ``note``, and logged).
    ci_level : float, keyword-only
        Confidence level.
    top : int, keyword-only
        Predictors named in each driver sentence.
    min_n : int, keyword-only
        Minimum respondents behind a published number (``analyses.min_group_n``): a model with fewer
        complete cases is not fitted (``status`` skipped, ``note`` says why); a dummy whose category
        (or reference) has fewer keeps its place in the model but its estimate is blank (``note``).
    source : str, keyword-only
        The config file, for error messages.

    Returns
    -------
    RegressionResult
        ``regressions`` (:data:`REGRESSION_COLUMNS`: one row per model × term; ``status`` is
        ``estimated``, ``dropped`` (a predictor or dummy left out, ``note`` says why) or ``skipped``
        (the whole model, one row with no term); ``role`` is ``predictor`` or ``control``),
        ``importance`` (:data:`IMPORTANCE_COLUMNS`: every block, controls included; ``rank`` among
        the predictors, ``rank_all`` among all blocks) and ``drivers`` (:data:`DRIVER_COLUMNS`:
        the predictors in rank order, then the controls unranked).

    Notes
    -----
    A model is skipped when none of its predictors is left (excluded by the reliability gate or
    dropped from the design): controls alone are not a driver model.

    Raises
    ------
    SurveyError
        A model naming an unknown outcome or predictor (see :func:`validate_models`).
    """
    check_level(ci_level)
    specs = validate_models(models, codebook, source=source)
    excluded = excluded_constructs(reliability)
    reg_rows: list[pd.DataFrame] = []
    imp_rows: list[pd.DataFrame] = []
    for spec in specs:
        regs, imp = _fit_model(
            spec, scores, codebook, excluded=excluded, ci_level=ci_level, min_n=min_n
        )
        reg_rows.extend(regs)
        if imp is not None:
            imp_rows.append(imp)
    regressions = _regressions_table(reg_rows)
    importance = (
        pd.concat(imp_rows, ignore_index=True)
        if imp_rows
        else pd.DataFrame(columns=IMPORTANCE_COLUMNS)
    )
    importance = importance.reindex(columns=IMPORTANCE_COLUMNS).astype(
        {"rank": "Int64", "rank_all": "Int64"}
    )
    drv = (
        drivers(regressions, importance, codebook, top=top)
        if imp_rows
        else pd.DataFrame(columns=DRIVER_COLUMNS)
    )
    drv = _add_not_modelled(drv, regressions, specs, codebook)
    return RegressionResult(regressions=regressions, importance=importance, drivers=drv)


def _skipped(spec: ModelSpec, note: str, ci_level: float) -> list[pd.DataFrame]:
    return [pd.DataFrame([_record(spec, {"note": note}, "skipped", ci_level)])]


def _fit_model(
    spec: ModelSpec,
    scores: pd.DataFrame,
    codebook: Codebook,
    *,
    excluded: dict[str, str],
    ci_level: float,
    min_n: int,
) -> tuple[list[pd.DataFrame], pd.DataFrame | None]:
    """One model: its rows of ``regressions`` and its ``importance`` rows (``None`` when skipped)."""
    if spec.outcome in excluded:
        note = f"skipped: the outcome {spec.outcome} is {excluded[spec.outcome]}"
        log.warning("model %s %s", spec.name, note)
        return _skipped(spec, note, ci_level), None
    keep = []
    gate_dropped = []
    for p in spec.terms:
        if p in excluded:
            note = f"dropped: {excluded[p]}"
            log.warning("model %s: %s %s %s", spec.name, spec.role(p), p, note)
            coding = CODING["construct"]
            gate_dropped.append({"term": p, "predictor": p, "coding": coding, "note": note})
        else:
            keep.append(p)
    if not any(p in spec.predictors for p in keep):
        note = "skipped: every predictor was excluded by the reliability gate"
        return _skipped(spec, note, ci_level), None
    design = model_design(scores, codebook, outcome=spec.outcome, predictors=keep, model=spec.name)
    note = _too_thin(spec, design, min_n)
    if note:
        log.warning("model %s %s", spec.name, note)
        return _skipped(spec, note, ci_level), None
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", RuntimeWarning)
        ols = standardised_ols(design, ci_level=ci_level)
    mixed, mixed_note = mixed_model(design, ci_level=ci_level)
    if mixed_note:
        log.warning("model %s: %s", spec.name, mixed_note)
    est = _estimates(spec, design, ols, mixed, mixed_note, ci_level=ci_level, min_n=min_n)
    dropped = [
        {
            **_record(spec, rec, "dropped", ci_level),
            "n": design.n,
            "n_clusters": design.n_clusters,
        }
        for rec in gate_dropped + design.dropped
    ]
    regs = [est, pd.DataFrame(dropped)] if dropped else [est]
    imp = _importance(spec, design, codebook)
    log.info(
        "model %s: n = %d, %s clusters, R² = %.3f",
        spec.name,
        design.n,
        design.n_clusters,
        float(ols["r2"].iloc[0]),
    )
    return regs, imp


def _too_thin(spec: ModelSpec, design: Design, min_n: int) -> str:
    """Why a model's design is not fitted (empty when it is)."""
    if design.n < min_n:
        return (
            f"skipped: fewer than analyses.min_group_n = {min_n} complete cases (not fitted, "
            "so no number rests on so few respondents)"
        )
    if design.x.shape[1] == 0 or design.n <= design.x.shape[1] + 2:
        return f"skipped: {design.n} complete cases for {design.x.shape[1]} terms (too few to fit)"
    if not any(p in spec.predictors for p in design.blocks):
        return "skipped: no predictor left to rank (every one was dropped from the design)"
    return ""


def _estimates(
    spec: ModelSpec,
    design: Design,
    ols: pd.DataFrame,
    mixed: pd.DataFrame,
    mixed_note: str,
    *,
    ci_level: float,
    min_n: int,
) -> pd.DataFrame:
    """The estimated terms (intercept first) with the OLS and mixed-model columns side by side."""
    intercept = {
        "term": "Intercept",
        "predictor": None,
        "coding": CODING["intercept"],
        "reference": None,
    }
    info = pd.concat([pd.DataFrame([intercept]), design.terms], ignore_index=True)
    est = info.merge(ols, on="term", how="left").merge(mixed, on="term", how="left")
    est.insert(
        est.columns.get_loc("predictor") + 1,
        "role",
        [None if pd.isna(p) else spec.role(p) for p in est["predictor"]],
    )
    est.insert(0, "outcome", spec.outcome)
    est.insert(0, "model", spec.name)
    est["ci_level"] = float(ci_level)
    est["status"] = "estimated"
    est["note"] = mixed_note
    return _suppress_small_dummies(est, design, min_n)


def _importance(spec: ModelSpec, design: Design, codebook: Codebook) -> pd.DataFrame:
    """The model's dominance analysis, labelled, with ranks among the predictors and all blocks."""
    data = pd.concat([design.y.rename("__y__"), design.x], axis=1)
    da = dominance_analysis(data, y="__y__", blocks=design.blocks)
    da.insert(1, "label", [codebook.label_of(p) for p in da["predictor"]])
    da.insert(2, "role", [spec.role(p) for p in da["predictor"]])
    da.insert(0, "outcome", spec.outcome)
    da.insert(0, "model", spec.name)
    da["rank_all"] = da["rank"]
    da["rank"] = _rank_predictors(da)
    da["n"] = design.n
    return da


# text columns (missing stays missing) and float columns of the regressions table; the rest are counts
_REGRESSION_TEXT = [*REGRESSION_COLUMNS[:7], "status", "note"]
_REGRESSION_FLOATS = [
    c for c in REGRESSION_COLUMNS if c not in _REGRESSION_TEXT and c not in ("n", "n_clusters")
]


def _regressions_table(reg_rows: list[pd.DataFrame]) -> pd.DataFrame:
    """Every model's rows in :data:`REGRESSION_COLUMNS` with fixed dtypes."""
    regressions = (
        pd.concat([r.astype(object) for r in reg_rows], ignore_index=True)
        if reg_rows
        else pd.DataFrame(columns=REGRESSION_COLUMNS)
    )
    regressions = regressions.reindex(columns=REGRESSION_COLUMNS)
    regressions[_REGRESSION_FLOATS] = regressions[_REGRESSION_FLOATS].astype("float64")
    regressions = regressions.astype({"n": "Int64", "n_clusters": "Int64"})
    for col in _REGRESSION_TEXT:
        regressions[col] = regressions[col].astype("str").where(regressions[col].notna())
    regressions["note"] = regressions["note"].fillna("")
    return regressions


def _add_not_modelled(
    drv: pd.DataFrame, regressions: pd.DataFrame, specs: list[ModelSpec], codebook: Codebook
) -> pd.DataFrame:
    """A "not modelled" sentence per skipped model after the drivers, in :data:`DRIVER_COLUMNS`."""
    for spec in specs:
        skipped = regressions[
            (regressions["model"] == spec.name) & (regressions["status"] == "skipped")
        ]
        if len(skipped):
            row = {
                "model": spec.name,
                "outcome": spec.outcome,
                "sentence": not_modelled(
                    codebook.label_of(spec.outcome), str(skipped["note"].iloc[0])
                ),
            }
            drv = pd.concat([drv, pd.DataFrame([row])], ignore_index=True)
    return drv.reindex(columns=DRIVER_COLUMNS).astype({"rank": "Int64"})
