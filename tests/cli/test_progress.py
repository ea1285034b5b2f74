"""Progress lines off a terminal: a step shows once it has run a second, timed from the command start."""

from __future__ import annotations

import time

from trtready.report.console import PROGRESS_LINE, SLOW_STEP, mark_command_start, progress_status


def test_a_slow_step_is_shown_and_a_quick_one_is_not(capsys):
    mark_command_start()
    with progress_status() as say:
        say("a quick step")
        say("a slow step")
        time.sleep(SLOW_STEP + 0.5)
        say("the last quick step")
    err = capsys.readouterr().err.splitlines()
    assert len(err) == 1 and PROGRESS_LINE.match(err[0]) and err[0].endswith("] a slow step"), err
    assert float(err[0][1 : err[0].index("s]")]) < SLOW_STEP  # the time the step started, not when it was shown


def test_quiet_shows_nothing(capsys):
    with progress_status(quiet=True) as say:
        say("a slow step")
        time.sleep(SLOW_STEP + 0.3)
    assert capsys.readouterr().err == ""
