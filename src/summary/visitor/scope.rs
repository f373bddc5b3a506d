//! Names and what they denote: the scope stack with Python's visibility rules (class
//! scopes, `global`, star imports), assignment targets, the qualified-name prefix of nested
//! definitions, and the project's module set that decides what an unbound name can be.

use ruff_python_ast::Expr;
use rustc_hash::{FxHashMap as HashMap, FxHashSet as HashSet};

use crate::knowledge::Knowledge;
use crate::settings::{Platform, PythonVersion};
use crate::summary::{SharedName, Value, last_dot};

use super::ModuleVisitor;

/// Longest qualified-name prefix built for nested definitions. `lambda: lambda: …` would
/// otherwise cost quadratic memory (each level repeats its parents' names); past this, nested
/// definitions keep their parent's prefix.
const MAX_QUAL_PREFIX: usize = 512;

/// The names every module can see.
///
/// What a summary makes of an import or a call depends on which modules the project has
/// (`import util` beside the file, a call into project code kept or dropped). Every such
/// question is asked through [`ProjectIndex::is_module`], [`ProjectIndex::is_package`] or
/// [`ProjectIndex::in_project`], which note the answer: the summary carries them as its
/// [`Assumption`]s, and a stored summary is reused only where they still hold
/// ([`ProjectIndex::confirms`]). The rest of what a summary depends on (the file, its module
/// name, the settings and the knowledge base) is its cache key.
pub struct ProjectIndex<'a> {
    modules: &'a HashSet<String>,
    /// Every module name and every package above one (`a`, `a.b` for `a.b.c`), so namespace
    /// packages without `__init__.py` count as packages.
    packages: &'a HashSet<String>,
    pub knowledge: &'a Knowledge,
    /// The configured platforms: tests of `sys.platform` and the like are evaluated on them.
    pub platforms: &'a [Platform],
    /// The configured target versions (oldest first, never empty): tests of
    /// `sys.version_info` are evaluated on them.
    pub versions: &'a [PythonVersion],
    /// The module names of the directories given on the command line (see
    /// [`crate::settings::Settings::import_prefixes`]).
    pub import_prefixes: &'a [String],
    /// The questions asked about the module set so far, with their answers.
    /// by [`Query`] (its index).
    asked: std::cell::RefCell<[HashMap<Box<str>, bool>; 3]>,
}

/// A question a summary asked about the project's module set.
#[derive(
    Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord, serde::Serialize, serde::Deserialize,
)]
pub enum Query {
    /// Is this a module of the project?
    Module,
    /// Is this a module or a package (with or without `__init__.py`) of the project?
    Package,
    /// Is this name, or a dotted prefix of it, a module of the project?
    InProject,
}

/// One answer a summary depends on: `query(name) == holds`.
#[derive(Clone, Debug, PartialEq, Eq, PartialOrd, Ord, serde::Serialize, serde::Deserialize)]
pub struct Assumption {
    pub query: Query,
    pub name: Box<str>,
    pub holds: bool,
}

impl<'a> ProjectIndex<'a> {
    pub fn new(
        modules: &'a HashSet<String>,
        packages: &'a HashSet<String>,
        knowledge: &'a Knowledge,
        platforms: &'a [Platform],
        versions: &'a [PythonVersion],
        import_prefixes: &'a [String],
    ) -> Self {
        ProjectIndex {
            modules,
            packages,
            knowledge,
            platforms,
            versions,
            import_prefixes,
            asked: Default::default(),
        }
    }

    /// Builds the set of [`ProjectIndex::packages`] from module names.
    pub fn packages_of(modules: &HashSet<String>) -> HashSet<String> {
        let mut out = HashSet::default();
        for m in modules {
            out.insert(m.clone());
            for (i, _) in m.match_indices('.') {
                out.insert(m[..i].to_string());
            }
        }
        out
    }

