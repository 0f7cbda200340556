"""The codebook (the interface for a new survey): its model and loader (``spec``), drafting one from
a raw export (``draft``), checking an export against it (``check``) and the driver models (``models``).
"""
