"""``python -m investsim`` runs the command line."""

from investsim.cli import main

main()