    fn answer(&self, query: Query, name: &str) -> bool {
        match query {
            Query::Module => self.modules.contains(name),
            Query::Package => self.packages.contains(name),
            Query::InProject => {
                let mut end = name.len();
                loop {
                    if self.modules.contains(&name[..end]) {
                        return true;
                    }
                    match last_dot(&name[..end]) {
                        Some(i) => end = i,
                        None => return false,
                    }
                }
            }
        }
    }

    fn ask(&self, query: Query, name: &str) -> bool {
        let holds = self.answer(query, name);
        let asked = &mut self.asked.borrow_mut()[query as usize];
        // Looked up before inserting: most questions are asked many times in a file.
        if !asked.contains_key(name) {
            asked.insert(Box::from(name), holds);
        }
        holds
    }

    /// Whether `name` is a module of the project.
    pub fn is_module(&self, name: &str) -> bool {
        self.ask(Query::Module, name)
    }

    /// Whether `name` is a module or package of the project.
    pub fn is_package(&self, name: &str) -> bool {
        self.ask(Query::Package, name)
    }

    /// Whether `name` or a prefix of it is a module of the project.
    pub fn in_project(&self, name: &str) -> bool {
        self.ask(Query::InProject, name)
    }

    /// The answers noted since the last call, sorted (and forgotten here).
    pub fn take_assumptions(&self) -> Vec<Assumption> {
        let [module, package, in_project] = self.asked.take();
        let mut out: Vec<Assumption> = [
            (Query::Module, module),
            (Query::Package, package),
            (Query::InProject, in_project),
        ]
        .into_iter()
        .flat_map(|(query, asked)| {
            asked
                .into_iter()
                .map(move |(name, holds)| Assumption { query, name, holds })
        })
        .collect();
        out.sort_unstable();
        out
    }

    /// Whether every answer a summary was made with is still the answer for this project
    /// (asking again notes nothing).
    pub fn confirms(&self, assumptions: &[Assumption]) -> bool {
        assumptions
            .iter()
            .all(|a| self.answer(a.query, &a.name) == a.holds)
    }
}

/// Bindings of one scope. Keys borrow from the AST (which outlives the walk), so binding a
/// name or a parameter allocates nothing.
#[derive(Default)]
pub(super) struct Scope<'a> {
    pub(super) names: HashMap<&'a str, Value>,
    pub(super) is_class: bool,
    /// Names a function declares `global`: assigning them binds the module's name.
    pub(super) globals: Vec<&'a str>,
}

/// Qualified-name prefix of what is being defined (`C.`, `f.<locals>.`). Inside a function
/// `f` it is `base` + `f.<locals>.`, but that string is built only when a nested definition
/// needs it: most functions define nothing inside.
#[derive(Clone)]
pub(super) struct QualPrefix<'a> {
    pub(super) base: SharedName,
    pub(super) locals_of: Option<&'a str>,
}

impl QualPrefix<'_> {
    /// The prefix as a string, built (once) if it was deferred. Past [`MAX_QUAL_PREFIX`]
    /// nested definitions keep their parent's prefix.
    pub(super) fn get(&mut self) -> SharedName {
        if let Some(name) = self.locals_of.take()
            && self.base.len() + name.len() <= MAX_QUAL_PREFIX
        {
            self.base = concat([&self.base, name, ".<locals>."]);
        }
        self.base.clone()
    }
}

/// The strings joined, as one shared string: built in a reused buffer, so the only
/// allocation is the shared string itself.
pub(super) fn concat<'s>(parts: impl IntoIterator<Item = &'s str>) -> SharedName {
    thread_local! {
        static BUFFER: std::cell::RefCell<String> = const { std::cell::RefCell::new(String::new()) };
    }
    BUFFER.with_borrow_mut(|buffer| {
        buffer.clear();
        for part in parts {
            buffer.push_str(part);
        }
        SharedName::from(buffer.as_str())
    })
}

