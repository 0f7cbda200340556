"""No function in the library runs over ~80 lines without saying why (issue 16).

A function's length here is its lines from ``def`` to its last statement less its docstring (a
numpydoc docstring documents, it does not add branches). A function may be longer when its docstring
has a sentence starting "Long because". ``python tests/test_function_length.py`` prints every long
function of ``src/`` with its length, the report side's included.
"""

from __future__ import annotations

import ast
import sys
from pathlib import Path

SRC = Path(__file__).resolve().parents[1] / "src" / "mscsurvey"
LIMIT = 80
REASON = "Long because"

#: Modules listed by the script but not checked (none: the report side is split too).
ELSEWHERE: tuple[str, ...] = ()


def _length(node: ast.FunctionDef | ast.AsyncFunctionDef) -> int:
    lines = node.end_lineno - node.lineno + 1
    first = node.body[0]
    docstring = isinstance(first, ast.Expr) and isinstance(first.value, ast.Constant)
    if docstring and isinstance(first.value.value, str):
        lines -= first.end_lineno - first.lineno + 1
    return lines


def long_functions(root: Path = SRC, limit: int = LIMIT) -> list[tuple[str, str, int, bool]]:
    """(module path relative to ``root``, qualified name, length, has a "Long because" reason) of
    every function over ``limit`` lines, in file order."""
    out = []
    for path in sorted(root.rglob("*.py")):
        rel = path.relative_to(root).as_posix()
        tree = ast.parse(path.read_text(encoding="utf-8"), filename=str(path))
        stack: list[tuple[ast.AST, str]] = [(tree, "")]
        while stack:
            node, prefix = stack.pop()
            for child in ast.iter_child_nodes(node):
                name = getattr(child, "name", None)
                qual = f"{prefix}{name}" if name else prefix
                if isinstance(child, ast.FunctionDef | ast.AsyncFunctionDef):
                    n = _length(child)
                    if n > limit:
                        doc = ast.get_docstring(child) or ""
                        out.append((rel, qual, n, REASON in doc))
                stack.append((child, f"{qual}." if name else prefix))
    return sorted(out, key=lambda r: (r[0], r[1]))


def _checked(rel: str) -> bool:
    return not ELSEWHERE or not rel.startswith(ELSEWHERE)


def test_scanner_measures_without_the_docstring(tmp_path):
    body = "\n".join(f"    x{i} = {i}" for i in range(LIMIT - 1))
    doc = '    """Doc.\n\n    More.\n    """\n'
    # short: def + 79 lines (+ a docstring that does not count) = 80; long: def + 79 + 2 = 82
    (tmp_path / "m.py").write_text(
        f"def short():\n{doc}{body}\n\n\ndef long():\n{body}\n    y = 1\n    return y\n\n\n"
        f'class C:\n    def meth(self):\n        """Long because it is a test."""\n'
        + "\n".join(f"        y{i} = {i}" for i in range(LIMIT + 5))
        + "\n",
        encoding="utf-8",
    )
    found = long_functions(tmp_path)
    assert found == [("m.py", "C.meth", LIMIT + 6, True), ("m.py", "long", LIMIT + 2, False)]


def test_no_long_function_without_a_reason():
    offenders = [
        f"{rel}:{name} ({n} lines)"
        for rel, name, n, reason in long_functions()
        if _checked(rel) and not reason
    ]
    assert not offenders, "split these or say 'Long because ...' in the docstring: " + "; ".join(
        offenders
    )


if __name__ == "__main__":
    for rel, name, n, reason in long_functions():
        where = "" if _checked(rel) else "  [report side]"
        sys.stdout.write(f"{n:4d}  {rel}:{name}{'  (Long because ...)' if reason else ''}{where}\n")
