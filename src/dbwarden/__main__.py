"""``python -m dbwarden``: the command line."""

from dbwarden.cli.entry import main

if __name__ == "__main__":
    main()
