"""The run's settings as typed, frozen objects, built once from the validated config.

Defaults live in ONE place: ``src/mscsurvey/data/schemas/config.schema.yaml`` (validation fills them
in). The classes here have no defaults of their own: :meth:`Settings.from_config` builds them from a config
that :func:`mscsurvey.config.validate_config` has filled, and each section's :meth:`parse` validates a
(partial) block against that section's sub-schema first, so a test or a notebook that names only the
keys it changes still gets the schema's defaults.

Library functions take the section they need (``run_scales(df, codebook, settings.scales)``), never
the config dict; the workflow's rules pass only those sections as params (so an edit of an unrelated
key reruns nothing) and the adapters rebuild the objects with :meth:`parse`.

>>> s = ScalesSettings.parse({"gate": "exclude"})
>>> s.gate, s.thresholds.ok
('exclude', 0.7)
"""

from __future__ import annotations

import copy
import dataclasses
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any, ClassVar

from mscsurvey.errors import SurveyError
from mscsurvey.schema import load_yaml, schema_path, validate_with

__all__ = [
    "DeidentifySettings",
    "CleanSettings",
    "Thresholds",
    "ScalesSettings",
    "AnalysesSettings",
    "SensitivitySettings",
    "WeightsSettings",
    "FigureSettings",
    "ReleaseSettings",
    "BriefSettings",
    "NumbersSettings",
    "Settings",
    "section_schema",
    "cross_check",
]


def section_schema(section: str) -> dict[str, Any]:
    """The config schema's sub-schema of one top-level block (e.g. ``scales``)."""
    return load_yaml(schema_path("config"))["properties"][section]


def _frozen(value: Any) -> Any:
    """Lists as tuples (a frozen object holds no list another caller could append to)."""
    if isinstance(value, list):
        return tuple(_frozen(v) for v in value)
    return value


class _Section:
    """What every settings block shares: built from a validated mapping, or parsed from a partial one."""

    __slots__ = ()  # so the frozen, slotted subclasses have no instance __dict__

    #: the config's top-level key of this block
    SECTION: ClassVar[str]
    #: fields that are themselves settings objects
    NESTED: ClassVar[dict[str, type]] = {}

    @classmethod
    def from_mapping(cls, data: Mapping[str, Any]):  # type: ignore[no-untyped-def]
        """Build from a block the schema has validated and filled (every key present)."""
        kwargs = {}
        for f in dataclasses.fields(cls):  # type: ignore[arg-type]
            value = data[f.name]
            nested = cls.NESTED.get(f.name)
            kwargs[f.name] = nested.from_mapping(value) if nested else _frozen(value)
        return cls(**kwargs)

    @classmethod
    def parse(cls, data: Mapping[str, Any] | None = None, *, source: str = "settings"):  # type: ignore[no-untyped-def]
        """Validate a (partial) block against its sub-schema, fill the schema's defaults, build.

        Raises
        ------
        SurveyError
            one line naming ``<section>.<key>`` and what was expected.
        """
        wrapper = {
            "type": "object",
            "properties": {cls.SECTION: section_schema(cls.SECTION)},
        }
        filled = validate_with(
            {cls.SECTION: copy.deepcopy(dict(data or {}))}, wrapper, source=source
        )
        out = cls.from_mapping(filled[cls.SECTION])
        out.check(source)
        return out

    def check(self, source: str) -> None:
        """Cross-checks between keys of the block that a JSON schema cannot say (none by default)."""

    def as_dict(self) -> dict[str, Any]:
        """The block as plain data (tuples become lists), e.g. for a rule's params."""
        return _plain(dataclasses.asdict(self))  # type: ignore[call-overload]


