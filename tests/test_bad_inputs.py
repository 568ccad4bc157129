"""The bad-input catalogue: everything a user can hand srcdiff that it must refuse, each with
the exact error type and a message naming file, line and column, what is wrong, and a hint.

Unsupported *syntax* inside a function is catalogued in ``tests/test_errors.py`` (``CASES``:
try, with, lambda, comprehensions, global/nonlocal, *args/**kwargs, yield, async, recursion,
writes into arguments, attributes, sets...); this file adds the rest: functions that cannot be
read, bad ``wrt`` and argument values, non-scalar outputs, complex numbers, more statements,
and command-line misuse. ``test_catalogue_size`` counts both.
"""
from __future__ import annotations

import math
import re
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import pytest

import srcdiff
from srcdiff.cli import main
from tests.cases import bad_inputs as bad
from tests.test_errors import CASES as SYNTAX_CASES

CASES_FILE = str(Path(bad.__file__).resolve())
THIS_FILE = str(Path(__file__).resolve())


def marked(name: str, path: str = CASES_FILE) -> int:
    """The line carrying the ``# <- name`` marker."""
    lines = Path(path).read_text(encoding="utf-8").splitlines()
    return next(i + 1 for i, text in enumerate(lines) if text.rstrip().endswith(f"# <- {name}"))


@dataclass(frozen=True)
class Entry:
    name: str
    call: Callable[[], Any]  # raises the error
    error: type[Exception]
    line: Callable[[], tuple[str, int]]  # (file, line) the message must point at
    construct: str  # what is wrong, as the message says it
    hint: str  # a fragment of the hint


def at(name: str, path: str = CASES_FILE) -> Callable[[], tuple[str, int]]:
    return lambda: (path, marked(name, path))


X = np.array([0.5, 2.0])


def grad_of(func: Any, *args: Any, **kwargs: Any) -> Callable[[], Any]:
    return lambda: srcdiff.grad(func, **kwargs)(*args)


def made_by_exec() -> Any:
    namespace: dict[str, Any] = {"np": np}
    exec("def made(x):\n    return np.sum(x)\n", namespace)  # noqa: S102
    return namespace["made"]


