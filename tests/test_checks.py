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

    assert "ZeroDivisionError: division by zero (at line" in capsys.readouterr().out
