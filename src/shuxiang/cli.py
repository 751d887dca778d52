"""The `shuxiang` command: Django's management commands under the product's name.

`shuxiang serve|worker|migrate|demo|check|import places FILE|user add …|token USER`
and every app's own commands (e.g. `shuxiang device add`) are management
commands; this entry point only sets the settings module.
"""

import os
import sys


def main(argv=None):
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "shuxiang.settings")
    from django.core.management import execute_from_command_line

    argv = list(sys.argv if argv is None else argv)
    argv[0] = "shuxiang"
    execute_from_command_line(argv)


if __name__ == "__main__":
    main()
