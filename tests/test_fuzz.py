"""The program fuzzer: random programs, each checked by ``srcdiff.check_grad``.

Each example is a program drawn by ``tests/fuzz/generator.py`` (a module defining
``f(x, y)`` and its helpers) and a seed for its random float64 inputs. The program is written
to a file, imported, and ``srcdiff.check_grad(f, x, y, wrt=(0, 1))`` compares reverse mode and
forward mode with central finite differences, forward with reverse (the dot-product test) and
the batched derivatives with the plain ones, item by item (``tests/fuzz/harness.py`` keeps
``stop_gradient``/``no_grad`` values fixed under the finite differences' perturbations).

A program srcdiff refuses (``UnsupportedSyntaxError`` when the derivative is built) is
accepted and counted; more than 5% refusals fail the run, since the generator must produce
supported programs. A disagreement at a point where the program is not smooth at the scale of
finite differences (a branch flips, a kink) is discarded. Any other disagreement, or a crash
of srcdiff, fails the example: hypothesis shrinks the program and the failure message prints
the minimal program's source and inputs.

``test_random_programs`` is the CI run (the ``ci`` profile: at least 300 distinct
programs from a fixed seed);
``test_random_programs_long`` (marked ``fuzz``, deselected by default) is the long run::

    python -m pytest -m fuzz -p no:cacheprovider tests/test_fuzz.py --hypothesis-profile=long
"""
from __future__ import annotations

import copy
import os
import time
from dataclasses import dataclass, field

import numpy as np
import pytest
from hypothesis import given, reject, settings
from hypothesis import strategies as st

import srcdiff
from tests.fuzz import profiles
from tests.fuzz.generator import Program, inputs, programs
from tests.fuzz.harness import PathChanged, frozen, loaded, smooth_at

#: The most programs srcdiff may refuse, as a fraction of those checked.
MAX_REFUSED = 0.05


@dataclass
class Stats:
    """What a fuzz run saw, per distinct program (hypothesis replays some)."""

    checked: set[str] = field(default_factory=set)
    refused: dict[str, str] = field(default_factory=dict)
    not_smooth: set[str] = field(default_factory=set)
    largest: int = 0
    largest_source: str = ""

    def summary(self, seconds: float) -> str:
        return (f"fuzz: {len(self.checked)} programs checked with no disagreement, "
                f"{len(self.refused)} refused by srcdiff, {len(self.not_smooth)} discarded "
                f"(not smooth at the inputs); largest program {self.largest} statements; "
                f"{seconds:.0f} s")


class FuzzFailure(AssertionError):
    """srcdiff got a generated program wrong; the message holds the program."""


def describe(program: Program, args: tuple[object, ...], what: str) -> str:
    shown = "\n".join(f"{name} = {np.array2string(np.asarray(a), precision=17, separator=', ')}"
                      for name, a in zip("xy", args, strict=True))
    return (f"{what}\n\n--- program ---\n{program.render()}\n--- inputs ---\n{shown}\n"
            "--- check ---\nsrcdiff.check_grad(f, x, y, wrt=(0, 1))")


def check_program(program: Program, seed: int, directory: str, stats: Stats) -> None:
    """Check one program at inputs drawn from ``seed`` (see the module docstring)."""
    args = inputs(program, seed)
    with loaded(program, directory) as module:
        func = frozen(module, args)
        try:
            value = func(*copy.deepcopy(args))
        except Exception as error:  # the generator's fault, not srcdiff's
            raise FuzzFailure(describe(program, args, f"the program does not run: {error!r}"))\
                from error
        if not all(np.array_equal(a, b) for a, b in zip(args, inputs(program, seed),
                                                        strict=True)):
            raise FuzzFailure(describe(program, inputs(program, seed),
                                       "the program writes into its arguments"))
        if not np.all(np.isfinite(value)) or np.max(np.abs(value), initial=0.0) > 1e6:
            raise FuzzFailure(describe(program, args, f"the program's value is not moderate: "
                                                      f"{value!r}"))
        try:
            srcdiff.check_grad(func, *args, wrt=(0, 1))
        except srcdiff.UnsupportedSyntaxError as error:
            stats.refused[program.digest] = str(error)
            return
        except srcdiff.GradientCheckError as error:
            if "finite differences" in str(error) and not smooth_at(func, args, module.__file__):
                stats.not_smooth.add(program.digest)
                reject()
            raise FuzzFailure(describe(program, args, f"srcdiff disagrees: {error}")) from None
        except PathChanged:
            stats.not_smooth.add(program.digest)
            reject()
        except Exception as error:
            raise FuzzFailure(describe(program, args, f"srcdiff crashed: {error!r}")) from error
    stats.checked.add(program.digest)
    if program.statements > stats.largest:
        stats.largest, stats.largest_source = program.statements, program.source


def run(chosen: settings, directory: str) -> Stats:
    stats = Stats()

    @chosen
    @given(program=programs(), seed=st.integers(0, 2**32 - 1))
    def check(program: Program, seed: int) -> None:
        check_program(program, seed, directory, stats)

    start = time.perf_counter()
    try:
        check()
    except BaseException:
        # a failing run still says how far it got (hypothesis shrinks before it raises)
        print("\n" + stats.summary(time.perf_counter() - start) + " before the failure below")
        raise
    return stats


def report(stats: Stats, seconds: float, capsys: pytest.CaptureFixture[str],
           record_property: object) -> None:
    with capsys.disabled():
        print("\n" + stats.summary(seconds))
    record_property("fuzz_checked", len(stats.checked))  # type: ignore[operator]
    record_property("fuzz_largest_program", stats.largest)  # type: ignore[operator]
    total = len(stats.checked) + len(stats.refused)
    refused = "\n\n".join(list(stats.refused.values())[:5])
    assert len(stats.refused) <= MAX_REFUSED * total, (
        f"srcdiff refused {len(stats.refused)} of {total} generated programs; the generator "
        f"must produce supported programs. The first refusals:\n{refused}")


def test_random_programs(tmp_path_factory, capsys, record_property):
    directory = str(tmp_path_factory.mktemp("fuzz"))
    start = time.perf_counter()
    stats = run(settings(settings.get_profile("ci")), directory)
    report(stats, time.perf_counter() - start, capsys, record_property)
    assert len(stats.checked) >= profiles.CI_PROGRAMS


@pytest.mark.fuzz
def test_random_programs_long(request, tmp_path_factory, capsys, record_property):
    name = settings.get_current_profile_name()
    if name in ("ci", "default") and "fuzz" not in (request.config.getoption("markexpr") or ""):
        pytest.skip("the long fuzz run: select it with -m fuzz (or --hypothesis-profile=long)")
    chosen = settings.get_profile("long") if name in ("ci", "default") else settings.default
    directory = str(tmp_path_factory.mktemp("fuzz"))
    start = time.perf_counter()
    stats = run(settings(chosen), directory)
    report(stats, time.perf_counter() - start, capsys, record_property)
    if os.environ.get("SRCDIFF_FUZZ_SHOW_LARGEST"):
        with capsys.disabled():
            print(stats.largest_source)
