"""The forklint aspect and rules of this workspace (an example: adapt the labels).

Put this file at `tools/lint/linters.bzl`, beside `forklint.bzl`, and an empty
`tools/lint/BUILD.bazel`. Then:

    bazel build //... --aspects=//tools/lint:linters.bzl%forklint --output_groups=forklint_bundles
    bazel test //...        # runs the forklint_test targets

See docs/build-systems.md in forklint's repository.
"""

load("@rules_python//python:defs.bzl", "py_binary", "py_test")
load(":forklint.bzl", "forklint_aspect", "make_forklint_report", "make_forklint_test")

forklint = forklint_aspect(
    # The executable from the wheel fetched in MODULE.bazel (see MODULE.bazel.example).
    binary = Label("@forklint//:forklint-0.1.0.data/scripts/forklint"),
    # The workspace's root pyproject.toml: the settings under [tool.forklint], if any, and the
    # file that makes the workspace root the root of module names. The root BUILD.bazel must
    # export it: exports_files(["pyproject.toml"]).
    config = Label("//:pyproject.toml"),
    # Options that change summaries can be set here (or in the configuration), for example:
    # target_version = "py312",
    # platforms = ["linux", "macos"],
    # knowledge = [Label("//tools/lint:forklint-knowledge.toml")],
)

forklint_test = make_forklint_test(forklint)

forklint_report = make_forklint_report(forklint)

def py_binary_checked(name, **kwargs):
    """A py_binary, and a forklint_test `<name>_forklint` of it."""
    py_binary(name = name, **kwargs)
    forklint_test(
        name = name + "_forklint",
        targets = [name],
        tags = kwargs.get("tags", []),
        visibility = kwargs.get("visibility"),
    )

def py_test_checked(name, **kwargs):
    """A py_test, and a forklint_test `<name>_forklint` of it."""
    py_test(name = name, **kwargs)
    forklint_test(
        name = name + "_forklint",
        targets = [name],
        tags = kwargs.get("tags", []),
        visibility = kwargs.get("visibility"),
    )
