"""`rigbench probe` (placeholder until its issue lands)."""

import click

from rigbench.errors import UserError


@click.command(name="probe", context_settings={"ignore_unknown_options": True})
@click.argument("args", nargs=-1, type=click.UNPROCESSED)
def command(args):
    """Not built yet."""
    raise UserError("'rigbench probe' is not built yet")
