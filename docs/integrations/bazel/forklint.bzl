"""forklint for Bazel: one summary per Python target, linked once per binary or test.

Copy this file into your workspace (for example to `tools/lint/forklint.bzl`), then create the
aspect and the rules in a `.bzl` file of your own (see `linters.bzl` beside this file):

    load("//tools/lint:forklint.bzl", "forklint_aspect", "make_forklint_report", "make_forklint_test")

    forklint = forklint_aspect(
        binary = Label("@forklint//:forklint-0.1.0.data/scripts/forklint"),
        config = Label("//:pyproject.toml"),
    )
    forklint_test = make_forklint_test(forklint)
    forklint_report = make_forklint_report(forklint)

- The aspect visits `py_library`, `py_binary` and `py_test` targets of the main repository and
  their `deps`. For each target with Python sources it runs `forklint summarize` on the target's
  own `srcs` and writes `<name>.flsum`; the `.py` sources of the visited deps are named with
  `--with`. It returns `ForklintInfo` with the bundles of the target and of all its deps.
- `forklint_test` runs `forklint check --summaries` on all the bundles of its `targets` (as a
  build action, so that its result is cached) and fails when forklint reports a finding.
- `forklint_report` writes the same report as a file (SARIF by default) and never fails on
  findings.

The full guide is docs/build-systems.md in forklint's repository:
https://github.com/forklint/forklint/blob/main/docs/build-systems.md
"""

ForklintInfo = provider(
    doc = "forklint summaries of a target and of everything it depends on.",
    fields = {
        "bundles": "depset of File: the .flsum bundles of the target and of its transitive deps.",
        "srcs": "depset of File: the Python sources those bundles summarise.",
        "forklint": "FilesToRunProvider: the forklint executable that made the bundles.",
        "settings_args": "list of string: the analysis options the bundles were made with " +
                         "(the link step must pass the same).",
        "settings_inputs": "depset of File: the files those options read (configuration, " +
                           "knowledge files, the file that marks the project root).",
    },
)

# Files that make a directory a project root for forklint (docs/import-time.md#module-names).
_ROOT_MARKERS = ["pyproject.toml", "setup.py", "setup.cfg"]

_FORMATS = {
    "text": "txt",
    "concise": "txt",
    "json": "json",
    "sarif": "sarif",
    "github": "txt",
}

def _dirname(path):
    return path.rpartition("/")[0]

def _project_root(ctx):
    """The directory module names are counted from.

    That is the directory of the configuration or data file named pyproject.toml, setup.py or
    setup.cfg nearest the workspace root.
    """
    markers = [
        f
        for f in [ctx.file._config] + ctx.files._data
        if f.is_source and f.basename in _ROOT_MARKERS
    ]
    if not markers:
        fail("forklint_aspect: neither `config` nor `data` holds a pyproject.toml, setup.py or " +
             "setup.cfg. One of them must: in the sandbox, it is what makes its directory the " +
             "project root that module names are counted from. Pass your root pyproject.toml " +
             "as `config`, or in `data` when `config` is a forklint.toml.")
    roots = sorted([_dirname(f.path) for f in markers], key = len)
    return roots[0]

def _in_project(package, root):
    return root == "" or package == root or package.startswith(root + "/")

def _settings(ctx, root):
    """The options that change summaries, in the form both steps pass them."""
    args = ["--config", ctx.file._config.path]
    for f in ctx.files._knowledge:
        args.extend(["--knowledge", f.path])
    if ctx.attr._target_version:
        args.extend(["--target-version", ctx.attr._target_version])
    if ctx.attr._platforms:
        args.extend(["--platform", ",".join(ctx.attr._platforms)])

    # Generated sources live under bazel-out/<configuration>/bin: name their modules from the
    # same directory there as the project root's.
    args.extend(["--src", ctx.bin_dir.path + ("/" + root if root else "")])
    return args

def _as_list(value):
    if value == None:
        return []
    if type(value) == "list":
        return value
    return [value]

