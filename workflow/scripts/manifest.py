"""Adapter for rule manifest: hash every file of the results folder with its producing job's record."""

import logging

from mscsurvey.audit.manifest import build_manifest, write_manifest
from mscsurvey.audit.provenance import git_state, package_versions
from mscsurvey.runner import run_step


def main(smk):
    manifest = build_manifest(
        smk.params.results,
        secrets=smk.params.secrets,
        # this rule's own log and benchmark are still being written
        exclude=[*smk.log, f"{smk.params.results}/benchmarks/manifest.tsv"],
        git=git_state(smk.params.repo),
        packages=package_versions(),
    )
    write_manifest(manifest, smk.output.manifest)
    with_rule = sum(1 for f in manifest["files"] if f.get("rule"))
    # the git state is in the manifest; not in the log, which two identical runs write identically
    logging.getLogger("manifest").info(
        "%d files hashed (%d with their producing rule)", len(manifest["files"]), with_rule
    )


smk = snakemake  # noqa: F821 (injected by Snakemake)
run_step(lambda: main(smk), rule=smk.rule, log=smk.log[0])
