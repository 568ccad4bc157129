"""Parse pass: function objects and files to syntax trees with file positions."""
import ast
import inspect
import math
import os
import subprocess
import sys
import textwrap

import numpy as np

import srcdiff
from srcdiff import parse
from tests.cases import passes

PASSES_FILE = inspect.getsourcefile(passes)
with open(PASSES_FILE, encoding="utf-8") as _handle:
    PASSES_LINES = _handle.read().splitlines()
UNRESOLVED = type(parse.MISSING)


def line_of(text: str) -> int:
    """The 1-based line of passes.py whose stripped content is ``text`` (exactly one)."""
    found = [i + 1 for i, line in enumerate(PASSES_LINES) if line.strip() == text]
    assert len(found) == 1, (text, found)
    return found[0]


def column_of(text: str) -> int:
    """The 0-based column at which ``text`` starts on its line of passes.py."""
    line = PASSES_LINES[line_of(text) - 1]
    return len(line) - len(line.lstrip())


# ---------------------------------------------------------------------------------------------
# live functions
# ---------------------------------------------------------------------------------------------


def test_module_function():
    source = parse.parse_function(passes.plain)
    assert source.name == "plain"
    assert source.filename == PASSES_FILE
    assert source.node.lineno == line_of("def plain(x):")
    assert source.node.col_offset == 0
    ret = source.node.body[0]
    assert isinstance(ret, ast.Return)
    assert ret.lineno == line_of("return np.sum(x * SCALE) + np.pi")
    assert ast.unparse(ret.value) == "np.sum(x * SCALE) + np.pi"
    origin = source.origin(ret)
    assert (origin.line, origin.column) == (ret.lineno, 5)
    assert origin.source_line.strip() == "return np.sum(x * SCALE) + np.pi"
    assert origin.comment() == f"passes.py:{ret.lineno}: return np.sum(x * SCALE) + np.pi"


def test_decorated_function_drops_decorators_and_keeps_file_lines():
    source = parse.parse_function(passes.decorated)
    assert source.name == "decorated"
    assert source.node.decorator_list == []
    assert source.node.lineno == line_of("def decorated(x):")
    assert source.node.body[0].lineno == line_of("return np.sum(x ** 2)")
    assert ast.unparse(source.node.body[0]) == "return np.sum(x ** 2)"


def test_nested_function_has_file_columns():
    nested = passes.make_nested(3.0)
    source = parse.parse_function(nested)
    assert source.name == "nested"
    assert source.node.lineno == line_of("def nested(x):")
    assert source.node.col_offset == column_of("def nested(x):") == 4
    ret = source.node.body[0]
    assert ret.lineno == line_of("return x * scale + offset")
    assert ret.col_offset == column_of("return x * scale + offset") == 8
    # x in "x * scale": the column of the expression's first name in the file line.
    line = PASSES_LINES[ret.lineno - 1]
    binop = ret.value.left
    assert isinstance(binop, ast.BinOp)
    assert binop.left.col_offset == line.index("x * scale")
    assert binop.right.col_offset == line.index("scale")
    assert binop.right.end_col_offset == line.index("scale") + len("scale")
    origin = source.origin(binop.right)
    assert origin.column == line.index("scale") + 1
    assert origin.source_line.rstrip("\n") == line


def test_nested_function_with_a_flush_left_string():
    # A string literal's continuation lines may start left of the function's indentation:
    # the function must still parse, with file positions.
    source = parse.parse_function(passes.make_documented())
    assert source.name == "documented"
    assert source.node.lineno == line_of("def documented(x):")
    assert source.node.col_offset == 4
    ret = source.node.body[-1]
    assert ret.lineno == line_of("return x * 2.0")
    assert ret.col_offset == 8


def test_function_of_a_main_script(tmp_path):
    script = tmp_path / "script.py"
    script.write_text(textwrap.dedent("""\
        import srcdiff.parse


        def target(x):
            return x * 2.0


        if __name__ == "__main__":
            source = srcdiff.parse.parse_function(target)
            print(source.name, source.node.lineno, source.node.body[0].lineno)
        """))
    root = os.path.dirname(os.path.dirname(srcdiff.__file__))
    env = dict(os.environ, PYTHONPATH=root + os.pathsep + os.environ.get("PYTHONPATH", ""))
    result = subprocess.run([sys.executable, str(script)], capture_output=True, text=True,
                            env=env, cwd=tmp_path, timeout=60, check=False)
    assert result.returncode == 0, result.stderr
    assert result.stdout.split() == ["target", "4", "5"]


# ---------------------------------------------------------------------------------------------
# namespaces of live functions
# ---------------------------------------------------------------------------------------------


def test_globals_are_resolved():
    namespace = parse.parse_function(passes.plain).namespace
    assert namespace.lookup("np") is np
    assert namespace.lookup("SCALE") == 2.0
    assert namespace.lookup("len") is len  # builtins
    assert namespace.lookup("no_such_name_anywhere") is parse.MISSING
    assert namespace.resolve(ast.parse("np.pi", mode="eval").body) == np.pi
    assert namespace.resolve(ast.parse("np.linalg.norm", mode="eval").body) is np.linalg.norm


