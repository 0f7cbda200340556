"""The workflow's stages: one module per Snakemake rule, named like the rule.

Each reads tables and the codebook, calls the engines in :mod:`mscsurvey.stats` and
:mod:`mscsurvey.privacy`, and returns the tables its rule writes; none imports snakemake.
"""
