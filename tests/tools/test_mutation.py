"""`make mutation`'s list applies to the code as it is, and the runner never leaves a mutant behind.

Guards a list that rots silently (a refactor moves a snippet: the mutant would then test nothing), a snippet that
matches twice (the bug would land somewhere else than intended), and a mutant left in the tree after a failure or
a timeout. The mutants themselves run in `make mutation`, not here.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.support import REPO
from tools.mutation import Mutant, MutantError, applied, check, load_mutants, main, mutated_text

MUTANTS = load_mutants()


def mutant(original: str, replacement: str, path: str = "module.py") -> Mutant:
    return Mutant(id="m", path=path, original=original, replacement=replacement, why="w", tests=("tests",))


@pytest.mark.parametrize("entry", MUTANTS, ids=[m.id for m in MUTANTS])
def test_every_mutant_applies_exactly_once_and_names_existing_tests(entry: Mutant) -> None:
    check(entry, REPO)


def test_the_list_covers_the_earlier_survivors_and_every_concern() -> None:
    assert sum(m.survivor for m in MUTANTS) == 9
    assert len(MUTANTS) >= 31
    touched = {m.path for m in MUTANTS}
    # The code added since the first measurement: gateway authentication, the budget guard, deploy verification,
    # render safety and the CLI's config values.
    for concern in (
        "infra/gateway/",
        "app/budget.py",
        "infra/verify/",
        "infra/render/destination.py",
        "infra/config/cli_values.py",
    ):
        assert any(path.startswith(concern) for path in touched), concern


@pytest.mark.parametrize(
    ("text", "count"), [("x = 1\n", 0), ("x = 2\nx = 2\n", 2)], ids=["snippet-gone", "snippet-twice"]
)
def test_a_snippet_not_found_exactly_once_is_refused(text: str, count: int) -> None:
    with pytest.raises(MutantError, match=f"appears {count} times"):
        mutated_text(mutant("x = 2", "x = 3"), text)


def test_lines_are_found_at_any_indentation_and_replaced_at_it() -> None:
    text = "def f():\n    if a:\n        return 1\n    return 2\n"
    changed = mutated_text(mutant("if a:\n    return 1\n", "if not a:\n    return 1\n"), text)
    assert changed == "def f():\n    if not a:\n        return 1\n    return 2\n"
    assert mutated_text(mutant("return 2\n", ""), text) == "def f():\n    if a:\n        return 1\n"
    with pytest.raises(MutantError, match="appear 0 times"):
        mutated_text(mutant("if a:\nreturn 1\n", "x\n"), text)  # the relative indentation must match too


def test_the_file_is_restored_whatever_happens_while_the_mutant_is_in(tmp_path: Path) -> None:
    source = tmp_path / "module.py"
    source.write_text("LIMIT = 10\n")
    seen = []

    def crash_while_mutated() -> None:
        with applied(mutant("LIMIT = 10", "LIMIT = 11"), tmp_path):
            seen.append(source.read_text())
            raise RuntimeError("the tests crashed")

    with pytest.raises(RuntimeError):
        crash_while_mutated()
    assert seen == ["LIMIT = 11\n"]
    assert source.read_text() == "LIMIT = 10\n"


def test_a_run_reports_each_fate_and_leaves_the_tree_untouched(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("PYTEST_DISABLE_PLUGIN_AUTOLOAD", "1")  # the tiny project needs no plugin: start faster
    (tmp_path / "tests").mkdir()
    (tmp_path / "limits.py").write_text("def allowed(size):\n    return size <= 10\n")
    (tmp_path / "tests" / "test_limits.py").write_text(
        "from limits import allowed\n\n\ndef test_limit():\n    assert allowed(10)\n"
    )
    (tmp_path / "mutants.yaml").write_text(
        "- {id: off-by-one, path: limits.py, original: 'size <= 10', replacement: 'size < 10', why: w,"
        " tests: [tests/test_limits.py]}\n"
        "- {id: equivalent, path: limits.py, original: 'size <= 10', replacement: '10 >= size', why: w,"
        " tests: [tests/test_limits.py]}\n"
    )
    before = {path: path.read_bytes() for path in tmp_path.rglob("*") if path.is_file()}

    code = main(["--mutants", str(tmp_path / "mutants.yaml"), "--skip-baseline"], repo=tmp_path)

    report = capsys.readouterr().out
    assert code == 1  # 50 % is below the 90 % target
    assert "killed" in report.splitlines()[0]
    assert "survived" in report.splitlines()[1]
    assert "kill rate: 50.0 %" in report
    assert {path: path.read_bytes() for path in tmp_path.rglob("*") if path.is_file()} == before


def test_check_runs_nothing_and_says_what_no_longer_applies(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    (tmp_path / "module.py").write_text("x = 1\n")
    (tmp_path / "mutants.yaml").write_text(
        "- {id: gone, path: module.py, original: 'x = 2', replacement: 'x = 3', why: w, tests: [module.py]}\n"
    )
    assert main(["--check", "--mutants", str(tmp_path / "mutants.yaml")], repo=tmp_path) == 1
    assert "gone: the snippet appears 0 times in module.py" in capsys.readouterr().err
