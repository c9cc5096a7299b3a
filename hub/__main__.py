"""`python -m hub` runs the command line, like the `hub` script."""

from hub.cli import main

main()