def test_builtins_used_by_the_function_are_resolved():
    # abs and max are globals of the code object that the module does not define; "sum"
    # appears among the code's names only as the attribute of np.sum.
    namespace = parse.parse_function(passes.uses_builtins).namespace
    assert namespace.lookup("abs") is abs
    assert namespace.lookup("max") is max
    assert namespace.lookup("sum") is sum
    assert namespace.lookup("np") is np


def test_rebound_global_is_seen(monkeypatch):
    namespace = parse.parse_function(passes.plain).namespace
    assert namespace.lookup("SCALE") == 2.0
    monkeypatch.setattr(passes, "SCALE", 5.0)
    assert namespace.lookup("SCALE") == 5.0
    monkeypatch.delattr(passes, "SCALE")
    assert namespace.lookup("SCALE") is parse.MISSING


def test_closure_variables_are_resolved_live():
    nested = passes.make_nested(3.0)
    namespace = parse.parse_function(nested).namespace
    assert namespace.lookup("scale") == 3.0
    assert namespace.lookup("offset") == 1.0
    cells = dict(zip(nested.__code__.co_freevars, nested.__closure__, strict=True))
    cells["scale"].cell_contents = 7.0
    assert namespace.lookup("scale") == 7.0
    assert nested(1.0) == 8.0


# ---------------------------------------------------------------------------------------------
# files: parsed, never executed
# ---------------------------------------------------------------------------------------------

FILE = """\
import numpy as np
import math
from math import pi as PI
import some_module_that_is_not_installed as unknown
open({marker!r}, "w").close()
raise SystemExit("the file was executed")

SCALE = 2.5
SHAPE = (2, 3)
COMPUTED = np.ones(3)


def helper(x):
    return x


def f(x):
    return np.sum(x * SCALE) + PI


@helper
def g(x, y):
    return math.exp(x) * y
"""


def parsed_file(tmp_path):
    marker = tmp_path / "executed"
    path = tmp_path / "user_file.py"
    path.write_text(FILE.format(marker=str(marker)))
    sources, tree = parse.parse_file(str(path))
    return sources, tree, path, marker


def test_parse_file_never_executes(tmp_path):
    sources, tree, _, marker = parsed_file(tmp_path)
    assert not marker.exists()
    assert set(sources) == {"helper", "f", "g"}
    assert isinstance(tree, ast.Module)


def test_parse_file_positions(tmp_path):
    sources, _, path, _ = parsed_file(tmp_path)
    lines = FILE.splitlines()
    f, g = sources["f"], sources["g"]
    assert f.filename == str(path)
    assert f.node.lineno == lines.index("def f(x):") + 1
    assert g.node.lineno == lines.index("def g(x, y):") + 1
    assert g.node.decorator_list == []
    origin = g.origin(g.node.body[0])
    assert origin.line == lines.index("    return math.exp(x) * y") + 1
    assert origin.source_line.strip() == "return math.exp(x) * y"


def test_parse_file_resolves_imports_and_literal_constants(tmp_path):
    sources, _, _, _ = parsed_file(tmp_path)
    source = sources["f"]
    namespace = source.namespace
    assert namespace.lookup("np") is np
    assert namespace.lookup("math") is math
    assert namespace.lookup("PI") == math.pi
    assert namespace.lookup("SCALE") == 2.5
    assert namespace.lookup("SHAPE") == (2, 3)
    assert namespace.resolve(ast.parse("np.exp", mode="eval").body) is np.exp
    assert namespace.imports["np"] == "import numpy as np"
    assert namespace.imports["math"] == "import math"
    assert namespace.imports["PI"] == "from math import pi as PI"
    assert source.module_constants == {"SCALE": 2.5, "SHAPE": (2, 3)}
    # every function of the file shares the file's namespace
    assert sources["g"].namespace.lookup("SCALE") == 2.5


def test_parse_file_marks_non_literal_globals_unresolved(tmp_path):
    sources, _, _, _ = parsed_file(tmp_path)
    namespace = sources["f"].namespace
    for name in ("COMPUTED", "unknown"):
        value = namespace.lookup(name)
        assert isinstance(value, UNRESOLVED), name
    for name in ("helper", "f"):  # the file's own functions: known by their syntax trees
        value = namespace.lookup(name)
        assert isinstance(value, parse.FileFunction) and value.source is sources[name], name
    assert "unknown" not in namespace.imports
    assert "COMPUTED" not in sources["f"].module_constants
    assert isinstance(namespace.resolve(ast.parse("COMPUTED.shape", mode="eval").body),
                      UNRESOLVED)
    assert namespace.lookup("not_in_the_file") is parse.MISSING
    assert namespace.lookup("abs") is abs
