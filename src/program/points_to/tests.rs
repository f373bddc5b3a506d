//! Multi-module snippets solved, and their call graphs.

use std::collections::{BTreeMap, BTreeSet};

use super::builtins::BUILTINS;
use super::*;
use crate::diagnostic::FileId;
use crate::summary::flow::lower;

/// Solves `files` (module name, source) and returns the call graph.
fn graph(files: &[(&str, &str)]) -> BTreeMap<String, BTreeSet<String>> {
    solved(files).call_graph()
}

/// Solves `files` and returns the analysis itself.
fn solved(files: &[(&str, &str)]) -> PointsTo {
    solved_with(files, &Library::default())
}

/// Solves `files` with what the knowledge base says of libraries.
fn solved_with(files: &[(&str, &str)], library: &Library<'_>) -> PointsTo {
    let flows: Vec<(String, ModuleFlow)> = files
        .iter()
        .map(|(name, src)| {
            let parsed = ruff_python_parser::parse_module(src).expect("valid test source");
            (name.to_string(), lower(&parsed.syntax().body, name, false))
        })
        .collect();
    let modules: Vec<FlowModule<'_>> = flows
        .iter()
        .enumerate()
        .map(|(i, (name, flow))| FlowModule {
            file: FileId(i as u32),
            module: name,
            flow,
        })
        .collect();
    PointsTo::solve(&modules, library)
}

fn callees<'g>(g: &'g BTreeMap<String, BTreeSet<String>>, f: &str) -> Vec<&'g str> {
    g.get(f)
        .map(|s| s.iter().map(String::as_str).collect())
        .unwrap_or_default()
}

#[test]
fn a_module_without_flow_is_skipped() {
    // A file with a syntax error, or a native source, has an empty flow.
    let empty = ModuleFlow::default();
    let modules = [FlowModule {
        file: FileId(0),
        module: "broken",
        flow: &empty,
    }];
    assert!(
        PointsTo::solve(&modules, &Library::default())
            .call_graph()
            .is_empty()
    );
}

#[test]
fn builtins_are_sorted_for_binary_search() {
    assert!(BUILTINS.windows(2).all(|w| w[0] < w[1]));
}

#[test]
fn a_function_passed_as_an_argument_is_called_through_the_parameter() {
    let g = graph(&[(
        "main",
        "def run(cb):\n    cb()\ndef work(): pass\ndef other(): pass\nrun(work)\nother\n",
    )]);
    assert_eq!(callees(&g, "main.run"), ["main.work"]);
}

#[test]
fn an_attribute_set_in_init_is_read_in_another_method() {
    let g = graph(&[(
        "main",
        "import threading\nclass S:\n    def __init__(self):\n        self._t = threading.Thread()\n    def stop(self):\n        self._t.join()\nS().stop()\n",
    )]);
    assert_eq!(callees(&g, "main.S.stop"), ["threading.Thread.join"]);
    assert_eq!(callees(&g, "main"), ["main.S.__init__", "main.S.stop"]);
}

#[test]
fn objects_flow_through_containers_returns_and_conditionals() {
    let g = graph(&[(
        "main",
        "def a(): pass\ndef b(): pass\ndef pick(c):\n    return a if c else b\nfs = []\nfs.append(pick(1))\nfor f in fs:\n    f()\n",
    )]);
    // `fs.append` is a call too, of a builtin type's method.
    assert_eq!(
        callees(&g, "main"),
        ["<**PyList**>.append", "main.a", "main.b", "main.pick"]
    );
}

#[test]
fn a_name_holds_its_last_value_in_straight_code_and_every_branch_value_after_an_if() {
    let g = graph(&[(
        "main",
        "def a(): pass\ndef b(): pass\ndef c(): pass\nf = a\nf = b\nf()\nif x:\n    g = a\nelse:\n    g = c\ng()\n",
    )]);
    assert_eq!(callees(&g, "main"), ["main.a", "main.b", "main.c"]);
    let g = graph(&[(
        "main",
        "def a(): pass\ndef b(): pass\ndef run():\n    f = a\n    f()\n    f = b\n",
    )]);
    assert_eq!(callees(&g, "main.run"), ["main.a"]);
}