ENTRIES = [
    Entry("builtin without a rule", lambda: srcdiff.grad(math.gamma),  # <- builtin
          srcdiff.SrcdiffError, at("builtin", THIS_FILE),
          "not a Python function with source code", "srcdiff.defrule"),
    Entry("ufunc without a rule", lambda: srcdiff.grad(np.frexp),  # <- ufunc
          srcdiff.SrcdiffError, at("ufunc", THIS_FILE),
          "not a Python function with source code", "srcdiff.defrule"),
    Entry("function made by exec", lambda: srcdiff.grad(made_by_exec()),  # <- exec
          srcdiff.SrcdiffError, at("exec", THIS_FILE), "its source is unavailable",
          "define it in a file or module"),
    Entry("bound method", lambda: srcdiff.grad(bad.Scaler(2.0).scale), srcdiff.SrcdiffError,
          at("bound_method"), "bound method", "module-level function"),
    Entry("lambda inside a list", grad_of(bad.LAMBDAS[0], 1.0), srcdiff.UnsupportedSyntaxError,
          at("lambda_in_list"), "lambda", "write the lambda as a 'def'"),
    Entry("lambda inside a compound statement",
          lambda: [srcdiff.grad(f)(1.0) for f in [lambda x: x * x]],  # <- lambda_in_for
          srcdiff.UnsupportedSyntaxError, at("lambda_in_for", THIS_FILE), "lambda",
          "write the lambda as a 'def'"),
    Entry("wrt an integer value", grad_of(bad.scalar, 3), srcdiff.SrcdiffError, at("scalar"),
          "its value is an integer", "pass a float"),
    Entry("wrt a boolean value", grad_of(bad.scalar, True), srcdiff.SrcdiffError,
          at("scalar"), "its value is a boolean", "pass a float"),
    Entry("wrt a string value", grad_of(bad.scalar, "1.5"), srcdiff.SrcdiffError,
          at("scalar"), "its value is a str", "pass a float"),
    Entry("wrt an integer array", grad_of(bad.scalar, np.arange(3)), srcdiff.SrcdiffError,
          at("scalar"), "array of dtype int64", "float array"),
    Entry("complex scalar input", grad_of(bad.scalar, 1.0 + 2.0j), srcdiff.SrcdiffError,
          at("scalar"), "complex inputs are not supported", "pass a float"),
    Entry("complex array input", grad_of(bad.scalar, np.ones(2, complex)),
          srcdiff.SrcdiffError, at("scalar"), "complex inputs are not supported", "float"),
    Entry("wrt a missing parameter", grad_of(bad.scalar, 1.0, wrt="y"), srcdiff.SrcdiffError,
          at("scalar"), "has no parameter named 'y'", "scalar(x, n)"),
    Entry("wrt an index out of range", grad_of(bad.scalar, 1.0, wrt=2), srcdiff.SrcdiffError,
          at("scalar"), "out of range", "has 2 parameters"),
    Entry("wrt naming nothing", grad_of(bad.scalar, 1.0, wrt=()), srcdiff.SrcdiffError,
          at("scalar"), "names no parameter", "wrt=()"),
    Entry("wrt naming a parameter twice", grad_of(bad.scalar, 1.0, wrt=(0, "x")),
          srcdiff.SrcdiffError, at("scalar"), "twice", "wrt names parameter 'x'"),
    Entry("grad of a non-scalar output", grad_of(bad.vector_valued, X),
          srcdiff.NonScalarOutputError, at("vector_valued"), "scalar output", "srcdiff.vjp"),
    Entry("print inside", grad_of(bad.prints, X), srcdiff.UnsupportedSyntaxError,
          at("prints"), "expression statement", "assign the result"),
    Entry("unpacking for-loop target", grad_of(bad.unpacks_pairs, np.ones(4)),
          srcdiff.UnsupportedSyntaxError, at("unpacks_pairs"),
          "tuple unpacking", "index inside the body"),
    Entry("write into an array another variable views",
          grad_of(bad.writes_through_a_view, np.ones(3)), srcdiff.UnsupportedSyntaxError,
          at("writes_through_a_view"), "also changes 'b', which shares its memory",
          "with .copy()"),
    Entry("augmented assignment of an aliased array",
          grad_of(bad.augments_an_alias, np.ones(3)), srcdiff.UnsupportedSyntaxError,
          at("augments_an_alias"), "also changes 'b'", "write a = a + ..."),
    Entry("write through a view of an argument",
          grad_of(bad.writes_into_an_argument_view, np.ones((2, 3))),
          srcdiff.UnsupportedSyntaxError, at("writes_into_an_argument_view"),
          "changes the argument 'x'", "row = x.copy()"),
    Entry("assert inside", grad_of(bad.asserts, 1.0), srcdiff.UnsupportedSyntaxError,
          at("asserts"), "'assert' statement", "outside the differentiated function"),
    Entry("del inside", grad_of(bad.deletes, 1.0), srcdiff.UnsupportedSyntaxError,
          at("deletes"), "'del' statement", "remove the 'del'"),
    Entry("a method of an object", grad_of(bad.calls_a_method, 1.0),
          srcdiff.UnsupportedSyntaxError, at("method_without_rule"), "method .scale()",
          "srcdiff.defrule"),
    Entry("mutual recursion", grad_of(bad.ping, 3.0), srcdiff.UnsupportedSyntaxError,
          at("mutual_recursion"), "recursive call to 'ping'", "as a loop"),
    Entry("augmented write into an argument", grad_of(bad.adds_into_argument, np.ones(3)),
          srcdiff.UnsupportedSyntaxError, at("adds_into_argument"),
          "assignment into the argument 'x'", "np.copy(x)"),
    Entry("dict comprehension", grad_of(bad.dict_comprehension, 1.0),
          srcdiff.UnsupportedSyntaxError, at("dict_comprehension"), "dict comprehension",
          "dicts cannot be differentiated"),
    Entry("class inside", grad_of(bad.local_class, 1.0), srcdiff.UnsupportedSyntaxError,
          at("local_class"), "class definition", "module level"),
    Entry("import inside", grad_of(bad.local_import, 1.0), srcdiff.UnsupportedSyntaxError,
          at("local_import"), "import inside the function", "import at module level"),
    Entry("walrus", grad_of(bad.walrus, 1.0), srcdiff.UnsupportedSyntaxError, at("walrus"),
          "assignment expression", "separate statement"),
    Entry("starred call argument", grad_of(bad.starred_call, 1.0),
          srcdiff.UnsupportedSyntaxError, at("starred_call"), "starred expression",
          "pass arguments explicitly"),
    Entry("keyword unpacking in a call", grad_of(bad.keyword_unpacking, X),
          srcdiff.UnsupportedSyntaxError, at("keyword_unpacking"), "'**kwargs' in a call",
          "hint"),
]


