# %% [markdown]
# ---
# title: "Research brief"
# format:
#   html:
#     embed-resources: true
#     css: assets/brief.css
#     toc: false
#   typst:
#     papersize: a4
#     fig-width: 7
# execute:
#   echo: false
#   warning: false
# jupyter: python3
# ---

# %% tags=["parameters"]
# Parameters (injected by the brief rule; paths are relative to the working directory).
numbers = "results/brief/numbers.json"
provenance = "results/brief/provenance.json"
figures_dir = "results/figures"
renderer = "quarto"

# %%
# Everything shown below is read from numbers.json, provenance.json and the figure index that the
# workflow wrote; nothing is computed or typed here. Warnings go to the rule's log, not the brief.
import json
import warnings
from pathlib import Path

warnings.filterwarnings("ignore")

from mscsurvey.report import phrasing  # noqa: E402
from mscsurvey.report.render import Doc  # noqa: E402

CAPTIONS = phrasing.TABLE_CAPTIONS  # every table's caption is the text layer's

with open(numbers, encoding="utf-8") as fh:
    N = json.load(fh)
with open(provenance, encoding="utf-8") as fh:
    P = json.load(fh)
FIGURES = {}  # (kind, model or construct) -> its figures (a wide construct's Likert chart has parts)
with open(Path(figures_dir) / "index.json", encoding="utf-8") as fh:
    for f in json.load(fh):
        FIGURES.setdefault((f["kind"], f["model"] or f["construct"]), []).append(f)

doc = Doc(renderer, figures_dir)


def figure(kind, key=None):
    """Show the figures of the index of this kind (and construct or model), if there are any, each
    with its caption and alt text (its title, the finding, is in the image)."""
    for entry in FIGURES.get((kind, key), []):
        doc.figure(entry["file"], caption=entry.get("caption") or entry["title"], alt=entry["alt"])


# The headings and which sections exist come from numbers.json (mscsurvey.report.phrasing): a section is
# shown only when the study has its content (groups, models, published findings, comments).
H = N["headings"]
HAS = N["has"]


# %%
doc.heading(H["takeaways"], 1)
SYN = N.get("synthetic") or {}
if SYN.get("is_synthetic"):
    doc.caveat(SYN["methods"])
doc.para(N["sample"]["sentence"])
doc.bullets(
    [t["text"] for t in N["takeaways"]] + N.get("sensitivity", {}).get("takeaways", []),
    cls="takeaways",
)

# %%
doc.heading(H["findings"], 1)
doc.para(N["methods"]["findings"])
if HAS["comments"] and N["quotes"]["status"] == "withheld_review":
    doc.para(N["quotes"]["text"], emphasis=True)
for c in N["constructs"]:
    doc.heading(c["label"], 2)
    if c["description"]:
        doc.para(c["description"], emphasis=True)
    doc.para(c["summary"])
    if c.get("caveat"):
        doc.caveat(c["caveat"])
    figure("likert", c["id"])
    for q in c["quotes"]:
        doc.quote(
            q["text"], q["attribution"] + (" (generated comment)" if q.get("generated") else "")
        )

# %%
quiet = []
if H["subgroups"]:
    doc.heading(H["subgroups"], 1)
    doc.para(N["methods"]["subgroups"])
for s in N["subgroups"] if H["subgroups"] else []:
    if s["outcome"]:
        doc.heading(s["label"], 2)
        if s["sentences"]:
            doc.bullets(s["sentences"])
        else:
            doc.para(s["none"])
        figure("subgroups", s["construct"])
    elif s["sentences"]:
        doc.heading(s["label"], 2)
        doc.bullets(s["sentences"])
        figure("subgroups", s["construct"])
    else:
        quiet.append(s["label"])
if quiet:
    doc.heading(H["other_measures"], 2)
    doc.para(H["quiet"] + ", ".join(quiet) + ".")
if H["subgroups"] and N.get("invariance", {}).get("note"):
    doc.para(N["invariance"]["note"])

# %%
if H["drivers"]:
    doc.heading(H["drivers"], 1)
    doc.para(N["methods"]["drivers_short"])
for d in N["drivers"]:
    doc.heading(d["label"], 2)
    doc.para(d["sentence"])
    if d.get("fit"):
        doc.para(d["fit"])
    if d.get("caveat"):
        doc.caveat(d["caveat"])
    figure("drivers", d["model"])
    doc.table(
        d["predictors"],
        {
            "rank": "Rank",
            "label": "Predictor",
            "share": "Share of R²",
            "direction": "Direction",
            "detail": "Estimate",
        },
        caption=phrasing.predictors_caption(d["label"], bool(d.get("controls"))),
        numeric=["rank", "share"],
    )

