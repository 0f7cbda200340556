"""Disclosure control: keyed pseudonyms, identifier detectors and scrubbing, screening of typed cells,
k-anonymity, the leak scans and the conditions on quotes.
"""
