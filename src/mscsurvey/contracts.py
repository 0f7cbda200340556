"""One contract per output table: its columns in order, their types, allowed values and meaning.

Every table the workflow writes is described here once, as a pandera schema, except the
one-row-per-respondent files (responses, scores, public microdata), whose columns come from the
codebook. The writers
validate a table against its contract before writing it (:func:`mscsurvey.io.write_table`), the
stage modules take their column lists from it (``AGREEMENT_COLUMNS = AGREEMENT.columns``), and the
data dictionary reviewers read (``results/tables/dictionary.csv`` and the workbook's ``dictionary``
sheet) is generated from it (:func:`dictionary`).

Text columns are checked by value (every non-missing value a string) rather than by pandas dtype:
pandas 3 gives text columns the ``str`` dtype, but a column that only holds missing values comes out
``object`` or ``float64`` depending on how the frame was built, and the bytes written today must not
change. Empty tables are checked for their columns only (their columns have no values to type).
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

import numpy as np
import pandas as pd

from mscsurvey.errors import SurveyError

if TYPE_CHECKING:
    import pandera.pandas as pa

__all__ = [
    "Col",
    "Contract",
    "CONTRACTS",
    "TABLES",
    "contract",
    "kind_name",
    "validate",
    "dictionary",
]

#: Column kinds -> (pandera dtype or None for text, the data dictionary's type name).
_KINDS: dict[str, tuple[str | None, str]] = {
    "str": (None, "text"),
    "float": ("float64", "number"),
    "int": ("int64", "integer"),
    "Int": ("Int64", "integer (may be blank)"),
    "bool": ("bool", "true/false"),
    "anybool": (None, "true/false"),
    "anyint": (None, "integer (may be blank)"),
    "boolean": ("boolean", "true/false (may be blank)"),
}

P_VALUE = {"ge": 0.0, "le": 1.0}
COUNT = {"ge": 0}


def _is_text(s: pd.Series) -> pd.Series:
    """Which values are strings (see the module docstring for why not a dtype check); missing
    values are left to ``nullable``."""
    return s.isna() | s.map(lambda v: isinstance(v, str))


def _is_int(s: pd.Series) -> pd.Series:
    """Which values are whole numbers, of any type (missing values are left to ``nullable``)."""

    def whole(v: object) -> bool:
        if isinstance(v, (bool, np.bool_)):
            return False
        return isinstance(v, (int, np.integer)) or (
            isinstance(v, (float, np.floating)) and float(v).is_integer()
        )

    return s.isna() | s.map(whole)


def _is_bool(s: pd.Series) -> pd.Series:
    """Which values are True or False (numpy, Python or pyarrow-backed booleans)."""
    return s.map(lambda v: isinstance(v, (bool, np.bool_)))


@dataclass(frozen=True)
class Col:
    """One column of a contract (see :func:`_col`)."""

    name: str
    kind: str
    description: str
    nullable: bool = False
    isin: tuple[Any, ...] | None = None
    ge: float | None = None
    le: float | None = None

    def column(self) -> pa.Column:
        import pandera.pandas as pa  # ~0.3 s: only writers and tests pay it, not every stage import

        dtype, _ = _KINDS[self.kind]
        checks: list[pa.Check] = []
        if self.kind == "str":
            checks.append(pa.Check(_is_text, element_wise=False, name="text"))
        elif self.kind == "anybool":
            checks.append(pa.Check(_is_bool, element_wise=False, name="true/false"))
        elif self.kind == "anyint":
            checks.append(pa.Check(_is_int, element_wise=False, name="integer"))
        if self.isin is not None:
            checks.append(pa.Check.isin(list(self.isin)))
        if self.ge is not None:
            checks.append(pa.Check.ge(self.ge))
        if self.le is not None:
            checks.append(pa.Check.le(self.le))
        return pa.Column(
            dtype,
            checks=checks,
            nullable=self.nullable,
            description=self.description,
            title=self.name,
        )

    def allowed(self) -> str:
        """The allowed values, as the data dictionary shows them."""
        if self.isin is not None:
            return ", ".join(str(v) if v != "" else '"" (empty)' for v in self.isin)
        if self.ge is not None and self.le is not None:
            return f"{self.ge:g} to {self.le:g}"
        if self.ge is not None:
            return f">= {self.ge:g}"
        return ""


def _col(
    name: str,
    kind: str,
    description: str,
    *,
    nullable: bool = False,
    isin: Iterable[Any] | None = None,
    ge: float | None = None,
    le: float | None = None,
) -> Col:
    if kind not in _KINDS:
        raise ValueError(f"unknown column kind {kind!r} for {name}")
    return Col(name, kind, description, nullable, None if isin is None else tuple(isin), ge, le)


@dataclass(frozen=True)
class Contract:
    """An output table: its name, where a run writes it, the rule that writes it, what one row is,
    whether it is copied to the public release, and its columns."""

    name: str
    path: str
    rule: str
    row: str
    cols: tuple[Col, ...]
    public: bool = False

    @property
    def columns(self) -> list[str]:
        """The column names, in the order the table is written."""
        return [c.name for c in self.cols]

    @property
    def schema(self) -> pa.DataFrameSchema:
        import pandera.pandas as pa

        return pa.DataFrameSchema(
            {c.name: c.column() for c in self.cols},
            strict=True,
            ordered=True,
            name=self.name,
            description=self.row,
        )


def _table(name: str, path: str, rule: str, row: str, *cols: Col, public: bool = False) -> Contract:
    names = [c.name for c in cols]
    if len(set(names)) != len(names):
        raise ValueError(f"contract {name} names a column twice")
    return Contract(name, path, rule, row, tuple(cols), public)


# ---- columns shared by several tables ----------------------------------------------------------------
def _ci(what: str, nullable: bool = False) -> tuple[Col, Col]:
    return (
        _col(
            "ci_low",
            "float",
            f"lower bound of the confidence interval of {what}",
            nullable=nullable,
        ),
        _col(
            "ci_high",
            "float",
            f"upper bound of the confidence interval of {what}",
            nullable=nullable,
        ),
    )


CI_LEVEL = _col(
    "ci_level", "float", "confidence level of the intervals (analyses.ci_level)", ge=0, le=1
)
NOTE = _col("note", "str", 'why a value is missing or needs care; "" when nothing to say')
CONSTRUCT = _col("construct", "str", "construct id from the codebook")
ITEM = _col("item", "str", "item (question) id from the codebook")
SCALE = _col("scale", "str", "response scale id from the codebook")
GROUP = _col("group", "str", "grouping variable from the codebook")
GROUP_LEVEL = _col(
    "level",
    "str",
    "whether the group is a property of the respondent or of the cluster (collaborative)",
    isin=("respondent", "cluster"),
)
MODEL = _col("model", "str", "driver model name (analyses.models)")
OUTCOME = _col("outcome", "str", "the model's outcome construct")
ROLE = _col("role", "str", "predictor of interest or control", isin=("predictor", "control"))

AGREEMENT = _table(
    "agreement",
    "analyses/agreement.parquet",
    "agreement",
    "one item of the codebook",
    ITEM,
    CONSTRUCT,
    SCALE,
    _col(
        "agree_label", "str", 'how agreement is worded for the scale ("agreed", "said \\"a lot\\"")'
    ),
    _col("short", "str", "the item's short label"),
    _col("text", "str", "the item's full question wording"),
    _col("reverse", "bool", "the item is reverse-keyed (reported on the statement as worded)"),
    _col("n", "int", "respondents who answered on the scale", **COUNT),
    _col("n_agree", "Int", "respondents who chose an agreement code", nullable=True, **COUNT),
    _col("pct_agree", "float", "percent who agreed (100 n_agree / n)", nullable=True, ge=0, le=100),
    *_ci("pct_agree (Wilson score)", nullable=True),
    CI_LEVEL,
    _col("n_missing", "int", "respondents with no answer on the scale", **COUNT),
    _col("suppressed", "bool", "n is below analyses.min_group_n: the percentages are not shown"),
    NOTE,
    public=True,
)
AGREEMENT_DISTRIBUTION = _table(
    "agreement_distribution",
    "analyses/agreement_distribution.parquet",
    "agreement",
    "one response code of one item",
    ITEM,
    CONSTRUCT,
    SCALE,
    _col("code", "int", "response code on the scale"),
    _col("label", "str", "the code's label on the scale"),
    _col("agree", "bool", "the code counts as agreement"),
    _col("n", "Int", "respondents who chose the code", nullable=True, **COUNT),
    _col(
        "pct", "float", "percent of those answering who chose the code", nullable=True, ge=0, le=100
    ),
    _col("n_answering", "int", "respondents who answered the item on the scale", **COUNT),
    _col("suppressed", "bool", "n_answering is below analyses.min_group_n"),
    public=True,
)
PUBLISHED_VS_REPRODUCED = _table(
    "published_vs_reproduced",
    "analyses/published_vs_reproduced.parquet",
    "agreement",
    "one published finding compared with the reproduced item agreement",
    ITEM,
    CONSTRUCT,
    _col("statement", "str", "the finding as the publication words it"),
    _col("published_pct", "float", "percent agreeing in the publication", ge=0, le=100),
    _col("published_n", "int", "respondents in the publication", **COUNT),
    _col("reproduced_pct", "float", "percent agreeing here", nullable=True, ge=0, le=100),
    *_ci("reproduced_pct (Wilson score)", nullable=True),
    _col(
        "pct_difference",
        "float",
        "reproduced_pct - published_pct (percentage points)",
        nullable=True,
    ),
    _col("reproduced_n", "int", "respondents answering here", **COUNT),
    _col("n_difference", "int", "reproduced_n - published_n"),
    _col("ci_contains_published", "bool", "the interval contains the published percent"),
    public=True,
)

SUBGROUPS = _table(
    "subgroups",
    "analyses/subgroups.parquet",
    "subgroups",
    "one category of one group for one construct",
    CONSTRUCT,
    GROUP,
    _col("category", "str", "the group's category"),
    _col("category_order", "int", "the category's position in the codebook", **COUNT),
    GROUP_LEVEL,
    _col("mean", "float", "mean construct score in the category", nullable=True),
    _col("sd", "float", "standard deviation of the score", nullable=True, ge=0),
    *_ci("the mean (t)", nullable=True),
    _col("n", "Int", "scored respondents in the category", nullable=True, **COUNT),
    _col("suppressed", "bool", "n is below analyses.min_group_n: statistics blank"),
    NOTE,
    _col("mean_rest", "float", "mean score of everyone else in the group", nullable=True),
    _col("n_rest", "Int", "scored respondents in the other categories", nullable=True, **COUNT),
    _col("diff_vs_rest", "float", "mean - mean_rest", nullable=True),
    _col("hedges_g", "float", "Hedges' g of the category against the rest", nullable=True),
    _col("g_ci_low", "float", "lower bound of the interval of hedges_g", nullable=True),
    _col("g_ci_high", "float", "upper bound of the interval of hedges_g", nullable=True),
    _col(
        "p_vs_rest",
        "float",
        "Welch t-test p of the category against the rest",
        nullable=True,
        **P_VALUE,
    ),
    _col(
        "p_holm", "float", "p_vs_rest Holm-adjusted over the whole table", nullable=True, **P_VALUE
    ),
    _col("p_fdr_bh", "float", "p_vs_rest Benjamini-Hochberg-adjusted", nullable=True, **P_VALUE),
    CI_LEVEL,
    public=True,
)


def _p(name: str, what: str) -> Col:
    return _col(name, "float", what, nullable=True, **P_VALUE)


SUBGROUP_TESTS = _table(
    "subgroup_tests",
    "analyses/subgroup_tests.parquet",
    "subgroups",
    "one group for one construct: do its categories differ?",
    CONSTRUCT,
    GROUP,
    GROUP_LEVEL,
    _col("included", "bool", "the construct passed the reliability gate and is reported"),
    _col("welch_f", "float", "Welch's ANOVA F", nullable=True),
    _col("welch_df1", "float", "Welch's ANOVA numerator df", nullable=True),
    _col("welch_df2", "float", "Welch's ANOVA denominator df", nullable=True),
    _p("welch_p", "Welch's ANOVA p"),
    _col("kruskal_h", "float", "Kruskal-Wallis H", nullable=True),
    _col("kruskal_df", "float", "Kruskal-Wallis df", nullable=True),
    _p("kruskal_p", "Kruskal-Wallis p"),
    _col("omega2", "float", "omega squared effect size", nullable=True),
    _col("eta2", "float", "eta squared effect size", nullable=True),
    _col(
        "mixed_lr",
        "float",
        "likelihood-ratio statistic of the random-intercept model",
        nullable=True,
    ),
    _col("mixed_df", "float", "df of the likelihood-ratio test", nullable=True),
    _p("mixed_p", "likelihood-ratio p with a random intercept per cluster"),
    _col("icc", "float", "intraclass correlation of the score within clusters", nullable=True),
    _p("welch_p_holm", "welch_p Holm-adjusted"),
    _p("welch_p_fdr_bh", "welch_p Benjamini-Hochberg-adjusted"),
    _p("kruskal_p_holm", "kruskal_p Holm-adjusted"),
    _p("kruskal_p_fdr_bh", "kruskal_p Benjamini-Hochberg-adjusted"),
    _p("mixed_p_holm", "mixed_p Holm-adjusted"),
    _p("mixed_p_fdr_bh", "mixed_p Benjamini-Hochberg-adjusted"),
    _col("n", "Int", "scored respondents in the reported categories", nullable=True, **COUNT),
    _col("n_clusters", "Int", "clusters among them", nullable=True, **COUNT),
    _col(
        "effective_n", "Int", "n, or n_clusters for a cluster-level group", nullable=True, **COUNT
    ),
    _col("n_groups_reported", "Int", "categories reported", nullable=True, **COUNT),
    _col(
        "n_groups_suppressed",
        "Int",
        "categories below analyses.min_group_n",
        nullable=True,
        **COUNT,
    ),
    NOTE,
    public=True,
)
PAIRWISE = _table(
    "pairwise",
    "analyses/pairwise.parquet",
    "subgroups",
    "one pair of categories of one group for one construct (Games-Howell)",
    CONSTRUCT,
    GROUP,
    GROUP_LEVEL,
    _col("a", "str", "first category"),
    _col("b", "str", "second category"),
    _col("mean_a", "float", "mean score in a"),
    _col("mean_b", "float", "mean score in b"),
    _col("n_a", "int", "scored respondents in a", **COUNT),
    _col("n_b", "int", "scored respondents in b", **COUNT),
    _col("diff", "float", "mean_a - mean_b"),
    _col("se", "float", "standard error of diff"),
    _col("t", "float", "t statistic"),
    _col("df", "float", "Welch-Satterthwaite df"),
    _col("p", "float", "Games-Howell p", **P_VALUE),
    _col("hedges_g", "float", "Hedges' g of a against b"),
    _p("p_holm", "p Holm-adjusted over the whole table"),
    _p("p_fdr_bh", "p Benjamini-Hochberg-adjusted"),
    public=True,
)

REGRESSIONS = _table(
    "regressions",
    "analyses/regressions.parquet",
    "regressions",
    "one term of one driver model",
    MODEL,
    OUTCOME,
    _col("term", "str", "model term (Intercept, a construct, a category)"),
    _col("predictor", "str", "the predictor the term belongs to", nullable=True),
    _col(
        "role",
        "str",
        "predictor of interest or control",
        nullable=True,
        isin=("predictor", "control"),
    ),
    _col("coding", "str", "how the predictor enters the model"),
    _col("reference", "str", "reference category of a dummy-coded predictor", nullable=True),
    _col("estimate", "float", "OLS coefficient", nullable=True),
    _col("se_cluster", "float", "cluster-robust standard error", nullable=True, ge=0),
    *_ci("the estimate (cluster-robust)", nullable=True),
    _p("p", "cluster-robust p"),
    _col(
        "se_hc3",
        "float",
        "heteroskedasticity-robust standard error, type hc3 (ignoring clusters)",
        nullable=True,
        ge=0,
    ),
    _p("p_hc3", "p from the hc3 standard error"),
    _col("vif", "float", "variance inflation factor of the term", nullable=True),
    _col(
        "mixed_estimate", "float", "coefficient with a random intercept per cluster", nullable=True
    ),
    _col("mixed_ci_low", "float", "lower bound of the interval of mixed_estimate", nullable=True),
    _col("mixed_ci_high", "float", "upper bound of the interval of mixed_estimate", nullable=True),
    _col("n", "Int", "respondents in the model", nullable=True, **COUNT),
    _col("n_clusters", "Int", "clusters in the model", nullable=True, **COUNT),
    _col("r2", "float", "model R squared", nullable=True),
    _col("r2_adj", "float", "model adjusted R squared", nullable=True),
    CI_LEVEL,
    _col(
        "status",
        "str",
        "estimated; skipped (the whole model: see note); dropped (a predictor left out: see note)",
        isin=("estimated", "skipped", "dropped"),
    ),
    NOTE,
    public=True,
)
IMPORTANCE = _table(
    "importance",
    "analyses/importance.parquet",
    "regressions",
    "one predictor block of one driver model (dominance analysis)",
    MODEL,
    OUTCOME,
    _col("predictor", "str", "predictor block (a construct or a group)"),
    _col("label", "str", "the predictor's label"),
    ROLE,
    _col("n_terms", "int", "model terms in the block", ge=1),
    _col("general_dominance", "float", "general dominance: the block's average R squared gain"),
    _col("share", "float", "general_dominance / r2"),
    _col(
        "rank",
        "Int",
        "rank among the predictors of interest (blank for controls)",
        nullable=True,
        ge=1,
    ),
    _col("rank_all", "Int", "rank among all blocks, controls included", nullable=True, ge=1),
    _col("r2", "float", "model R squared"),
    _col("n", "int", "respondents in the model", **COUNT),
    public=True,
)
DRIVERS = _table(
    "drivers",
    "analyses/drivers.parquet",
    "regressions",
    "one of the top drivers of a model, or one line saying a model was not estimated",
    MODEL,
    OUTCOME,
    _col("rank", "Int", "rank among the predictors of interest", nullable=True, ge=1),
    _col("predictor", "str", "predictor block", nullable=True),
    _col("label", "str", "the predictor's label", nullable=True),
    _col(
        "role",
        "str",
        "predictor of interest or control",
        nullable=True,
        isin=("predictor", "control"),
    ),
    _col("general_dominance", "float", "general dominance", nullable=True),
    _col("share", "float", "general_dominance / r2", nullable=True),
    _col(
        "direction", "str", "sign of the association", nullable=True, isin=("+", "-", "categorical")
    ),
    _col("detail", "str", "the coefficient behind the direction", nullable=True),
    _col("sentence", "str", "the finding as the brief words it"),
    public=True,
)

RELIABILITY = _table(
    "reliability",
    "scales/reliability.parquet",
    "scales",
    "one construct",
    CONSTRUCT,
    _col("label", "str", "the construct's label"),
    _col("n_items", "int", "items in the construct", ge=1),
    _col("n_complete", "int", "respondents who answered every item", **COUNT),
    _col("n_scored", "int", "respondents with a score (enough items answered)", **COUNT),
    _col("alpha", "float", "Cronbach's alpha (listwise complete)", nullable=True),
    _col("alpha_ci_low", "float", "lower bound of alpha's interval", nullable=True),
    _col("alpha_ci_high", "float", "upper bound of alpha's interval", nullable=True),
    _col("alpha_ci_method", "str", "how alpha's interval was computed"),
    _col("alpha_std", "float", "standardised alpha", nullable=True),
    _col("omega_total", "float", "McDonald's omega total (one factor)", nullable=True),
    _col("ordinal_alpha", "float", "alpha from polychoric correlations", nullable=True),
    _col("ordinal_omega", "float", "omega from polychoric correlations", nullable=True),
    _col("average_r", "float", "mean inter-item correlation", nullable=True),
    _col("mean", "float", "mean construct score", nullable=True),
    _col("sd", "float", "standard deviation of the score", nullable=True, ge=0),
    _col("status", "str", "reliability against scales.thresholds", isin=("ok", "weak", "failed")),
    _col("included", "bool", "the construct is analysed (scales.gate)"),
    _col("reason", "str", 'why the status is not ok; "" when it is'),
    public=True,
)
ITEM_STATS = _table(
    "item_stats",
    "scales/item_stats.parquet",
    "scales",
    "one item of a construct",
    ITEM,
    CONSTRUCT,
    _col("reverse", "bool", "the item is reverse-keyed"),
    _col("n", "int", "respondents who answered", **COUNT),
    _col("mean", "float", "mean keyed answer", nullable=True),
    _col("sd", "float", "standard deviation of the keyed answer", nullable=True, ge=0),
    _col("pct_missing", "float", "percent without an answer", ge=0, le=100),
    _col("r_drop", "float", "corrected item-total correlation", nullable=True),
    _col("alpha_if_deleted", "float", "alpha of the construct without the item", nullable=True),
    _col("loading", "float", "standardised one-factor loading", nullable=True),
    _col("flag_alpha_if_deleted", "bool", "alpha rises when the item is dropped"),
    _col("flag_negative_r_drop", "bool", "r_drop is negative (keying?)"),
    NOTE,
)
_FIT_INDICES = (
    _col("chi2", "float", "model chi-square", nullable=True),
    _col("df", "Int", "model degrees of freedom", nullable=True),
    _p("p_value", "chi-square p"),
    _col("cfi", "float", "comparative fit index", nullable=True),
    _col("tli", "float", "Tucker-Lewis index", nullable=True),
    _col("rmsea", "float", "root mean square error of approximation", nullable=True),
    _col("rmsea_ci_low", "float", "lower bound of the RMSEA interval", nullable=True),
    _col("rmsea_ci_high", "float", "upper bound of the RMSEA interval", nullable=True),
    _col("srmr", "float", "standardised root mean square residual", nullable=True),
)
CFA_FIT = _table(
    "cfa_fit",
    "scales/cfa_fit.parquet",
    "scales",
    "one confirmatory factor model (all constructs; ML and, if asked, ordinal)",
    _col("model", "str", "which model"),
    _col("method", "str", "estimator (fiml, ml, wlsmv)"),
    _col("information", "str", "information matrix of the standard errors"),
    _col("n", "int", "respondents in the model", **COUNT),
    _col("n_complete", "int", "respondents who answered every item", **COUNT),
    _col("n_items", "int", "items", **COUNT),
    _col("n_factors", "int", "factors (constructs)", **COUNT),
    # object dtype (ints and <NA>) when an ordinal (WLSMV) row, which has no count, is appended,
    # read back as float64: checked by value (whole numbers) so that table's bytes do not change
    _col(
        "n_parameters",
        "anyint",
        "free parameters (blank for the ordinal model)",
        nullable=True,
        **COUNT,
    ),
    *(_col(c.name, "int", c.description) if c.name == "df" else c for c in _FIT_INDICES),
    _col("converged", "bool", "the optimiser converged"),
    NOTE,
)
CFA_LOADINGS = _table(
    "cfa_loadings",
    "scales/cfa_loadings.parquet",
    "scales",
    "one item's loading on its construct",
    CONSTRUCT,
    ITEM,
    _col("n", "int", "respondents who answered the item", **COUNT),
    _col("marker", "bool", "the loading fixed at 1 to set the factor's scale"),
    _col("estimate", "float", "unstandardised loading", nullable=True),
    _col("se", "float", "its standard error (blank for the marker)", nullable=True),
    _col("z", "float", "estimate / se", nullable=True),
    _p("p_value", "two-sided p of z"),
    _col("std_loading", "float", "standardised loading", nullable=True),
    _col("std_se", "float", "its standard error", nullable=True),
    _col("std_ci_low", "float", "lower bound of the interval of std_loading", nullable=True),
    _col("std_ci_high", "float", "upper bound of the interval of std_loading", nullable=True),
    _col("method", "str", "estimator"),
    NOTE,
)
INVARIANCE = _table(
    "invariance",
    "scales/invariance.parquet",
    "scales",
    "one level of measurement invariance of one construct across one group",
    _col("construct_set", "str", "construct(s) in the model"),
    _col("group_variable", "str", "grouping variable"),
    _col(
        "level",
        "str",
        "invariance level",
        isin=("configural", "metric", "scalar", "partial_scalar", "strict", "not_tested"),
    ),
    _col("groups", "str", "categories compared, separated by '; '"),
    _col("n_groups", "int", "categories compared", **COUNT),
    _col("n", "int", "complete respondents in the model", **COUNT),
    *_FIT_INDICES,
    _col("compared_to", "str", 'the level this one is tested against; "" for configural'),
    _col("delta_chi2", "float", "chi-square difference", nullable=True),
    _col("delta_df", "Int", "df difference", nullable=True),
    _p("delta_p", "chi-square difference p"),
    _col("delta_cfi", "float", "change in CFI", nullable=True),
    _col("delta_rmsea", "float", "change in RMSEA", nullable=True),
    _col("delta_srmr", "float", "change in SRMR", nullable=True),
    _col(
        "holds", "boolean", "invariance holds by Chen's criteria (blank: not tested)", nullable=True
    ),
    _col("freed_intercepts", "str", "intercepts freed for partial invariance, separated by ', '"),
    _col("latent_means", "str", "latent mean differences and SEs as JSON"),
    _col("left_out", "str", "categories left out (too few complete respondents)"),
    _col("converged", "bool", "the optimiser converged"),
    NOTE,
)

_POOLED = (
    _col(
        "analysis",
        "str",
        "which estimate",
        isin=("driver", "construct_mean", "agreement", "design"),
    ),
    _col("name", "str", "the model, construct or item"),
    _col("term", "str", "the model term, or mean/agree"),
    _col("method", "str", "how missing answers or the sample design are handled"),
    _col("estimate", "float", "the estimate", nullable=True),
    _col("se", "float", "its standard error", nullable=True),
    _col("df", "float", "degrees of freedom", nullable=True),
    *_ci("the estimate", nullable=True),
)
IMPUTED = _table(
    "imputed",
    "analyses/imputed.parquet",
    "sensitivity",
    "one estimate, complete cases or pooled over multiple imputations",
    *_POOLED,
    _col("fmi", "float", "fraction of missing information (imputation only)", nullable=True),
    _col("riv", "float", "relative increase in variance (imputation only)", nullable=True),
    _col("m", "int", "imputations (0 for complete cases)", **COUNT),
    _col("n", "int", "respondents", **COUNT),
)
WEIGHTED = _table(
    "weighted",
    "analyses/weighted.parquet",
    "weighted",
    "one estimate, unweighted or with raked survey weights",
    *_POOLED,
    _col("n", "int", "respondents", **COUNT),
    _col("deff", "float", "design effect", nullable=True),
)

EXCLUSIONS = _table(
    "exclusions",
    "clean/exclusions.parquet",
    "clean",
    "one excluded respondent (restricted: pseudonymous, not in the reviewers' tables)",
    _col("pid", "str", "pseudonymous respondent id"),
    _col("source_row", "int", "row in the raw export", ge=1),
    _col("reason", "str", "the first exclusion rule the respondent met"),
    # bool[pyarrow] when the raw cluster column is pyarrow-backed: checked by value so the bytes of
    # today's table do not change
    _col("no_cluster", "anybool", "no cluster (collaborative) given"),
    _col("duplicate", "bool", "a duplicate submission"),
    _col("too_little_answered", "bool", "answered less than clean.min_answered_share"),
    _col("speeder", "bool", "finished faster than clean.speeder_min_seconds"),
    _col("straightliner", "bool", "gave the same answer to every item of a long grid"),
    _col("answered_share", "float", "share of items answered", ge=0, le=1),
)

_WAVES = ("earlier", "later")
CONSTRUCT_MEANS = _table(
    "construct_means",
    "construct_means.parquet",
    "compare",
    "one construct in two datasets (later - earlier), in the comparison's own folder",
    CONSTRUCT,
    _col("label", "str", "the construct's label"),
    _col("earlier", "str", "the earlier dataset"),
    _col("later", "str", "the later dataset"),
    _col("comparable", "bool", "the construct is defined alike in both codebooks"),
    _col("n_earlier", "int", "scored respondents, earlier", **COUNT),
    _col("mean_earlier", "float", "mean score, earlier", nullable=True),
    _col("sd_earlier", "float", "standard deviation, earlier", nullable=True),
    _col("n_later", "int", "scored respondents, later", **COUNT),
    _col("mean_later", "float", "mean score, later", nullable=True),
    _col("sd_later", "float", "standard deviation, later", nullable=True),
    _col("difference", "float", "mean_later - mean_earlier", nullable=True),
    *_ci("the difference (Welch)", nullable=True),
    CI_LEVEL,
    _col("t", "float", "Welch t", nullable=True),
    _col("df", "float", "Welch df", nullable=True),
    _p("p", "Welch p"),
    _p("p_holm", "p Holm-adjusted over the constructs"),
    _col("hedges_g", "float", "Hedges' g of later against earlier", nullable=True),
    _col("g_ci_low", "float", "lower bound of the interval of hedges_g", nullable=True),
    _col("g_ci_high", "float", "upper bound of the interval of hedges_g", nullable=True),
    _col("status_earlier", "str", "reliability status, earlier", nullable=True),
    _col("status_later", "str", "reliability status, later", nullable=True),
    _col("included_earlier", "boolean", "analysed in the earlier dataset", nullable=True),
    _col("included_later", "boolean", "analysed in the later dataset", nullable=True),
    NOTE,
)
ITEM_AGREEMENT = _table(
    "item_agreement",
    "item_agreement.parquet",
    "compare",
    "one item in two datasets, in the comparison's own folder",
    ITEM,
    CONSTRUCT,
    _col("short", "str", "the item's short label"),
    _col("agree_label", "str", "how agreement is worded for the scale"),
    _col("earlier", "str", "the earlier dataset"),
    _col("later", "str", "the later dataset"),
    _col("comparable", "bool", "the item is worded and scaled alike in both codebooks"),
    _col("n_earlier", "int", "respondents answering, earlier", **COUNT),
    _col("n_agree_earlier", "int", "respondents agreeing, earlier", **COUNT),
    _col("pct_earlier", "float", "percent agreeing, earlier", nullable=True, ge=0, le=100),
    _col("n_later", "int", "respondents answering, later", **COUNT),
    _col("n_agree_later", "int", "respondents agreeing, later", **COUNT),
    _col("pct_later", "float", "percent agreeing, later", nullable=True, ge=0, le=100),
    _col("difference_pp", "float", "pct_later - pct_earlier (percentage points)", nullable=True),
    *_ci("difference_pp (Newcombe)", nullable=True),
    CI_LEVEL,
    NOTE,
)

#: Every contract by table name.
CONTRACTS: dict[str, Contract] = {
    c.name: c
    for c in (
        AGREEMENT,
        AGREEMENT_DISTRIBUTION,
        PUBLISHED_VS_REPRODUCED,
        SUBGROUPS,
        SUBGROUP_TESTS,
        PAIRWISE,
        REGRESSIONS,
        IMPORTANCE,
        DRIVERS,
        RELIABILITY,
        ITEM_STATS,
        CFA_FIT,
        CFA_LOADINGS,
        INVARIANCE,
        IMPUTED,
        WEIGHTED,
        EXCLUSIONS,
        CONSTRUCT_MEANS,
        ITEM_AGREEMENT,
    )
}

#: The tables of one dataset's results a reviewer gets as CSV and in the workbook, in the workbook's
#: order (aggregate only: ``exclusions`` is one row per respondent and stays restricted; ``weighted``
#: exists only when the config asks for weights; the comparison tables live in their own folder).
TABLES: tuple[str, ...] = (
    "agreement",
    "agreement_distribution",
    "published_vs_reproduced",
    "subgroups",
    "subgroup_tests",
    "pairwise",
    "regressions",
    "importance",
    "drivers",
    "reliability",
    "item_stats",
    "cfa_fit",
    "cfa_loadings",
    "invariance",
    "imputed",
    "weighted",
)


def kind_name(col: Col) -> str:
    """A column's type as the data dictionary names it."""
    return _KINDS[col.kind][1]