def plain(error: BaseException) -> str:
    return str(error)


@pytest.mark.parametrize("entry", ENTRIES, ids=[e.name for e in ENTRIES])
def test_bad_input_is_refused_clearly(entry: Entry) -> None:
    with pytest.raises(entry.error) as info:
        entry.call()
    assert type(info.value) is entry.error
    message = plain(info.value)
    path, line = entry.line()
    located = re.search(rf"{re.escape(path)}:{line}:(\d+): ", message)
    assert located, f"not located at {path}:{line}:\n{message}"
    assert int(located.group(1)) >= 1
    assert entry.construct in message, message
    assert entry.hint in message, message


# ---------------------------------------------------------------------------------------------
# The command line.
# ---------------------------------------------------------------------------------------------

CLI_ENTRIES = [
    ("a file that does not parse", "def f(x):\n    return x +\n", [], 2, ":2:", "does not parse"),
    ("a function not in the file", "def f(x):\n    return x * 2.0\n", ["--function", "g"], 2,
     "", "has no top-level function 'g' (it defines: f)"),
    ("a global that is not a literal", "import numpy as np\nW = np.ones(3)\n\n"
     "def f(x):\n    return np.sum(W * x)\n", [], 2, ":5:", "reads the global 'W'"),
    ("a rule declared with non-literal arguments", "import math\nimport srcdiff\n"
     "P = 'x'\nsrcdiff.elementwise(math.gamma, x=P)\n\ndef f(x):\n    return math.gamma(x)\n",
     [], 2, ":4:1:", "must be literals"),
    ("unsupported syntax in the file", "def f(x):\n    try:\n        y = x\n    except Exception:"
     "\n        y = 0.0\n    return y\n", [], 2, ":2:5:", "'try' statement"),
]


@pytest.mark.parametrize("name, text, extra, code, where, what", CLI_ENTRIES,
                         ids=[e[0] for e in CLI_ENTRIES])
def test_command_line_refuses_clearly(tmp_path, capsys, name, text, extra, code, where, what):
    path = tmp_path / "user_file.py"
    path.write_text(text, encoding="utf-8")
    assert main(["emit", str(path), *extra]) == code
    err = capsys.readouterr().err
    assert str(path) in err and where in err and what in err, err


def test_command_line_missing_file(tmp_path, capsys):
    assert main(["emit", str(tmp_path / "nowhere.py")]) == 2
    assert "cannot read" in capsys.readouterr().err


def test_catalogue_size():
    assert len(ENTRIES) + len(CLI_ENTRIES) + 1 + len(SYNTAX_CASES) >= 30
