"""Statistical engines that know nothing of codebooks or config: arrays and frames in, numbers out.

Each is checked against R (psych, lavaan, survey, mice) or closed forms in its test file.
"""