def contract(name: str) -> Contract:
    """The contract of table ``name`` (KeyError naming the known tables otherwise)."""
    try:
        return CONTRACTS[name]
    except KeyError:
        raise KeyError(f"no contract for table {name!r}; known: {', '.join(CONTRACTS)}") from None


def _shape(value: object) -> str:
    """What a failing value looks like, never the value itself (it may be typed by a respondent)."""
    if value is None or (isinstance(value, float) and np.isnan(value)):
        return "a missing value"
    if isinstance(value, str):
        return f"a text of {len(value)} characters"
    return f"a value of type {type(value).__name__}"


def _message(con: Contract, failures: pd.DataFrame) -> tuple[str, int | None, str | None]:
    """One line from pandera's failure cases: the first failure, what was expected, what was found."""
    first = failures.iloc[0]
    column = None if pd.isna(first.get("column")) else str(first["column"])
    check = str(first.get("check"))
    case = first.get("failure_case")
    index = first.get("index")
    row = None if index is None or pd.isna(index) else int(index)
    if column is None or check.startswith("column_in_"):
        expected = ", ".join(con.columns)
        return f"expected the columns {expected} in this order ({check}: {case})", None, None
    col = next((c for c in con.cols if c.name == column), None)
    kind = _KINDS[col.kind][1] if col else "?"
    if check.startswith("dtype(") or check.startswith("DataType("):
        return f"expected {kind} ({check}), found dtype {case}", None, column
    if check == "not_nullable":
        return f"expected {kind} with no missing value, found a missing value", row, column
    more = f" ({len(failures) - 1} more failure(s))" if len(failures) > 1 else ""
    return f"expected {kind} passing {check}, found {_shape(case)}{more}", row, column


