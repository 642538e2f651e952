"""Start IAM Trust Explorer: `python main.py [SNAPSHOT]` opens the desktop app; `python main.py COMMAND ...`
runs a command-line command (see `python main.py --help`)."""
import sys

from explorer.cli import main

if __name__ == "__main__":
    sys.exit(main())
