"""Errors with a meaning for the command line.

``UserError`` is bad input a person can fix (unknown GPU name, unreadable file, bad option): the CLI prints its
message as one line on stderr and exits with code 2, never with a traceback. Library code raises it; only
``rigbench.cli`` turns it into an exit code.
"""


class UserError(Exception):
    """Bad input: one line for the user saying what is wrong and how to fix it (exit code 2)."""

    exit_code = 2


class RunFailed(Exception):
    """A run that had started could not go on (its results file could not be written: a full disk): one line on
    stderr, exit code 1, as ``rigbench bench --help`` says of a run that failed; 2 is kept for bad input found
    before anything starts."""

    exit_code = 1


class CheckFailed(Exception):
    """A check the user asked to be strict about failed (exit code 1)."""

    exit_code = 1