def validate(df: pd.DataFrame, name: str, *, file: str | None = None) -> pd.DataFrame:
    """Check ``df`` against the contract of table ``name``; return it unchanged.

    The frame is not coerced: a writer must produce the types the contract names, so the bytes it
    writes are the bytes it made. An empty table is checked for its columns only.

    Raises
    ------
    SurveyError
        One line naming the file, the table, the first failing row (the frame's index label, 0 for
        the first row) and column, and what was expected; never the failing value, only its shape.
    """
    con = contract(name)
    where = f"{file} (table {con.name})" if file else f"table {con.name}"
    if list(df.columns) != con.columns:
        missing = [c for c in con.columns if c not in df.columns]
        extra = [c for c in df.columns if c not in con.columns]
        raise SurveyError(
            f"expected the columns {', '.join(con.columns)} in this order; "
            f"missing: {', '.join(missing) or 'none'}; unexpected: {', '.join(map(str, extra)) or 'none'}",
            file=where,
        )
    if len(df) == 0:
        return df
    import pandera.pandas as pa

    try:
        con.schema.validate(df, lazy=True)
    except pa.errors.SchemaErrors as err:
        message, row, column = _message(con, err.failure_cases)
        raise SurveyError(message, file=where, row=row, column=column) from None
    return df


def dictionary(names: Iterable[str] | None = None) -> pd.DataFrame:
    """The data dictionary: one row per column of every table (``table``, ``column``, ``type``,
    ``allowed``, ``missing`` allowed, ``description``; each table's first row also says what one
    row is in ``row``), generated from the contracts."""
    rows = []
    for name in CONTRACTS if names is None else names:
        con = contract(name)
        for col in con.cols:
            rows.append(
                {
                    "table": con.name,
                    "file": con.path,
                    "row": con.row,
                    "column": col.name,
                    "type": _KINDS[col.kind][1],
                    "allowed": col.allowed(),
                    "missing": "yes" if col.nullable else "no",
                    "description": col.description,
                }
            )
    return pd.DataFrame(
        rows,
        columns=["table", "file", "row", "column", "type", "allowed", "missing", "description"],
    )
