"""`python -m idpctl ...`: entry point of the command-line tool."""

from idpctl.cli import main

if __name__ == "__main__":
    main()