#[test]
fn a_loop_or_a_global_declaration_keeps_every_value() {
    // The second iteration calls what the first assigned.
    let g = graph(&[(
        "main",
        "def a(): pass\ndef b(): pass\nf = a\nfor i in range(2):\n    f()\n    f = b\n",
    )]);
    assert_eq!(callees(&g, "main"), ["<builtin>.range", "main.a", "main.b"]);
    // `set_f()` assigns the module's `f`: the call after it may run either.
    let g = graph(&[(
        "main",
        "def a(): pass\ndef b(): pass\nf = a\ndef set_f():\n    global f\n    f = b\nset_f()\nf()\n",
    )]);
    assert_eq!(callees(&g, "main"), ["main.a", "main.b", "main.set_f"]);
}

#[test]
fn positions_keys_slices_and_integer_variables_select_elements() {
    let g = graph(&[(
        "main",
        "def a(): pass\ndef b(): pass\ndef c(): pass\nxs = [a, b, c]\nxs[1:][0]()\ni = 2\nxs[i]()\nd = {1: a, '1': b}\nd[1]()\n",
    )]);
    assert_eq!(callees(&g, "main"), ["main.a", "main.b", "main.c"]);
    let g = graph(&[(
        "main",
        "def a(): pass\ndef b(): pass\nxs = [a, b]\nxs[0]()\n",
    )]);
    assert_eq!(callees(&g, "main"), ["main.a"]);
    // An index nothing is known of: any element.
    let g = graph(&[(
        "main",
        "def a(): pass\ndef b(): pass\nxs = [a, b]\nxs[int(input())]()\n",
    )]);
    assert_eq!(
        callees(&g, "main"),
        ["<builtin>.input", "<builtin>.int", "main.a", "main.b"]
    );
}

#[test]
fn imports_resolve_to_the_other_modules_functions_and_unknown_modules_by_name() {
    let g = graph(&[
        (
            "main",
            "from pkg.util import start\nimport os\nstart()\nos.fork()\n",
        ),
        ("pkg.util", "def start(): pass\n"),
    ]);
    assert_eq!(callees(&g, "main"), ["os.fork", "pkg.util.start"]);
}

#[test]
fn methods_are_found_through_base_classes_and_super() {
    let g = graph(&[(
        "main",
        "class A:\n    def __init__(self): pass\n    def run(self): pass\nclass B(A):\n    def __init__(self):\n        super().__init__()\nB().run()\n",
    )]);
    assert_eq!(callees(&g, "main"), ["main.A.run", "main.B.__init__"]);
    assert_eq!(
        callees(&g, "main.B.__init__"),
        ["<builtin>.super", "main.A.__init__"]
    );
}

#[test]
fn a_decorator_runs_on_the_function_and_its_result_is_what_the_name_holds() {
    let g = graph(&[(
        "main",
        "def wrap(f):\n    def inner():\n        f()\n    return inner\n@wrap\ndef job(): pass\njob()\n",
    )]);
    assert_eq!(callees(&g, "main"), ["main.wrap", "main.wrap.inner"]);
    assert_eq!(callees(&g, "main.wrap.inner"), ["main.job"]);
}

#[test]
fn a_property_read_runs_its_getter() {
    let g = graph(&[(
        "main",
        "def make(): pass\nclass C:\n    @property\n    def sender(self):\n        return make()\nC().sender\n",
    )]);
    assert_eq!(callees(&g, "main"), ["main.C.sender"]);
    assert_eq!(callees(&g, "main.C.sender"), ["main.make"]);
}

/// The range of the first occurrence of `text` in `src`.
fn range_of(src: &str, text: &str) -> TextRange {
    let start = src.find(text).expect("text in source") as u32;
    TextRange::new(start.into(), (start + text.len() as u32).into())
}

#[test]
fn a_string_used_as_a_key_selects_that_key() {
    let g = graph(&[(
        "m",
        "def a(): pass\ndef b(): pass\ntable = {'x': a, 'y': b}\nk = 'x'\ntable[k]()\n",
    )]);
    assert_eq!(callees(&g, "m"), ["m.a"]);
}

#[test]
fn strings_that_are_neither_a_key_nor_a_start_method_are_one_object() {
    let src = "def f(s):\n    return s\nf('alpha')\nf('beta')\nr = f('gamma')\n";
    let pt = solved(&[("m", src)]);
    let r = pt.results(FileId(0), range_of(src, "f('gamma')"));
    assert_eq!(r.len(), 1, "one string object, whatever the literals");
    assert_eq!(pt.object(r[0]), &Obj::Str(None));
}

