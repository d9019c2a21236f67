"""The workbench command line: help, exit codes, one-line errors."""

import pytest

from evaluation.cli import build_parser, main


def test_help_lists_every_verb(capsys):
    with pytest.raises(SystemExit) as exit_info:
        main(["--help"])
    assert exit_info.value.code == 0
    assert "demo-data" in capsys.readouterr().out


def test_every_verb_has_help(capsys):
    parser = build_parser()
    verbs = parser._subparsers._group_actions[0].choices  # argparse keeps them here
    for verb in verbs:
        with pytest.raises(SystemExit) as exit_info:
            main([verb, "--help"])
        assert exit_info.value.code == 0, verb
        assert "usage: workbench" in capsys.readouterr().out


def test_unknown_verb_exits_2(capsys):
    with pytest.raises(SystemExit) as exit_info:
        main(["no-such-verb"])
    assert exit_info.value.code == 2


def test_bad_option_value_exits_2(capsys):
    with pytest.raises(SystemExit) as exit_info:
        main(["demo-data", "--scale", "-3"])
    assert exit_info.value.code == 2
    assert "positive number" in capsys.readouterr().err
