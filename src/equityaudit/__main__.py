"""``python -m equityaudit``."""

from equityaudit.cli import main

main(prog_name="equityaudit")
