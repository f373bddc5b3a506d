"""`python -m forklint ARGS` runs the installed `forklint` binary with ARGS."""

import os
import sys

from forklint import find_forklint_bin


def main() -> "int | None":
    binary = os.fsdecode(find_forklint_bin())
    if sys.platform == "win32":
        # No exec on Windows: run it and pass its exit code on.
        import subprocess

        return subprocess.run([binary, *sys.argv[1:]]).returncode
    os.execv(binary, [binary, *sys.argv[1:]])
    return None  # not reached


if __name__ == "__main__":
    sys.exit(main())
