"""srcdiff.trees.clone: a deep copy of a syntax tree, as copy.deepcopy makes, only faster."""
import ast
import copy

from srcdiff.trees import clone

SOURCE = """
def f(x, y=2.0):
    z = [x[1:3, None], {'a': 1}]
    for i in range(3):
        z.append(x * y ** i)
    return np.sum(z[0]) if x.ndim else -x
"""


def test_clone_equals_deepcopy_and_shares_nothing_mutable():
    tree = ast.parse(SOURCE)
    tree.body[0].srcdiff_pure = True  # srcdiff's own marks travel with the node
    copied = clone(tree)
    assert ast.dump(copied, include_attributes=True) == ast.dump(
        copy.deepcopy(tree), include_attributes=True)
    assert copied.body[0].srcdiff_pure is True
    originals = [n for n in ast.walk(tree) if not isinstance(n, ast.expr_context)]
    copies = [n for n in ast.walk(copied) if not isinstance(n, ast.expr_context)]
    assert not {id(n) for n in originals} & {id(n) for n in copies}
    copied.body[0].body[0].targets[0].id = "renamed"
    assert tree.body[0].body[0].targets[0].id == "z"


def test_unparse_keeps_negative_bases_in_parentheses():
    from srcdiff.trees import unparse

    power = ast.BinOp(ast.Constant(-1.0), ast.Pow(), ast.Constant(2))
    assert ast.unparse(power) == "-1.0 ** 2"  # what the printers do with a folded constant
    assert unparse(power) == "(-1.0) ** 2" and eval(unparse(power)) == 1.0
    assert ast.dump(power.left) == ast.dump(ast.Constant(-1.0))  # the tree is left alone
