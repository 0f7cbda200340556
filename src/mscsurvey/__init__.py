"""mscsurvey: from a raw survey of multisector health collaboratives to an audited research brief.

The library holds the logic as pure, typed functions, one module per pipeline stage; the Snakemake
workflow (``workflow/``) only reads inputs, calls these functions and writes outputs.
"""

from mscsurvey.errors import SurveyError

__all__ = ["SurveyError", "__version__"]
__version__ = "0.1.0"
