"""Provenance and the manifest: what a reviewer needs to check that outputs match inputs."""