def _forklint_aspect_impl(target, ctx):
    deps = [
        dep[ForklintInfo]
        for dep in _as_list(getattr(ctx.rule.attr, "deps", None))
        if ForklintInfo in dep
    ]
    dep_bundles = depset(transitive = [d.bundles for d in deps])
    dep_srcs = depset(transitive = [d.srcs for d in deps])

    root = _project_root(ctx)
    settings_args = _settings(ctx, root)
    settings_inputs = depset(
        [ctx.file._config] + ctx.files._data + ctx.files._knowledge,
    )
    forklint = ctx.attr._forklint[DefaultInfo].files_to_run

    srcs = []
    if (ctx.label.workspace_name == "" and
        ctx.rule.kind in ctx.attr._rule_kinds and
        "no-forklint" not in ctx.rule.attr.tags and
        _in_project(ctx.label.package, root)):
        srcs = [
            f
            for f in _as_list(getattr(ctx.rule.files, "srcs", None))
            if f.extension == "py"
        ]

    bundles = []
    if srcs:
        bundle = ctx.actions.declare_file(ctx.label.name + ".flsum")
        args = ctx.actions.args()
        args.add("summarize")
        args.add_all(settings_args)
        args.add_all(srcs)
        args.add("-o", bundle)

        # `summarize` uses only the module names of the deps' sources, never their text, so the
        # bundle does not change when a dep's code does. They are inputs all the same, because
        # forklint looks each one up on disk.
        args.add_all(dep_srcs, before_each = "--with")
        ctx.actions.run(
            executable = forklint,
            arguments = [args],
            inputs = depset(srcs, transitive = [dep_srcs, settings_inputs]),
            outputs = [bundle],
            mnemonic = "ForklintSummarize",
            progress_message = "Summarising %{label} for forklint",
        )
        bundles.append(bundle)

    all_bundles = depset(bundles, transitive = [dep_bundles])
    return [
        ForklintInfo(
            bundles = all_bundles,
            srcs = depset(srcs, transitive = [dep_srcs]),
            forklint = forklint,
            settings_args = settings_args,
            settings_inputs = settings_inputs,
        ),
        OutputGroupInfo(forklint_bundles = all_bundles),
    ]

def forklint_aspect(
        binary,
        config,
        data = [],
        knowledge = [],
        target_version = "",
        platforms = [],
        rule_kinds = ["py_binary", "py_library", "py_test"]):
    """Creates the forklint aspect. Assign the result to a global in a .bzl file.

    Args:
        binary: the forklint executable (a label; see docs/build-systems.md for ways to get one).
        config: the forklint configuration, passed with `--config`: the `pyproject.toml` at the
            root of your Python code (with or without a `[tool.forklint]` table), or a
            `forklint.toml` / `.forklint.toml`.
        data: other files the configuration needs: knowledge files it lists under `knowledge`,
            and, when `config` is not a `pyproject.toml`, the `pyproject.toml` beside it (it marks
            the project root).
        knowledge: extra knowledge-base files, each passed with `--knowledge`.
        target_version: `--target-version` (for example "py312"); empty to use the configuration.
        platforms: `--platform` values (for example ["linux", "macos"]); empty to use the
            configuration.
        rule_kinds: the kinds of rules whose `srcs` are summarised; other targets only pass on
            the summaries of their `deps`.

    Returns:
        The aspect.
    """
    return aspect(
        implementation = _forklint_aspect_impl,
        attr_aspects = ["deps"],
        attrs = {
            "_forklint": attr.label(
                default = binary,
                executable = True,
                cfg = "exec",
                allow_files = True,
            ),
            "_config": attr.label(default = config, allow_single_file = True),
            "_data": attr.label_list(default = data, allow_files = True),
            "_knowledge": attr.label_list(default = knowledge, allow_files = True),
            "_target_version": attr.string(default = target_version),
            "_platforms": attr.string_list(default = platforms),
            "_rule_kinds": attr.string_list(default = rule_kinds),
        },
        doc = "Summarises the Python sources of each target for forklint (`forklint summarize`).",
    )

def _linked(ctx):
    infos = [t[ForklintInfo] for t in ctx.attr.targets if ForklintInfo in t]
    if not infos:
        fail("`targets` must list Python targets the forklint aspect visits.")
    first = infos[0]
    return struct(
        bundles = depset(transitive = [i.bundles for i in infos]),
        srcs = depset(transitive = [i.srcs for i in infos]),
        forklint = first.forklint,
        settings_args = first.settings_args,
        settings_inputs = first.settings_inputs,
    )

def _check_args(ctx, linked, output_format):
    args = ctx.actions.args()
    args.add("check")
    args.add_all(linked.settings_args)

    # A Bazel action writes only its declared outputs: no `.forklint_cache/` in the execroot.
    args.add("--no-cache")
    args.add("--output-format", output_format)
    args.add_all(ctx.attr.options)
    args.add_all(linked.bundles, before_each = "--summaries")
    return args

def _check_inputs(linked):
    # The sources are inputs too: forklint reads them to quote the lines of a finding, and to
    # summarise a file again when a bundle's assumptions do not hold for the linked set.
    return depset(transitive = [linked.bundles, linked.srcs, linked.settings_inputs])

