# forklint for Pants: BUILD-file macros (an example to adapt, not a Pants plugin).
#
# Put this file at build-support/forklint_macros.py and load it in pants.toml:
#
#     [GLOBAL]
#     backend_packages.add = ["pants.backend.python", "pants.backend.shell"]
#     build_file_prelude_globs = ["build-support/forklint_macros.py"]
#
# and give the configuration a target in the root BUILD file:
#
#     file(name="pyproject", source="pyproject.toml")
#
# `forklint` must be on the PATH Pants searches ([shell-setup].executable_search_paths, by
# default the PATH Pants runs with). See docs/build-systems.md in forklint's repository.

# The configuration at the build root, passed with --config to every forklint command, and the
# target that puts it in the sandbox. In the sandbox it is also what makes the build root the
# project root that module names are counted from.
FORKLINT_CONFIG = "pyproject.toml"
FORKLINT_CONFIG_TARGET = "//:pyproject"

# Options that change summaries (--target-version, --platform, --knowledge, --src) must be the
# same for `summarize` and for the link: set them in the configuration, or here.
FORKLINT_SETTINGS = "--config " + FORKLINT_CONFIG


def _words(*parts):
    return " ".join(part for part in parts if part)


def forklint_check_test(name="forklint", sources=(":src",), options="", **kwargs):
    """The simplest wiring: `forklint check` on `sources` and everything they import.

    Pants puts the sources and their transitive dependencies (found by its dependency inference)
    in the sandbox, and forklint checks the sandbox as one program. Pants caches the result until
    one of those files changes.
    """
    test_shell_command(
        name=name,
        command=_words("forklint check", FORKLINT_SETTINGS, "--no-cache", options, "."),
        tools=["forklint"],
        execution_dependencies=[FORKLINT_CONFIG_TARGET, *sources],
        workdir="/",
        **kwargs,
    )


def forklint_summary(name="forklint_summary", sources=(":src",), files=("*.py",), **kwargs):
    """`forklint summarize` on the files of this directory that match `files`.

    The bundle is `<directory>/<name>.flsum`. The other Python files in the sandbox (the
    transitive dependencies of `sources`) are named with --with.
    """
    directory = str(build_file_dir())
    prefix = "" if directory in ("", ".") else directory + "/"
    bundle = prefix + name + ".flsum"
    own = " ".join(prefix + pattern for pattern in files)
    command = "\n".join(
        [
            "shopt -s nullglob",
            "own=()",
            'for f in ' + own + '; do if [ -f "$f" ]; then own+=("$f"); fi; done',
            "with=()",
            "while IFS= read -r f; do",
            "  f=${f#./}; keep=1",
            '  for o in "${own[@]}"; do if [ "$f" = "$o" ]; then keep=0; break; fi; done',
            '  if [ "$keep" = 1 ]; then with+=("$f"); fi',
            "done < <(find . -name '*.py' | sort)",
            'args=(summarize ' + FORKLINT_SETTINGS + ' "${own[@]}" -o ' + bundle + ")",
            'for f in "${with[@]}"; do args+=(--with "$f"); done',
            'exec forklint "${args[@]}"',
        ]
    )
    shell_command(
        name=name,
        command=command,
        tools=["forklint", "find", "sort"],
        execution_dependencies=[FORKLINT_CONFIG_TARGET, *sources],
        output_files=[bundle],
        workdir="/",
        **kwargs,
    )


def forklint_test(name="forklint", summaries=(), sources=(":src",), options="", **kwargs):
    """`forklint check --summaries` on the bundles of `summaries`, as a test.

    List the forklint_summary targets of every directory the program imports. The sources are
    in the sandbox only to quote the lines of a finding (and to summarise a file again when a
    bundle's assumptions do not hold).
    """
    test_shell_command(
        name=name,
        command=_words("forklint check", FORKLINT_SETTINGS, "--no-cache", options, "--summaries ."),
        tools=["forklint"],
        execution_dependencies=[FORKLINT_CONFIG_TARGET, *summaries, *sources],
        workdir="/",
        **kwargs,
    )