def _plain(value: Any) -> Any:
    if isinstance(value, dict):
        return {k: _plain(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [_plain(v) for v in value]
    return value


@dataclass(frozen=True, slots=True)
class DeidentifySettings(_Section):
    """The config's ``deidentify:`` block."""

    SECTION: ClassVar[str] = "deidentify"
    key_env: str
    pseudonym_length: int
    k: int
    text_chunks: int
    quasi_identifiers: tuple[str, ...] | None


@dataclass(frozen=True, slots=True)
class CleanSettings(_Section):
    """The config's ``clean:`` block (exclusion rules and the least analysed n)."""

    SECTION: ClassVar[str] = "clean"
    speeder_min_seconds: float
    straightline_min_items: int
    min_answered_share: float
    min_analysed_n: int
    duplicates: str


@dataclass(frozen=True, slots=True)
class Thresholds(_Section):
    """``scales.thresholds``: alpha at or above ``ok`` is ok, at or above ``weak`` weak."""

    SECTION: ClassVar[str] = "scales"
    ok: float
    weak: float

    @classmethod
    def parse(
        cls, data: Mapping[str, Any] | None = None, *, source: str = "settings"
    ) -> Thresholds:
        return ScalesSettings.parse({"thresholds": dict(data or {})}, source=source).thresholds

    def as_mapping(self) -> dict[str, float]:
        """``{"ok": ..., "weak": ...}`` (what the figure functions read)."""
        return {"ok": self.ok, "weak": self.weak}


@dataclass(frozen=True, slots=True)
class ScalesSettings(_Section):
    """The config's ``scales:`` block (scoring, reliability, its gate, CFA and invariance)."""

    SECTION: ClassVar[str] = "scales"
    NESTED: ClassVar[dict[str, type]] = {"thresholds": Thresholds}
    standardise: bool
    alpha_ci: str
    bootstrap_resamples: int
    thresholds: Thresholds
    alpha_if_deleted_margin: float
    gate: str
    min_complete: int
    omega: str
    cfa_missing: str
    cfa_max_n: int | None
    invariance_min_group_n: int

    #: the keys each of the three scales jobs reads (the rule passes only its own, so an edit of a CFA
    #: key reruns the CFA, not the scores and everything downstream of them)
    JOB_KEYS: ClassVar[dict[str, tuple[str, ...]]] = {
        "scales": (
            "standardise",
            "alpha_ci",
            "bootstrap_resamples",
            "thresholds",
            "alpha_if_deleted_margin",
            "gate",
            "min_complete",
            "omega",
        ),
        "cfa": ("cfa_missing", "cfa_max_n"),
        "invariance": ("cfa_max_n", "invariance_min_group_n"),
    }

    def for_job(self, job: str) -> dict[str, Any]:
        """The keys the scales job ``job`` (``scales``, ``cfa``, ``invariance``) reads, as plain
        data for the rule's params; :meth:`parse` fills the others with the schema's defaults.

        >>> ScalesSettings.parse({"cfa_max_n": 100}).for_job("cfa")
        {'cfa_missing': 'fiml', 'cfa_max_n': 100}
        """
        return {k: v for k, v in self.as_dict().items() if k in self.JOB_KEYS[job]}

    def check(self, source: str) -> None:
        th = self.thresholds
        if th.weak > th.ok:
            raise SurveyError(
                f"thresholds.weak ({th.weak}) is above thresholds.ok ({th.ok}); "
                "weak must be the lower bound",
                file=source,
                key="scales.thresholds",
            )


@dataclass(frozen=True, slots=True)
class AnalysesSettings(_Section):
    """The config's ``analyses:`` block. ``models`` stays the validated mapping (model name ->
    ``outcome``, ``predictors``, ``controls``), as the model functions read it."""

    SECTION: ClassVar[str] = "analyses"
    min_group_n: int
    ci_level: float
    top_drivers: int
    models: dict[str, dict[str, Any]]

    @classmethod
    def from_mapping(cls, data: Mapping[str, Any]) -> AnalysesSettings:
        # models copied as they are (lists stay lists: the model functions concatenate them)
        return cls(
            min_group_n=data["min_group_n"],
            ci_level=data["ci_level"],
            top_drivers=data["top_drivers"],
            models=copy.deepcopy(dict(data["models"])),
        )


@dataclass(frozen=True, slots=True)
class SensitivitySettings(_Section):
    """The config's ``sensitivity:`` block (multiple imputation)."""

    SECTION: ClassVar[str] = "sensitivity"
    imputations: int
    max_n: int | None
    seed: int | None

    def seed_or(self, global_seed: int) -> int:
        """The imputations' seed: ``sensitivity.seed``, else the run's global seed."""
        return self.seed if self.seed is not None else global_seed


@dataclass(frozen=True, slots=True)
class WeightsSettings(_Section):
    """The config's optional ``weights:`` block (raking margins, base weight column, trimming)."""

    SECTION: ClassVar[str] = "weights"
    margins: dict[str, dict[str, float]] | None
    column: str | None
    trim: float | None

    @classmethod
    def from_mapping(cls, data: Mapping[str, Any]) -> WeightsSettings:
        margins = data.get("margins")  # optional in the schema: no default to fill
        return cls(
            margins=copy.deepcopy(dict(margins)) if margins else None,
            column=data["column"],
            trim=data["trim"],
        )

    def as_dict(self) -> dict[str, Any]:
        out = _Section.as_dict(self)
        if out["margins"] is None:  # absent, as in the config (the schema has no null margins)
            del out["margins"]
        return out


@dataclass(frozen=True, slots=True)
class FigureSettings(_Section):
    """The config's ``figures:`` block (the look of every figure)."""

    SECTION: ClassVar[str] = "figures"
    dpi: int
    width: float
    palette: str
    font_size: float


@dataclass(frozen=True, slots=True)
class ReleaseSettings(_Section):
    """The config's ``release:`` block (the public-use folder)."""

    SECTION: ClassVar[str] = "release"
    microdata: bool
    risk_threshold: float


@dataclass(frozen=True, slots=True)
class BriefSettings(_Section):
    """The config's ``brief:`` block (which comments are quoted and how they are attributed)."""

    SECTION: ClassVar[str] = "brief"
    quote_attribution: tuple[str, ...]
    quotes_per_construct: int
    max_placeholder_share: float


@dataclass(frozen=True, slots=True)
class NumbersSettings:
    """What the brief's numbers read of the config (rule brief_numbers' params, nothing more)."""

    seed: int
    k: int
    thresholds: Thresholds
    analyses: AnalysesSettings
    brief: BriefSettings

    @classmethod
    def parse(
        cls, config: Mapping[str, Any] | None = None, *, source: str = "settings"
    ) -> NumbersSettings:
        """From a (partial) config: ``seed``, ``deidentify.k``, ``scales.thresholds``, ``analyses``
        and ``brief`` as far as it gives them, the config schema's defaults for the rest."""
        c = dict(config or {})
        seed_schema = {"type": "object", "properties": {"seed": section_schema("seed")}}
        seed = validate_with({k: c[k] for k in ("seed",) if k in c}, seed_schema, source=source)
        deid = DeidentifySettings.parse(c.get("deidentify"), source=source)
        return cls(
            seed=seed["seed"],
            k=deid.k,
            thresholds=ScalesSettings.parse(c.get("scales"), source=source).thresholds,
            analyses=AnalysesSettings.parse(c.get("analyses"), source=source),
            brief=BriefSettings.parse(c.get("brief"), source=source),
        )


@dataclass(frozen=True, slots=True)
class Settings:
    """Every block of a validated config, typed. ``weights`` is None when the config has none."""

    seed: int
    deidentify: DeidentifySettings
    clean: CleanSettings
    scales: ScalesSettings
    analyses: AnalysesSettings
    sensitivity: SensitivitySettings
    weights: WeightsSettings | None
    figures: FigureSettings
    release: ReleaseSettings
    brief: BriefSettings

    @classmethod
    def from_config(cls, config: Mapping[str, Any], *, source: str = "config") -> Settings:
        """Build from a config :func:`mscsurvey.config.validate_config` has validated and filled.

        Raises
        ------
        SurveyError
            a cross-check between keys fails (e.g. ``scales.thresholds.weak`` above ``ok``).
        """
        blocks: dict[str, Any] = {}
        for f in dataclasses.fields(cls):
            if f.name == "seed":
                continue
            kind = _SECTIONS[f.name]
            data = config.get(f.name)
            blocks[f.name] = None if data is None else kind.from_mapping(data)
            if blocks[f.name] is not None:
                blocks[f.name].check(source)
        return cls(seed=config["seed"], **blocks)

    def numbers(self) -> NumbersSettings:
        """The part the brief's numbers read."""
        return NumbersSettings(
            seed=self.seed,
            k=self.deidentify.k,
            thresholds=self.scales.thresholds,
            analyses=self.analyses,
            brief=self.brief,
        )


def cross_check(
    settings: Settings,
    codebooks: Mapping[str, Any],
    *,
    codebook_paths: Mapping[str, str],
    source: str = "config/config.yaml",
) -> None:
    """The settings that name things of the codebooks, checked against every dataset's codebook (the
    workflow calls this once, before any job): the driver models' constructs and groups, and the
    groups that attribute quotes.

    Raises
    ------
    SurveyError
        one line naming the config key (``analyses.models.<name>...``, ``brief.quote_attribution``).
    """
    from mscsurvey.codebook.models import validate_models  # codebook code: only when checking

    for name, cb in codebooks.items():
        validate_models(settings.analyses.models, cb, source=source)
        missing = [g for g in settings.brief.quote_attribution if g not in cb.groups]
        if missing:
            raise SurveyError(
                f"'{missing[0]}' is not a group of the codebook {codebook_paths[name]} "
                f"(expected some of: {', '.join(cb.groups)})",
                file=source,
                key="brief.quote_attribution",
            )


_SECTIONS: dict[str, Any] = {
    "deidentify": DeidentifySettings,
    "clean": CleanSettings,
    "scales": ScalesSettings,
    "analyses": AnalysesSettings,
    "sensitivity": SensitivitySettings,
    "weights": WeightsSettings,
    "figures": FigureSettings,
    "release": ReleaseSettings,
    "brief": BriefSettings,
}
