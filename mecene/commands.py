"""A base for the commands finance runs: a bad flag is one line, exit 2.

argparse prints its whole usage before the error; the README promises finance
one clear line, as every other refusal of these commands gives.
"""

import sys

from django.core.management.base import BaseCommand


class FinanceCommand(BaseCommand):
    def create_parser(self, prog_name, subcommand, **kwargs):
        parser = super().create_parser(prog_name, subcommand, **kwargs)

        def one_line_error(message):
            if not parser.called_from_command_line:
                return type(parser).error(parser, message)
            sys.stderr.write(f"CommandError: {message} (see --help)\n")
            sys.exit(2)

        parser.error = one_line_error
        return parser
