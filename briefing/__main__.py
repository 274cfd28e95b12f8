"""`python -m briefing` is the `briefing` command."""

from briefing.cli import main

main()