# Records forklint's exit code (0: clean, 1: findings) for the test to return; any other code
# (2: a usage or configuration error, a bundle that is not one) fails the build.
_CHECK_AND_RECORD = """\
forklint="$1"; report="$2"; exit_code="$3"; shift 3
"$forklint" "$@" > "$report"
code=$?
case "$code" in
  0|1) echo "$code" > "$exit_code" ;;
  *) exit "$code" ;;
esac
"""

def _forklint_test_impl(ctx):
    linked = _linked(ctx)
    suffix = _FORMATS[ctx.attr.output_format]
    report = ctx.actions.declare_file(ctx.label.name + ".forklint." + suffix)
    exit_code = ctx.actions.declare_file(ctx.label.name + ".forklint.exit_code")

    if linked.bundles:
        args = ctx.actions.args()
        args.add(linked.forklint.executable)
        args.add(report)
        args.add(exit_code)
        ctx.actions.run_shell(
            command = _CHECK_AND_RECORD,
            arguments = [args, _check_args(ctx, linked, ctx.attr.output_format)],
            inputs = _check_inputs(linked),
            outputs = [report, exit_code],
            tools = [linked.forklint],
            mnemonic = "ForklintCheck",
            progress_message = "Checking %{label} with forklint",
        )
    else:
        ctx.actions.write(report, "forklint: no Python sources to check.\n")
        ctx.actions.write(exit_code, "0\n")

    # The test itself only shows the report and returns forklint's exit code.
    script = ctx.actions.declare_file(ctx.label.name + ".forklint_test.sh")
    ctx.actions.write(
        output = script,
        content = "#!/bin/sh\ncat '{report}'\nexit \"$(cat '{exit_code}')\"\n".format(
            report = report.short_path,
            exit_code = exit_code.short_path,
        ),
        is_executable = True,
    )
    return [
        DefaultInfo(
            executable = script,
            runfiles = ctx.runfiles(files = [report, exit_code]),
        ),
        OutputGroupInfo(forklint_report = depset([report])),
    ]

def _forklint_report_impl(ctx):
    linked = _linked(ctx)
    suffix = _FORMATS[ctx.attr.output_format]
    report = ctx.actions.declare_file(ctx.label.name + "." + suffix)
    if not linked.bundles:
        fail("`targets` have no Python sources for forklint to check.")
    args = _check_args(ctx, linked, ctx.attr.output_format)
    args.add("--exit-zero")
    args.add("--output-file", report)
    ctx.actions.run(
        executable = linked.forklint,
        arguments = [args],
        inputs = _check_inputs(linked),
        outputs = [report],
        mnemonic = "ForklintReport",
        progress_message = "Writing the forklint report of %{label}",
    )
    return [DefaultInfo(files = depset([report]))]

def _link_attrs(aspect, default_format):
    return {
        "targets": attr.label_list(
            aspects = [aspect],
            mandatory = True,
            doc = "The programs to check: py_binary or py_test targets (or libraries). Their " +
                  "transitive deps are linked together, as one program.",
        ),
        "options": attr.string_list(
            doc = "More `forklint check` options: rule selection (`--select`, `--ignore`, ...), " +
                  "`--show-info`, `--statistics`. Not the options that change summaries " +
                  "(`--config`, `--src`, `--knowledge`, `--target-version`, `--platform`): " +
                  "those are given to forklint_aspect.",
        ),
        "output_format": attr.string(
            default = default_format,
            values = _FORMATS.keys(),
            doc = "`--output-format`.",
        ),
    }

def make_forklint_test(aspect):
    """Creates the `forklint_test` rule for an aspect made by `forklint_aspect`.

    Args:
        aspect: the forklint aspect.

    Returns:
        A test rule: it passes when forklint finds nothing in its `targets`.
    """
    return rule(
        implementation = _forklint_test_impl,
        attrs = _link_attrs(aspect, "text"),
        test = True,
        doc = "Links the forklint summaries of `targets` and fails on findings.",
    )

def make_forklint_report(aspect):
    """Creates the `forklint_report` rule for an aspect made by `forklint_aspect`.

    Args:
        aspect: the forklint aspect.

    Returns:
        A rule that writes `<name>.sarif` (or `.json`, `.txt`) and never fails on findings.
    """
    return rule(
        implementation = _forklint_report_impl,
        attrs = _link_attrs(aspect, "sarif"),
        doc = "Links the forklint summaries of `targets` and writes the report to a file.",
    )
