"""Synthesize: a seeded synthetic raw survey export calibrated to the study's published findings.

The export looks like a survey platform's (text labels, "don't know" answers, identifiers, free-text
comments, duplicates, speeders, straight-liners, partial responses, stray whitespace and case); beside
it ``truth.json`` holds the generative model's parameters, the population values of the pipeline's
statistics (Monte Carlo) and every planted problem. The model lives in ``data/synthetic/model.yaml``
and is written out in ``data/synthetic/README.md``.
"""

from mscsurvey.synthesize.core import (
    GENERATOR_VERSION,
    Synthetic,
    generate,
    synthetic_key,
    write_outputs,
)
from mscsurvey.synthesize.model import Model, Published, load_published, parse_model

__all__ = [
    "GENERATOR_VERSION",
    "Synthetic",
    "Model",
    "Published",
    "generate",
    "write_outputs",
    "synthetic_key",
    "load_published",
    "parse_model",
]
