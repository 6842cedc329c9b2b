"""``python -m safetywashing`` runs the CLI."""

import sys

if __name__ == "__main__":
    from ._util.process import pause_collector

    pause_collector()  # before the CLI's own imports (see safetywashing.cli.console)
    try:
        from .cli import console
    except KeyboardInterrupt:  # Ctrl-C while the program starts: the same one line and exit code as later
        sys.stderr.write("safetywashing: interrupted\n")
        sys.exit(130)
    console()
