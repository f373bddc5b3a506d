"""forklint: a static linter for Python thread, fork, subinterpreter and shutdown hazards.

The package is the `forklint` binary, installed into the environment's scripts directory
(as Ruff's is). This module only finds it, for `python -m forklint` and for tools that want
its path.
"""

import os
import sys
import sysconfig

__all__ = ["find_forklint_bin"]


def find_forklint_bin() -> str:
    """The path of the `forklint` binary this package installed.

    Looked for in the environment's scripts directory, then in the user scheme's (a
    `pip install --user`). Raises FileNotFoundError naming the places looked in.
    """
    exe = "forklint" + (sysconfig.get_config_var("EXE") or "")
    places = [sysconfig.get_path("scripts")]
    if sys.version_info >= (3, 10):
        user_scheme = sysconfig.get_preferred_scheme("user")
    elif os.name == "nt":
        user_scheme = "nt_user"
    elif sys.platform == "darwin" and getattr(sys, "_framework", None):
        user_scheme = "osx_framework_user"
    else:
        user_scheme = "posix_user"
    places.append(sysconfig.get_path("scripts", scheme=user_scheme))
    for place in places:
        path = os.path.join(place, exe)
        if os.path.isfile(path):
            return path
    raise FileNotFoundError(f"{exe} not found in {', '.join(places)}")
