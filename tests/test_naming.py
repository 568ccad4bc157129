"""Namer: deterministic, collision-free names for generated code."""
import ast
import keyword

from srcdiff.naming import Namer, names_in


def test_fresh_counts_up_from_the_base():
    namer = Namer()
    assert [namer.fresh("product") for _ in range(3)] == ["product", "product_2", "product_3"]


def test_fresh_bases_are_independent():
    namer = Namer()
    assert namer.fresh("a") == "a"
    assert namer.fresh("b") == "b"
    assert namer.fresh("a") == "a_2"
    assert namer.fresh("b") == "b_2"


def test_fresh_avoids_reserved_names():
    namer = Namer({"x", "x_2", "dx"})
    assert namer.fresh("x") == "x_3"
    assert namer.fresh("dx") == "dx_2"
    assert namer.fresh("y") == "y"


def test_fresh_avoids_names_reserved_later():
    namer = Namer()
    namer.reserve("t")
    namer.reserve("t_2")
    assert namer.fresh("t") == "t_3"


def test_a_versioned_name_already_taken_is_skipped():
    # "x_2" handed out as a base of its own must not come back as the second "x".
    namer = Namer()
    assert namer.fresh("x_2") == "x_2"
    assert namer.fresh("x") == "x"
    assert namer.fresh("x") == "x_3"


def test_names_are_never_repeated():
    namer = Namer({"a", "a_2"})
    names = [namer.fresh(base) for base in ["a", "a", "a_3", "a", "tmp", "1x", "tmp"]]
    assert len(names) == len(set(names))
    assert not {"a", "a_2"} & set(names)


def test_invalid_base_becomes_tmp():
    namer = Namer()
    assert namer.fresh("1abc") == "tmp"
    assert namer.fresh("a-b") == "tmp_2"
    assert namer.fresh("") == "tmp_3"
    assert namer.fresh("x.y") == "tmp_4"


def test_keyword_base_is_not_returned_as_is():
    namer = Namer()
    for word in ("lambda", "return", "class", "None", "if"):
        name = namer.fresh(word)
        assert name != word
        assert name.isidentifier()
        assert not keyword.iskeyword(name)


def test_same_requests_give_same_names():
    requests = ["x", "x", "product", "x_plus_2", "x", "for", "product"]
    first = Namer({"x"})
    second = Namer({"x"})
    assert [first.fresh(b) for b in requests] == [second.fresh(b) for b in requests]


def test_names_in_collects_variables_parameters_and_definitions():
    tree = ast.parse("def f(a, *, b):\n    c = np.sum(a) + b\n    return c.T\n")
    assert names_in(tree) == {"f", "a", "b", "c", "np"}
