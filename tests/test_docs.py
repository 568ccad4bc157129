"""Every code block of README.md and docs/*.md runs, and prints what the page says it prints.

One test per markdown file, run in a fresh scratch directory (the working directory of its
code, holding a copy of the repository's examples/). The conventions the pages follow:

* A ```python block runs. A file's python blocks run in order as one module, so a block can
  use what an earlier one defined: they are written to ``<scratch>/<stem>.py`` with every
  line at its line number in the markdown file, and imported (srcdiff reads the source of the
  functions it differentiates, which code run by ``exec`` of a string does not have). A line
  number in a traceback or in srcdiff's output, ``tutorial.py:42``, is line 42 of the page.
* A ```python block with more words after ``python`` does not run. ```python torch marks the
  PyTorch snippets that the pages compare with: PyTorch is not a dependency of srcdiff.
* A ```text block, or a block whose info string ends in ``output`` (```python output, for the
  emitted code, so that it is highlighted as Python), that directly follows a python block
  (blank lines only between them) is what that block prints. It is compared with the block's
  standard output, trailing spaces and blank lines aside, the scratch directory's path
  removed, and ``...`` matching any text (doctest's ELLIPSIS). A ```text block elsewhere is
  not checked; an ``output`` block elsewhere is an error.
* A ```console block is commands and their output: ``$ srcdiff ARGS`` runs
  ``srcdiff.cli.main(ARGS)`` and ``$ python ARGS`` runs this Python in a subprocess, in the
  scratch directory. Each must exit 0 and print (on standard output and error) the lines
  below it, up to the next ``$``, compared as above.
* Other blocks (```bash install commands and command synopses, ```text diagrams) do not run.

After a deliberate change, ``python tests/test_docs.py [FILE.md ...]`` rewrites the output
blocks of the pages (all of them by default) that differ from what their python blocks print
now; a line that still matches is kept as written, abbreviations included. It repeats until
the page is stable, as a longer output moves the lines below it. Console blocks are not
rewritten: edit them by hand.
"""
from __future__ import annotations

import contextlib
import doctest
import importlib.util
import io
import os
import re
import shlex
import shutil
import subprocess
import sys
from dataclasses import dataclass, field
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
PAGES = [ROOT / "README.md", *sorted((ROOT / "docs").glob("*.md"))]
_FENCE = re.compile(r"^(?P<indent> *)(?P<fence>`{3,}|~{3,})(?P<info>.*)$")


@dataclass
class Block:
    """A fenced block: the line of its opening fence (0-based), its info words and lines."""

    start: int
    end: int  # the line of its closing fence
    indent: int
    info: list[str]
    lines: list[str]
    output_of: Block | None = None  # the python block whose output this block shows
    shows: Block | None = None  # the output block of this python block

    @property
    def runs(self) -> bool:
        return self.info in (["python"], ["py"])

    @property
    def is_output(self) -> bool:
        return self.info == ["text"] or (len(self.info) > 1 and self.info[-1] == "output")


@dataclass
class Page:
    path: Path
    text: list[str]
    blocks: list[Block] = field(default_factory=list)


def parse(path: Path) -> Page:
    """The fenced blocks of a markdown file, each output block linked to its python block."""
    page = Page(path, path.read_text().split("\n"))
    lines = page.text
    i = 0
    while i < len(lines):
        match = _FENCE.match(lines[i])
        if not match:
            i += 1
            continue
        fence, indent = match["fence"], len(match["indent"])
        closing = re.compile(rf"^ *{re.escape(fence[0])}{{{len(fence)},}} *$")
        j = i + 1
        while j < len(lines) and not closing.match(lines[j]):
            j += 1
        body = [line[indent:] if line[:indent].strip() == "" else line.lstrip()
                for line in lines[i + 1:j]]
        page.blocks.append(Block(i, j, indent, match["info"].split(), body))
        i = j + 1
    for before, block in zip(page.blocks, page.blocks[1:], strict=False):
        adjacent = all(not line.strip() for line in lines[before.end + 1:block.start])
        if block.is_output and before.runs and adjacent:
            block.output_of, before.shows = before, block
        elif block.is_output and block.info != ["text"]:
            raise AssertionError(f"{path.name}:{block.start + 1}: an output block must directly "
                                 "follow the python block whose output it shows")
    return page


