"""Driver model specifications: the config's ``analyses.models``, checked against the codebook.

Kept apart from :mod:`mscsurvey.stages.regressions` (which re-exports everything here) so that the workflow
can check the models before any job runs without importing statsmodels and scipy: Snakemake reads
this module every time it starts, a no-op run included.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass

from mscsurvey.codebook.spec import Codebook
from mscsurvey.errors import SurveyError

__all__ = ["PREDICTOR", "CONTROL", "ModelSpec", "validate_models", "input_columns"]

#: The ``role`` of a block: ranked as a driver, or in the model only to adjust for it.
PREDICTOR, CONTROL = "predictor", "control"


@dataclass(frozen=True)
class ModelSpec:
    """One driver model of the config: ``predictors`` are ranked as drivers, ``controls`` are in the
    model (and its dominance analysis) but never ranked."""

    name: str
    outcome: str
    predictors: tuple[str, ...]
    controls: tuple[str, ...] = ()

    @property
    def terms(self) -> tuple[str, ...]:
        """Predictors then controls: the model's right-hand side."""
        return self.predictors + self.controls

    def role(self, name: str) -> str:
        """``control`` for a control, else ``predictor``."""
        return CONTROL if name in self.controls else PREDICTOR


def validate_models(
    models: Mapping[str, Mapping[str, object]],
    codebook: Codebook,
    *,
    source: str = "config/config.yaml",
) -> list[ModelSpec]:
    """Check the config's driver models against the codebook.

    Parameters
    ----------
    models : mapping
        ``analyses.models``: name -> ``{outcome, predictors, controls}`` (``controls`` optional).
    codebook : Codebook
        Its constructs and groups are the valid names.
    source : str, keyword-only
        The config file, for error messages.

    Returns
    -------
    list of ModelSpec

    Raises
    ------
    SurveyError
        An outcome that is not a construct (key ``analyses.models.<name>.outcome``), a predictor that is
        neither a construct nor a group (key ``analyses.models.<name>.predictors``, listing the valid
        names), the outcome among its own predictors, or a predictor listed twice; the same for
        ``controls`` (key ``analyses.models.<name>.controls``), and a control that is also a
        predictor.
    """
    constructs = list(codebook.constructs)
    valid = constructs + list(codebook.groups)
    specs = []
    for name, m in models.items():
        outcome = m.get("outcome")
        if outcome not in codebook.constructs:
            raise SurveyError(
                f"outcome '{outcome}' is not a construct of the codebook (constructs: {', '.join(constructs)})",
                file=source,
                key=f"analyses.models.{name}.outcome",
            )
        predictors = _name_list(m.get("predictors"), "predictors", name, source)
        if not predictors:
            raise SurveyError(
                "lists no predictors", file=source, key=f"analyses.models.{name}.predictors"
            )
        controls = _name_list(m.get("controls"), "controls", name, source)
        for key, kind, names in (
            ("predictors", "predictor", predictors),
            ("controls", "control", controls),
        ):
            where = f"analyses.models.{name}.{key}"
            for p in names:
                if p not in valid:
                    raise SurveyError(
                        f"{kind} '{p}' is neither a construct nor a group of the codebook "
                        f"(valid: {', '.join(valid)})",
                        file=source,
                        key=where,
                    )
            if outcome in names:
                raise SurveyError(
                    f"the outcome '{outcome}' is also a {kind}", file=source, key=where
                )
            dup = sorted({p for p in names if names.count(p) > 1})
            if dup:
                raise SurveyError(f"{kind} '{dup[0]}' is listed twice", file=source, key=where)
        both = [c for c in controls if c in predictors]
        if both:
            raise SurveyError(
                f"'{both[0]}' is both a predictor and a control (list it in one of them)",
                file=source,
                key=f"analyses.models.{name}.controls",
            )
        specs.append(
            ModelSpec(
                name=str(name),
                outcome=str(outcome),
                predictors=tuple(predictors),
                controls=tuple(controls),
            )
        )
    return specs


def _name_list(value: object, key: str, model: object, source: str) -> list[str]:
    """A model's ``predictors``/``controls``: a list of names (missing or null: empty)."""
    if value is None:
        return []
    if isinstance(value, str) or not isinstance(value, Sequence):
        raise SurveyError(
            f"must be a list of names, got {value!r}",
            file=source,
            key=f"analyses.models.{model}.{key}",
        )
    return [str(v) for v in value]


def input_columns(models: Mapping[str, Mapping[str, object]], codebook: Codebook) -> list[str]:
    """The scores' columns the driver models read (for column projection of the Parquet file):
    every outcome, predictor and control named in ``models``, and the cluster."""
    cols: list[str] = []
    for m in models.values():
        for key in ("predictors", "controls"):
            value = m.get(key)
            if isinstance(value, Sequence) and not isinstance(value, str):
                cols += [str(v) for v in value]
        cols.append(str(m.get("outcome")))
    if codebook.cluster:
        cols.append(codebook.cluster)
    return list(dict.fromkeys(cols))
