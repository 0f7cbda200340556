"""`mscsurvey --help` and every subcommand's help (issue 17 part 5): a description in plain sentences,
an example line, and no reStructuredText markup."""

from __future__ import annotations

import pytest

from mscsurvey.cli import main

COMMANDS = [
    [],
    ["run"],
    ["check"],
    ["scan-leaks"],
    ["verify"],
    ["codebook"],
    ["codebook", "draft"],
    ["quotes"],
]


def help_text(args: list[str], capsys) -> str:
    with pytest.raises(SystemExit) as exc:
        main([*args, "--help"])
    assert exc.value.code == 0
    return capsys.readouterr().out


@pytest.mark.parametrize("args", COMMANDS, ids=lambda a: " ".join(a) or "mscsurvey")
def test_help_has_a_description_and_an_example(args, capsys):
    text = help_text(args, capsys)
    assert "``" not in text
    blocks = [b.strip() for b in text.split("\n\n")]
    # the block after the usage line is the description: at least one full sentence
    description = " ".join(blocks[1].split())
    assert not description.startswith(("positional", "options")), description
    assert description[0].isupper() and description.endswith("."), description
    assert len(description.split()) >= 8, description
    examples = [ln for ln in text.splitlines() if ln.startswith("Example: mscsurvey ")]
    assert len(examples) == 1, text
    # the example is a command of this parser
    assert " ".join(["mscsurvey", *args]) in examples[0].replace("--config config/config.yaml ", "")