def module_text(page: Page) -> str:
    """The page's python blocks as one module, each line at its line number in the page; the
    opening fence of block k becomes ``_docs_block_(k)``, which routes what follows to the
    block's output."""
    out = [""] * len(page.text)
    for k, block in enumerate(page.blocks):
        if block.runs:
            out[block.start] = f"_docs_block_({k})"
            out[block.start + 1:block.end] = block.lines
    return "\n".join(out) + "\n"


class _Outputs(io.TextIOBase):
    """Standard output split by block."""

    def __init__(self) -> None:
        self.current: int | None = None
        self.by_block: dict[int, list[str]] = {}

    def mark(self, k: int) -> None:
        self.current = k
        self.by_block.setdefault(k, [])

    def writable(self) -> bool:
        return True

    def write(self, text: str) -> int:
        self.by_block.setdefault(self.current if self.current is not None else -1, []).append(text)
        return len(text)

    def of(self, k: int) -> str:
        return "".join(self.by_block.get(k, []))


def scratch_dir(base: Path) -> Path:
    """A working directory for a page: empty but for a copy of examples/."""
    base.mkdir(parents=True, exist_ok=True)
    if not (base / "examples").exists():
        shutil.copytree(ROOT / "examples", base / "examples",
                        ignore=shutil.ignore_patterns("__pycache__"))
    return base


def run_python_blocks(page: Page, workdir: Path) -> dict[int, str]:
    """Run the page's python blocks as ``workdir/<stem>.py``; what each block printed."""
    stem = re.sub(r"\W", "_", page.path.stem)
    path = workdir / f"{stem}.py"
    path.write_text(module_text(page))
    outputs = _Outputs()
    name = f"_docs_page_{stem}"
    spec = importlib.util.spec_from_file_location(name, path)
    module = importlib.util.module_from_spec(spec)
    module._docs_block_ = outputs.mark
    here = os.getcwd()
    sys.modules[name] = module
    try:
        os.chdir(workdir)
        with contextlib.redirect_stdout(outputs):
            spec.loader.exec_module(module)
    finally:
        os.chdir(here)
        sys.modules.pop(name, None)
    return {k: outputs.of(k) for k, block in enumerate(page.blocks) if block.runs}


def run_command(command: str, workdir: Path) -> tuple[int, str]:
    """(exit code, what it printed, standard output and error) of one ``$`` line of a
    console block."""
    argv = shlex.split(command)
    here = os.getcwd()
    if argv[0] == "srcdiff":
        from srcdiff import cli

        out = io.StringIO()
        try:
            os.chdir(workdir)
            with contextlib.redirect_stdout(out), contextlib.redirect_stderr(out):
                code = cli.main(argv[1:])
        finally:
            os.chdir(here)
        return code, out.getvalue()
    if argv[0] == "python":
        done = subprocess.run([sys.executable, *argv[1:]], capture_output=True, text=True,
                              cwd=workdir, timeout=300)
        return done.returncode, done.stdout + done.stderr
    raise AssertionError(f"a console block runs only `srcdiff ...` and `python ...`: {command!r}")


def console_commands(block: Block) -> list[tuple[str, str]]:
    """(command, the output shown below it) for each ``$`` line of a console block."""
    commands: list[tuple[str, list[str]]] = []
    for line in block.lines:
        if line.startswith("$ "):
            commands.append((line[2:], []))
        elif commands:
            commands[-1][1].append(line)
        elif line.strip():
            raise AssertionError(f"console block line {block.start + 1}: output before any "
                                 "`$ ` command")
    return [(command, "\n".join(shown)) for command, shown in commands]


def normalized(text: str, workdir: Path) -> str:
    text = text.replace(str(workdir) + os.sep, "").replace(str(workdir), ".")
    return "\n".join(line.rstrip() for line in text.strip("\n").split("\n")).strip("\n")


def same(shown: str, printed: str) -> bool:
    return doctest.OutputChecker().check_output(shown + "\n", printed + "\n", doctest.ELLIPSIS)


