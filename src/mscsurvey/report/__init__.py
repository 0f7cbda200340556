"""What a reader sees: the phrasing rules (every sentence), figures, the brief's rendering and the
Data Walk pages.
"""
