"""Checks as a notebook runs them (PYTEST_DONT_REWRITE: keep assert messages as students see them)."""

from aisys.checks import check


def test_pass_prints_one_stable_line(capsys):
    @check("demo-ok")
    def ok():
        """two plus two is four"""
        assert 2 + 2 == 4

    assert ok is True
    assert capsys.readouterr().out == "PASS [demo-ok] two plus two is four\n"


def test_failed_assert_prints_its_hint_and_does_not_raise(capsys):
    @check("demo-bad")
    def bad():
        """a check that fails"""
        assert 1 == 2, "one is not two: did you swap them?"

    assert bad is False
    assert capsys.readouterr().out == "FAIL [demo-bad] a check that fails\n  hint: one is not two: did you swap them?\n"


def test_missing_names_and_stubs_get_hints(capsys):
    @check("demo-name")
    def missing():
        """uses a name nobody defined"""
        undefined_thing  # noqa: B018

    @check("demo-stub")
    def stub():
        """calls an unanswered exercise"""
        raise NotImplementedError()

    out = capsys.readouterr().out
    assert "name 'undefined_thing' is not defined: run the cells above" in out
    assert "still raises NotImplementedError" in out


def test_other_errors_say_where(capsys):
    @check("demo-err")
    def err():
        """divides by zero"""
        return 1 / 0

    out = capsys.readouterr().out
    assert "ZeroDivisionError: division by zero (line" in out and "of err: return 1 / 0)" in out


def test_the_hidden_seed_comes_from_the_protocol_variable(monkeypatch):
    from aisys.checks import hidden_rng, hidden_seed
    from aisys.protocol import SEED_VARIABLE

    monkeypatch.setenv(SEED_VARIABLE, "5")
    assert hidden_seed() == 5
    a = hidden_rng("x").initial_seed()
    monkeypatch.setenv(SEED_VARIABLE, "6")
    assert hidden_rng("x").initial_seed() != a and hidden_rng("y").initial_seed() != hidden_rng("x").initial_seed()


def test_replaced_print_fails_the_check(capsys, monkeypatch):
    import builtins

    monkeypatch.setattr(builtins, "print", lambda *a, **k: None)

    @check("demo-tamper")
    def ok():
        """would pass"""

    monkeypatch.undo()
    out = capsys.readouterr().out
    assert ok is False and out.startswith("FAIL [demo-tamper]") and "print was replaced" in out


def test_pass_line_carries_a_fingerprint_of_the_verified_values(capsys):
    @check("demo-fp")
    def a():
        """returns values"""
        return [1, 2, 3]

    @check("demo-fp")
    def b():
        """returns values"""
        return [1, 2, 4]

    first, second = capsys.readouterr().out.splitlines()
    assert first.startswith("PASS [demo-fp] returns values (fingerprint ") and first != second


def test_wrapped_stubs_get_the_stub_hint(capsys):
    @check("demo-wrapped")
    def wrapped():
        """a kernel whose body is still a stub"""
        try:
            raise NotImplementedError()
        except NotImplementedError as e:
            raise RuntimeError("InterpreterError") from e

    assert "still raises NotImplementedError" in capsys.readouterr().out


def test_a_failed_rank_is_explained_by_its_own_assertion(capsys):
    from aisys.distributed import RankError

    @check("demo-rank")
    def ranks():
        """a check that launches ranks"""
        raise RankError("rank 2 failed first ...", rank=2, cause="AssertionError: the sum is off by 3")

    assert "hint: rank 2: the sum is off by 3" in capsys.readouterr().out


def test_the_protocol_parses_what_checks_print(capsys):
    from aisys.protocol import parse

    def wrong():
        """a check that fails"""
        raise AssertionError("off by one: did you start at 1?")

    check("demo-p1")(lambda: 42)
    passed = capsys.readouterr().out
    check("demo-p2")(wrong)
    failed = capsys.readouterr().out
    assert parse(passed)[:2] == ("PASS", "demo-p1")
    assert parse(failed) == ("FAIL", "demo-p2", "off by one: did you start at 1?")
    assert parse("no verdict here\n") is None and parse("PASS [Bad Id] x") is None


def test_the_protocol_module_does_not_import_torch():
    import subprocess
    import sys

    code = "import sys, aisys.protocol; sys.exit('torch' in sys.modules)"
    assert subprocess.run([sys.executable, "-c", code]).returncode == 0


def test_nested_forbidden_blocks_both_watch():
    import pytest

    from aisys.checks import forbidden

    def first():
        return 1

    def second():
        return 2

    with forbidden(first, "not first"), forbidden(second, "not second"):
        with pytest.raises(AssertionError, match="not first"):
            first()
    with forbidden(first, "not first"), forbidden(second, "not second"):
        with pytest.raises(AssertionError, match="not second"):
            second()
    assert first() + second() == 3  # allowed again after the blocks
