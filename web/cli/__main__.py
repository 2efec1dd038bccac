"""`python -m councilkg.web.cli`: the console script without an installed entry point."""

from councilkg.web.cli import run

run()