def mismatches(page: Page, workdir: Path) -> list[str]:
    """Every difference between what the page shows and what its code prints."""
    outputs = run_python_blocks(page, workdir)
    problems = []
    for k, block in enumerate(page.blocks):
        if block.runs and block.shows is not None:
            shown = normalized("\n".join(block.shows.lines), workdir)
            printed = normalized(outputs[k], workdir)
            if not same(shown, printed):
                problems.append(f"{page.path.name}:{block.shows.start + 1}: the block above "
                                f"prints\n{printed}\n--- but the page shows\n{shown}")
        if block.info and block.info[0] == "console":
            for command, shown in console_commands(block):
                code, printed = run_command(command, workdir)
                printed = normalized(printed, workdir)
                if code != 0:
                    problems.append(f"{page.path.name}:{block.start + 1}: `{command}` exited "
                                    f"{code}:\n{printed}")
                elif not same(normalized(shown, workdir), printed):
                    problems.append(f"{page.path.name}:{block.start + 1}: `{command}` prints\n"
                                    f"{printed}\n--- but the page shows\n"
                                    f"{normalized(shown, workdir)}")
    return problems


@pytest.mark.parametrize("path", PAGES, ids=[str(p.relative_to(ROOT)) for p in PAGES])
def test_code_blocks_run_and_print_what_is_shown(path, tmp_path):
    problems = mismatches(parse(path), scratch_dir(tmp_path))
    assert not problems, ("\n\n".join(problems)
                          + "\n\n(after a deliberate change: python tests/test_docs.py "
                          + f"{path.relative_to(ROOT)})")


def test_the_conventions_hold_on_a_small_page(tmp_path):
    page_path = tmp_path / "page.md"
    page_path.write_text(
        "Text.\n\n```python\nimport srcdiff\n\ndef f(x):\n    return x * x\n```\n\n"
        "```python torch\nthis is not Python that runs\n```\n\n"
        "```python\nprint(srcdiff.grad(f)(3.0))\n```\n\n```text\n6.0\n```\n\n"
        "```text\na diagram, not checked\n```\n\n"
        "```console\n$ python -c \"print(2 + 2)\"\n4\n```\n\n"
        "```bash\npip install nothing\n```\n")
    page = parse(page_path)
    assert [b.runs for b in page.blocks] == [True, False, True, False, False, False, False]
    assert page.blocks[3].output_of is page.blocks[2] and page.blocks[4].output_of is None
    assert mismatches(page, scratch_dir(tmp_path / "work")) == []
    page_path.write_text(page_path.read_text().replace("6.0\n", "7.0\n"))
    [problem] = mismatches(parse(page_path), scratch_dir(tmp_path / "work"))
    assert "page.md:18" in problem and "6.0" in problem


def merged(shown: str, printed: str) -> list[str]:
    """The printed lines, keeping each shown line that still matches its printed line (so an
    abbreviation with ``...`` survives a change elsewhere in the block)."""
    old, new = shown.split("\n"), printed.split("\n")
    if len(old) != len(new):
        return new
    return [o if same(o, n) else n for o, n in zip(old, new, strict=True)]


def update(path: Path, workdir: Path, rounds: int = 5) -> bool:
    """Rewrite the output blocks of ``path`` that differ from what the blocks above them print;
    True when the page changed."""
    changed = False
    for _ in range(rounds):
        page = parse(path)
        outputs = run_python_blocks(page, workdir)
        lines = list(page.text)
        for k in reversed(range(len(page.blocks))):
            block = page.blocks[k]
            if block.runs and block.shows is not None:
                shown = block.shows
                printed = normalized(outputs[k], workdir)
                if same(normalized("\n".join(shown.lines), workdir), printed):
                    continue  # kept as written, abbreviations included
                new = merged(normalized("\n".join(shown.lines), workdir), printed)
                new = [" " * shown.indent + line if line else line for line in new]
                lines[shown.start + 1:shown.end] = new
        text = "\n".join(lines)
        if text == "\n".join(page.text):
            return changed
        path.write_text(text)
        changed = True
    raise SystemExit(f"{path}: the output blocks did not settle in {rounds} rounds")


if __name__ == "__main__":
    import tempfile

    sys.path.insert(0, str(ROOT))
    targets = [Path(a).resolve() for a in sys.argv[1:]] or PAGES
    for target in targets:
        with tempfile.TemporaryDirectory() as scratch:
            if update(target, scratch_dir(Path(scratch))):
                print(f"rewrote the output blocks of {target.relative_to(ROOT)}")
