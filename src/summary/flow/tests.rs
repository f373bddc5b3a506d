//! Lowering snippets and checking the IR.

use super::*;

fn lowered(src: &str) -> ModuleFlow {
    let parsed = ruff_python_parser::parse_module(src).expect("valid test source");
    lower(&parsed.syntax().body, "main", false)
}

fn qualnames(flow: &ModuleFlow) -> Vec<&str> {
    flow.scopes.iter().map(|s| s.qualname.as_str()).collect()
}

#[test]
fn scopes_are_named_as_a_call_graph_names_them() {
    let flow = lowered(
        "def f():\n    def g(): pass\n    return lambda: g\nclass C:\n    def m(self): pass\nx = lambda: 1\n",
    );
    assert_eq!(
        qualnames(&flow),
        ["", "f", "f.g", "f.<lambda1>", "C", "C.m", "<lambda1>"]
    );
}

#[test]
fn a_name_assigned_in_a_function_is_local_to_it_throughout() {
    let flow =
        lowered("x = 1\ndef f():\n    y = x\n    x = 2\ndef g():\n    global x\n    x = y\n");
    let x = flow.names.iter().position(|n| n == "x").unwrap() as NameId;
    let f = &flow.scopes[1];
    // `y = x` in f reads f's own x (unbound at that point in Python, but never the global).
    assert!(f.ops.contains(&Op::Copy {
        dst: Var::Local {
            scope: 1,
            name: flow.names.iter().position(|n| n == "y").unwrap() as NameId
        },
        src: Var::Local { scope: 1, name: x }
    }));
    // `global x` in g binds the module's x; `y` is neither g's nor the module's.
    let g = &flow.scopes[2];
    let y = flow.names.iter().position(|n| n == "y").unwrap() as NameId;
    assert!(g.ops.contains(&Op::Copy {
        dst: Var::Local { scope: 0, name: x },
        src: Var::Free(y)
    }));
}

#[test]
fn nested_functions_skip_class_bodies_and_comprehension_targets_stay_private() {
    let flow = lowered(
        "class C:\n    t = 1\n    def m(self):\n        return t\nfs = [t for t in range(3)]\n",
    );
    let t = flow.names.iter().position(|n| n == "t").unwrap() as NameId;
    let m = &flow.scopes[2];
    assert!(m.ops.contains(&Op::Copy {
        dst: Var::Ret(2),
        src: Var::Free(t)
    }));
    // The comprehension does not bind the module's `t`.
    assert!(!flow.module_names.contains(&t));
}

#[test]
fn relative_imports_are_made_absolute() {
    let parsed =
        ruff_python_parser::parse_module("from . import a\nfrom ..b import c\n").expect("valid");
    let flow = lower(&parsed.syntax().body, "pkg.sub.mod", false);
    let modules: Vec<&str> = flow.scopes[0]
        .ops
        .iter()
        .filter_map(|op| match op {
            Op::ImportFrom { module, .. } => Some(flow.name(*module)),
            _ => None,
        })
        .collect();
    assert_eq!(modules, ["pkg.sub", "pkg.b"]);
    let parsed = ruff_python_parser::parse_module("from . import a\n").expect("valid");
    let flow = lower(&parsed.syntax().body, "pkg", true);
    assert!(
        flow.scopes[0]
            .ops
            .iter()
            .any(|op| matches!(op, Op::ImportFrom { module, .. } if flow.name(*module) == "pkg"))
    );
}

#[test]
fn decorators_are_calls_on_the_function_and_builtins_set_the_binding() {
    let flow = lowered(
        "def dec(f): return f\nclass C:\n    @staticmethod\n    def s(): pass\n    @property\n    def p(self): pass\n@dec\ndef g(): pass\n",
    );
    assert_eq!(flow.scopes[3].binding, Binding::Static);
    assert_eq!(flow.scopes[4].binding, Binding::Property);
    let calls = flow.scopes[0]
        .ops
        .iter()
        .filter(|op| matches!(op, Op::Call { .. }))
        .count();
    assert_eq!(calls, 1, "only @dec is a call");
}