impl<'s, 'i, 'a> ModuleVisitor<'s, 'i, 'a> {
    /// The prefix for what is defined inside `name` (`f.<locals>.`), built when needed.
    pub(super) fn nested_prefix(&mut self, name: &'a str) -> QualPrefix<'a> {
        QualPrefix {
            base: self.qual_prefix.get(),
            locals_of: Some(name),
        }
    }

    pub(super) fn bind(&mut self, name: &'a str, value: Value) {
        let fallback = self.in_except_handler > 0;
        // `global _thread` then `_thread = Thread(...)` in a function: functions walked
        // after this one (later definitions) see the module's name bound to the thread,
        // as they do when the program calls them in that order.
        let declared_global = self
            .scopes
            .last()
            .is_some_and(|s| !s.globals.is_empty() && s.globals.contains(&name));
        if declared_global || self.scopes.len() == 1 {
            // Any new binding of a module name replaces a string literal it held.
            self.module_strings.remove(name);
            self.count_module_binding(name);
        }
        let scope = if declared_global {
            self.scopes.first_mut()
        } else {
            if let Some(i) = self.params.iter().position(|p| p.name == name) {
                self.params.swap_remove(i);
                self.rebound_params.push(name);
            }
            self.scopes.last_mut()
        };
        if let Some(scope) = scope {
            if fallback {
                scope.names.entry(name).or_insert(value);
            } else {
                scope.names.insert(name, value);
            }
        }
    }

    pub(super) fn lookup(&self, name: &str) -> Value {
        let innermost = self.scopes.len() - 1;
        for (i, scope) in self.scopes.iter().enumerate().rev() {
            // Class scopes are visible only from the class body itself, as in Python.
            if scope.is_class && i != innermost {
                continue;
            }
            if let Some(v) = scope.names.get(name) {
                return v.clone();
            }
        }
        if name == "__import__" {
            return Value::Qual("builtins.__import__".into());
        }
        for star in &self.star_imports {
            let q = format!("{star}.{name}");
            if self.index.knowledge.get(&q).is_some() || self.index.in_project(star) {
                return Value::Qual(q.into());
            }
        }
        Value::Unknown
    }

    pub(super) fn visit_assign_target(&mut self, target: &'a Expr, value: Value) {
        match target {
            Expr::Name(n) => self.bind(n.id.as_str(), value),
            Expr::Attribute(attr) => {
                let receiver = self.eval_quiet(&attr.value);
                let name = attr.attr.id.as_str();
                self.note_attribute_store(&receiver, name);
                if let Value::SelfAttr { path, .. } = &receiver
                    && path.is_empty()
                    && self.sink.is_some()
                {
                    self.receiver_facts.store(name, &value);
                }
                match (&receiver, &value) {
                    (Value::Instance(inst), Value::Bool(b)) if name == "daemon" => {
                        self.daemon_by_handle.insert(inst.handle, *b);
                    }
                    (Value::SelfAttr { path, .. }, _) if path.is_empty() => {
                        if let Some(c) = self.class_of_self(&receiver) {
                            let class = &mut self.summary.classes[c as usize];
                            match value {
                                Value::Bool(b) if name == "daemon" => class.daemon = Some(b),
                                Value::Instance(inst) => {
                                    class.attrs.insert(name.to_string(), inst);
                                }
                                _ => {}
                            }
                        }
                    }
                    (Value::SelfAttr { path, .. }, Value::Bool(b))
                        if path.len() == 1 && name == "daemon" =>
                    {
                        if let Some(inst) = self.self_attr_instance(&receiver) {
                            self.daemon_by_handle.insert(inst.handle, *b);
                        }
                    }
                    _ => {}
                }
            }
            Expr::Tuple(t) => {
                for elt in &t.elts {
                    self.visit_assign_target(elt, Value::Unknown);
                }
            }
            Expr::List(l) => {
                for elt in &l.elts {
                    self.visit_assign_target(elt, Value::Unknown);
                }
            }
            Expr::Starred(s) => self.visit_assign_target(&s.value, Value::Unknown),
            other => {
                self.eval(other);
            }
        }
    }
}