#[test]
fn a_solution_past_its_budget_is_dropped_and_says_so() {
    let src = "def a(): pass\ndef b(): a()\nb()\n";
    let parsed = ruff_python_parser::parse_module(src).expect("valid test source");
    let flow = lower(&parsed.syntax().body, "m", false);
    let modules = [FlowModule {
        file: FileId(0),
        module: "m",
        flow: &flow,
    }];
    let whole = PointsTo::solve(&modules, &Library::default());
    assert_eq!(whole.exhausted(), None);
    assert!(!whole.call_graph().is_empty());
    // A budget smaller than the program: no partial answers, and the work is reported.
    let cut = PointsTo::solve_within(&modules, &Library::default(), 2);
    assert!(cut.exhausted().is_some_and(|w| w > 2));
    assert!(cut.call_graph().is_empty());
}

#[test]
fn a_variable_past_the_cap_answers_not_known() {
    // 70 functions pass through one parameter: the variable stops growing at 64 objects,
    // and the result of a call through it is "not known", not 64 of the 70.
    let mut src = String::from("def pick(x):\n    return x\n");
    for i in 0..70 {
        src.push_str(&format!("def f{i}(): pass\npick(f{i})\n"));
    }
    src.push_str("last = pick(f0)\n");
    let pt = solved(&[("m", &src)]);
    let range = range_of(&src, "pick(f0)\n");
    let range = TextRange::new(
        range.start(),
        range.end() - ruff_text_size::TextSize::from(1),
    );
    // `pick(f0)` first appears as the statement `pick(f0)`; both calls share the saturated
    // return value.
    assert!(pt.results(FileId(0), range).is_empty());
    // Below the cap, the same question has an answer.
    let small = "def pick(x):\n    return x\ndef f0(): pass\nr = pick(f0)\n";
    let pt = solved(&[("m", small)]);
    assert_eq!(pt.results(FileId(0), range_of(small, "pick(f0)")).len(), 1);
}

#[test]
fn a_container_made_by_a_call_holds_what_is_put_in_it() {
    let g = graph(&[(
        "m",
        "import collections\ndef a(): pass\ndef b(): pass\ndef c(): pass\n\
         fs = list([a])\nfor f in fs: f()\n\
         s = set()\ns.add(b)\nfor g in s: g()\n\
         q = collections.deque()\nq.append(c)\nq.popleft()()\n",
    )]);
    let called = callees(&g, "m");
    for f in ["m.a", "m.b", "m.c"] {
        assert!(called.contains(&f), "{f} not in {called:?}");
    }
}

#[test]
fn a_dict_keeps_its_keys_apart_from_its_values() {
    // `d[k] = v`, `{k: v}` and `{k: v for …}` with keys that are objects: iterating the dict
    // gives its keys, `values()` its values only, `items()` pairs with the key first.
    let g = graph(&[(
        "m",
        "def k(): pass\ndef v(): pass\ndef w(): pass\ndef x(): pass\n\
         d = {}\nd[k] = v\n\
         def keys():\n    for f in d: f()\n\
         def values():\n    for f in d.values(): f()\n\
         def first():\n    for a, b in list(d.items()): a()\n\
         def second():\n    for a, b in d.items(): b()\n\
         def popped():\n    key, _ = d.popitem()\n    key()\n\
         e = {w: None}\nc = {f: None for f in [x]}\n\
         def display():\n    for f in e: f()\n\
         def comprehension():\n    for f in c.keys(): f()\n",
    )]);
    // The project functions each one calls (builtin methods such as `dict.items` aside).
    let project = |f: &str| -> Vec<String> {
        callees(&g, f)
            .into_iter()
            .filter(|c| c.starts_with("m."))
            .map(String::from)
            .collect()
    };
    assert!(project("m.keys").contains(&"m.k".to_string()));
    assert_eq!(project("m.values"), ["m.v"]);
    assert_eq!(project("m.first"), ["m.k"]);
    assert_eq!(project("m.second"), ["m.v"]);
    assert_eq!(project("m.popped"), ["m.k"]);
    assert_eq!(project("m.display"), ["m.w"]);
    assert_eq!(project("m.comprehension"), ["m.x"]);
}

#[test]
fn calling_a_weak_reference_gives_its_referent() {
    let g = graph(&[(
        "m",
        "import weakref\ndef a(): pass\ndef b(): pass\n\
         def via_ref():\n    r = weakref.ref(a)\n    r()()\n\
         def via_proxy():\n    weakref.proxy(b)()\n",
    )]);
    let project = |f: &str| -> Vec<&str> {
        callees(&g, f)
            .into_iter()
            .filter(|c| c.starts_with("m."))
            .collect()
    };
    assert_eq!(project("m.via_ref"), ["m.a"]);
    assert_eq!(project("m.via_proxy"), ["m.b"]);
}

