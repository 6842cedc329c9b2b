"""``python -m safetywashing`` runs the CLI."""

import sys

if __name__ == "__main__":
    try:
        from .cli import run
    except KeyboardInterrupt:  # Ctrl-C while the program starts: the same one line and exit code as later
        sys.stderr.write("safetywashing: interrupted\n")
        sys.exit(130)
    run()
