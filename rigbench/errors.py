"""Errors with a meaning for the command line.

``UserError`` is bad input a person can fix (unknown GPU name, unreadable file, bad option): the CLI prints its
message as one line on stderr and exits with code 2, never with a traceback. Library code raises it; only
``rigbench.cli`` turns it into an exit code.
"""


class UserError(Exception):
    """Bad input: one line for the user saying what is wrong and how to fix it (exit code 2)."""

    exit_code = 2


class CheckFailed(Exception):
    """A check the user asked to be strict about failed (exit code 1)."""

    exit_code = 1
