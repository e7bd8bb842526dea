"""``python -m dbwarden``: the command line."""

from dbwarden.cli.app import main

if __name__ == "__main__":
    main()