# %%
doc.heading(H["reliability"], 1)
R = N["reliability"]
doc.para(R["summary"])
for cav in R["caveats"]:
    doc.caveat(cav["text"])
figure("reliability")
doc.table(
    R["rows"],
    {
        "label": "Measure",
        "n_items": "Items",
        "n": "n",
        "alpha": "α",
        "ci": H["ci"],
        "omega": "ω",
        "status": "Status",
    },
    caption=CAPTIONS["reliability"],
    numeric=["n_items", "n", "alpha", "ci", "omega"],
)

# %%
PUB = N["published"]
if H["published"]:
    doc.heading(H["published"], 1)
    doc.para(PUB["summary"])
    figure("published")
    doc.table(
        PUB["rows"],
        {
            "short": "Item",
            "published": "Published",
            "reproduced": "Reproduced",
            "ci": H["ci"],
            "inside": "Inside CI",
        },
        caption=CAPTIONS["published"],
        numeric=["published", "reproduced", "ci"],
    )

# %%
doc.heading(H["methods"], 1)
doc.heading("Data", 2)
if SYN.get("is_synthetic"):
    doc.para(SYN["methods"])
if N["study"]["description"]:
    doc.para(N["study"]["description"])
doc.para(N["exclusions"]["sentence"])
doc.table(
    N["exclusions"]["rows"],
    {"step": "Step", "n": "n", "remaining": "Remaining"},
    caption=CAPTIONS["exclusions"],
    numeric=["n", "remaining"],
)
doc.heading("De-identification", 2)
for sentence in N["deidentification"]["sentences"]:
    doc.para(sentence)
if N["release"]["text"]:
    doc.para(N["release"]["text"])
S = N["settings"]
if HAS["comments"]:
    doc.para(N["quotes"]["text"])
    if SYN.get("is_synthetic"):
        doc.para(SYN["quotes"])
doc.heading("Measures and analyses", 2)
doc.para(N["methods"]["agreement"])
doc.para(N["methods"]["scores"])
doc.para(N["suppression"]["text"] + f" Intervals are {S['ci_level']} confidence intervals.")
if N.get("invariance", {}).get("methods"):
    doc.para(N["invariance"]["methods"])
if N["methods"]["models"]:
    doc.para(N["methods"]["drivers"])
    doc.table(
        N["methods"]["models"],
        {
            "outcome": "Outcome",
            "predictors": "Predictors",
            "controls": "Controls",
            "n": "n",
            "r2": "R²",
        },
        caption=CAPTIONS["models"],
        numeric=["n", "r2"],
    )
if N.get("sensitivity", {}).get("methods"):
    doc.heading("Sensitivity analyses", 2)
    for paragraph in N["sensitivity"]["methods"]:
        doc.para(paragraph)

# %% [markdown]
# # Appendix: the codebook

# %%
CB = N["codebook"]
doc.para(phrasing.APPENDIX_INTRO)
for con in CB["constructs"]:
    doc.heading(con["label"], 2)
    if con["description"]:
        doc.para(con["description"], emphasis=True)
    doc.table(
        con["items"],
        {"item": "Item", "text": "Question", "scale": "Response scale", "reverse": "Reversed"},
        caption=phrasing.items_caption(con["label"]),
    )
doc.heading("Response scales", 2)
doc.table(
    CB["scales"],
    {
        "label": "Scale",
        "codes": "Codes",
        "agree": "Counted as agreeing",
        "missing": "Coded missing",
    },
    caption=CAPTIONS["scales"],
)
if CB["groups"]:
    doc.heading("Grouping variables", 2)
    doc.table(
        CB["groups"],
        {"label": "Variable", "categories": "Categories", "ordered": "Ordered"},
        caption=CAPTIONS["groups"],
    )

# %% [markdown]
# # Provenance

# %%
git = P["git"]
commit = git["commit"] or "not a git work tree"
if git["commit"] and git["dirty"]:
    commit += " (with uncommitted changes)"
rows = [
    {"what": "Run date", "value": P["run_date"]},
    {"what": "Code (git commit)", "value": commit},
    {"what": "Configuration (sha256 of its canonical JSON)", "value": P["config_sha256"][:16]},
]
# an input the study does not have (an empty published table) is in provenance.json, not named here
rows += [
    {"what": f"Input: {name}", "value": f["sha256"][:16]}
    for name, f in P["inputs"].items()
    if name != "published" or HAS["published"]
]
doc.table(
    rows,
    {"what": "What", "value": "Value"},
    caption=CAPTIONS["provenance"],
)
versions = ", ".join(f"{k} {v}" for k, v in P["packages"].items())
doc.para(f"Software: {versions}.")