#[test]
fn an_attribute_a_library_base_class_sets_is_one_container() {
    // `self._threads` is made by the library's `__init__`: what one method adds to it is
    // what another iterates.
    let lib = Library {
        classes: vec!["concurrent.futures.ThreadPoolExecutor"],
        ..Library::default()
    };
    let src = "from concurrent import futures\ndef work(): pass\n\
               class P(futures.ThreadPoolExecutor):\n\
               \x20   def grow(self):\n        self._threads.add(work)\n\
               \x20   def run_all(self):\n        for f in self._threads:\n            f()\n";
    let g = solved_with(&[("m", src)], &lib).call_graph();
    assert!(callees(&g, "m.P.run_all").contains(&"m.work"));
}

/// `loop.run_in_executor(None, sandbox.run)` inside `offload(loop, sandbox)`, called with a
/// `Sandbox()`: the callable at position 1 is `Sandbox.run` bound to that instance.
#[test]
fn arguments_follow_a_parameter_to_its_method() {
    let src = "class Sandbox:\n    def run(self):\n        pass\n\n\
               def offload(loop, sandbox):\n    loop.run_in_executor(None, sandbox.run)\n\n\
               offload(object(), Sandbox())\n";
    let pt = solved(&[("app", src)]);
    let range = range_of(src, "loop.run_in_executor(None, sandbox.run)");
    let named = |objs: Vec<ObjId>| -> Vec<String> {
        objs.iter()
            .filter_map(|&o| match pt.object(o) {
                Obj::Bound { func, .. } => match pt.object(*func) {
                    Obj::Function(f, s) => Some(pt.scope_name(*f, *s)),
                    _ => None,
                },
                _ => None,
            })
            .collect()
    };
    assert_eq!(
        named(pt.arguments(FileId(0), range, Some(1), Some("func"))),
        vec!["app.Sandbox.run".to_string()]
    );
    // Position 0 holds `None`, which the flow does not follow; past the end, nothing.
    assert!(named(pt.arguments(FileId(0), range, Some(0), None)).is_empty());
    assert!(pt.arguments(FileId(0), range, Some(5), None).is_empty());
    // A range where no call is written.
    assert!(
        pt.arguments(FileId(0), TextRange::default(), Some(1), None)
            .is_empty()
    );
}

#[test]
fn a_library_call_calls_its_target_with_its_own_arguments() {
    // Each handler calls what its parameters hold: the graph shows which objects reached
    // them. `threading.Thread` passes `args` and `kwargs`; `atexit.register` its own
    // arguments after the target, keywords included.
    let src = "import atexit\nimport threading\n\
               def a(): pass\ndef b(): pass\ndef c(): pass\ndef d(): pass\n\
               def worker(first, second, named=None):\n    first()\n    named()\n\
               def handler(x, key=None):\n    x()\n    key()\n\
               threading.Thread(target=worker, args=(a, b), kwargs={'named': c})\n\
               atexit.register(handler, d, key=a)\n";
    let at = |_what: &str, position: usize, keyword: Option<&str>| ArgAt {
        position: Some(position),
        keyword: keyword.map(str::to_string),
    };
    let library = Library {
        callbacks: vec![
            (
                "threading.Thread",
                Callback {
                    target: at("target", 1, Some("target")),
                    args: Some(at("args", 3, Some("args"))),
                    kwargs: Some(at("kwargs", 4, Some("kwargs"))),
                    rest: false,
                },
            ),
            (
                "atexit.register",
                Callback {
                    target: at("func", 0, None),
                    rest: true,
                    ..Callback::default()
                },
            ),
        ],
        ..Library::default()
    };
    let g = solved_with(&[("m", src)], &library).call_graph();
    // `first` is position 0 of the args tuple: `a`, not `b`.
    assert_eq!(callees(&g, "m.worker"), ["m.a", "m.c"]);
    assert_eq!(callees(&g, "m.handler"), ["m.a", "m.d"]);
    // The module hands them over; it does not call them (a thread or the exit does).
    let module = callees(&g, "m");
    assert!(
        !module.contains(&"m.worker") && !module.contains(&"m.handler"),
        "{module:?}"
    );
    // Without the knowledge, nothing reaches the parameters.
    let g = graph(&[("m", src)]);
    assert!(callees(&g, "m.worker").is_empty());
}
