//! Guards: the tests that decide whether a clause runs, as far as a summary can know them
//! before the program is linked. A test on a parameter ([`ParamGuard`]) is decided per call,
//! by the argument it passes ([`FunctionSummary::skipped_by`]); a test on a module constant
//! ([`ConstantGuard`]) once, unless another module sets the constant.

use super::{CallArgs, FuncIdx, FunctionSummary, Name, Value};

/// How many positional arguments a call passes, whether it unpacks `*args` or `**kwargs`,
/// and which keywords it passes whose values the summary did not keep ([`CallArgs`] keeps
/// few): enough to know that a parameter was *not* passed, so that it has its default.
/// Packed in one word: most calls carry it and keep no [`CallArgs`].
#[derive(Clone, Copy, Debug, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct ArgShape(u32);

impl Default for ArgShape {
    fn default() -> Self {
        Self::UNKNOWN
    }
}

impl ArgShape {
    /// Nothing known: every parameter may have been passed.
    pub const UNKNOWN: ArgShape = ArgShape(0);
    const KNOWN: u32 = 1 << 31;
    const STAR: u32 = 1 << 8;
    const DOUBLE_STAR: u32 = 1 << 9;
    const COUNT_MASK: u32 = 0xff;
    /// Unkept keywords, hashed into 16 bits: a bit clear says that no such keyword was passed.
    const KEYWORD_SHIFT: u32 = 12;

    pub fn new<'n>(
        positional: usize,
        star: bool,
        double_star: bool,
        unkept_keywords: impl IntoIterator<Item = &'n str>,
    ) -> ArgShape {
        let mut bits = Self::KNOWN | positional.min(Self::COUNT_MASK as usize) as u32;
        if star {
            bits |= Self::STAR;
        }
        if double_star {
            bits |= Self::DOUBLE_STAR;
        }
        for k in unkept_keywords {
            bits |= Self::keyword_bit(k);
        }
        ArgShape(bits)
    }

    fn keyword_bit(name: &str) -> u32 {
        use std::hash::{Hash, Hasher};
        let mut h = rustc_hash::FxHasher::default();
        name.hash(&mut h);
        1 << (Self::KEYWORD_SHIFT + (h.finish() % 16) as u32)
    }

    /// Whether the call may pass something at positional index `index` (past a `*args`,
    /// the positions of the kept arguments are not known either: see
    /// [`ArgShape::unpacks_positional`]).
    pub fn may_pass_position(self, index: u32) -> bool {
        self.0 & Self::KNOWN == 0
            || self.unpacks_positional()
            || index >= Self::COUNT_MASK
            || index < self.0 & Self::COUNT_MASK
    }

    /// `f(*args)`: any positional parameter may get any element.
    pub fn unpacks_positional(self) -> bool {
        self.0 & Self::STAR != 0
    }

    /// Whether the call may pass keyword `name` with a value the summary did not keep.
    pub fn may_pass_unkept_keyword(self, name: &str) -> bool {
        self.0 & Self::KNOWN == 0
            || self.0 & Self::DOUBLE_STAR != 0
            || self.0 & Self::keyword_bit(name) != 0
    }
}

/// How a call's arguments meet the callee's parameters.
#[derive(Clone, Copy, Debug, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub enum CallBinding {
    /// `f(a)`, `Class.method(obj, a)`: the arguments as written (but a classmethod's class).
    Plain,
    /// `obj.method(a)`, `Class(a)` (to `__init__`): the receiver comes first, unwritten.
    Bound,
}

impl FunctionSummary {
    /// The event ranges of the guards a call certainly skips: for each guard, the argument
    /// the call passes for its parameter (or, when the call certainly does not pass one, the
    /// parameter's literal default) is a literal on which the test is false. Where the call
    /// may bind its arguments in two ways (a method called through its class may get the
    /// receiver written out or not), the test must fail on both.
    pub fn skipped_by(
        &self,
        binding: CallBinding,
        args: &CallArgs,
        shape: ArgShape,
    ) -> Vec<std::ops::Range<u32>> {
        // How many parameters the call fills before its first written argument.
        let shifts: &[u32] = match (binding, self.receiver) {
            (CallBinding::Plain, Receiver::None | Receiver::Instance) | (_, Receiver::Static) => {
                &[0]
            }
            (_, Receiver::Class) | (CallBinding::Bound, Receiver::Instance) => &[1],
            // A function reached through an instance may be a class attribute bound to it.
            (CallBinding::Bound, Receiver::None) => &[0, 1],
        };
        let mut out = Vec::new();
        for g in &self.guards {
            let fails = shifts.iter().all(|&shift| {
                let seen = argument_for(g, args, shape, shift);
                g.test.fails_on(seen.unwrap_or(&Value::Unknown))
            });
            if fails && !out.contains(&g.events) {
                out.push(g.events.clone());
            }
        }
        out
    }
}

/// What parameter `g.name` holds in a call whose first `shift` parameters are passed
/// implicitly: the keyword or positional argument when the summary kept it, else the
/// literal default when the call certainly passes nothing for it (`None`: not known).
fn argument_for<'v>(
    g: &'v ParamGuard,
    args: &'v CallArgs,
    shape: ArgShape,
    shift: u32,
) -> Option<&'v Value> {
    if let Some(attr) = &g.attr {
        // Only the receiver's attributes are known, and only when the call passes it
        // unwritten (`self.m()`, not `Class.m(other)`).
        if g.position != Some(0) || shift != 1 {
            return None;
        }
        return args
            .receiver_attrs
            .iter()
            .find(|(name, _)| name == attr)
            .map(|(_, v)| v);
    }
    if let Some(v) = args.get(None, Some(g.name.as_str())) {
        return Some(v);
    }
    if let Some(position) = g.position {
        // The receiver itself: whatever the instance is.
        let index = position.checked_sub(shift)?;
        if shape.unpacks_positional() {
            return None;
        }
        if shape.may_pass_position(index) {
            return args.positional.get(index as usize);
        }
    }
    if shape.may_pass_unkept_keyword(g.name.as_str()) {
        return None;
    }
    g.default.as_ref()
}

/// The first parameter a method gets without the call writing it.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub enum Receiver {
    /// A plain function: none, unless it is reached as an attribute of an instance (a
    /// class attribute bound to it).
    #[default]
    None,
    /// A `staticmethod`: none, however it is called.
    Static,
    /// A method: the instance it is called on (written out in `Class.method(obj, …)`).
    Instance,
    /// A `classmethod`: the class, never written.
    Class,
}

/// A test on a parameter `p` of an `if` (or `elif`, or one conjunct of an `and`), and the
/// events of the clause it guards: they run only when the test holds. django's
/// `get_version(VERSION)` runs `git log` only for an alpha `VERSION`; rq's
/// `Worker.work(with_scheduler=False)` starts the scheduler only `if with_scheduler:`.
#[derive(Clone, Debug, PartialEq, serde::Serialize, serde::Deserialize)]
pub struct ParamGuard {
    /// Index range into the function's events.
    pub events: std::ops::Range<u32>,
    /// The parameter's position among the positional parameters (the receiver of a method
    /// included), `None` for a keyword-only one; and its name, to find the argument of a call.
    pub position: Option<u32>,
    pub name: Name,
    /// The parameter's default, when it is a literal: what the test sees when a call does
    /// not pass the argument.
    pub default: Option<Value>,
    /// `if not self._closed:`: the test is on this attribute of the parameter (only ever the
    /// receiver of a method), decided by what the caller's path stored in its own `self`
    /// before a `self.m()` call ([`CallArgs::receiver_attrs`]).
    pub attr: Option<Name>,
    pub test: ParamTest,
}

impl ParamGuard {
    /// The guard of the `else` of `if <self>:`.
    pub fn negated(self) -> ParamGuard {
        ParamGuard {
            test: self.test.negated(),
            ..self
        }
    }
}

#[derive(Clone, Debug, PartialEq, serde::Serialize, serde::Deserialize)]
pub enum ParamTest {
    /// `p == LIT` or `p[k] == LIT` (`equal`), or `!=`; `is`/`is not` against `None`,
    /// `True` or `False` (`identity`).
    Compare {
        /// `p[k]`: the element tested.
        index: Option<u32>,
        equal: bool,
        identity: bool,
        /// The literal compared with: a string, integer, boolean or `None`.
        literal: Value,
    },
    /// `if p:` (`true`) or `if not p:` (`false`).
    Truth(bool),
}

impl ParamTest {
    /// `not <self>`.
    pub fn negated(self) -> ParamTest {
        match self {
            ParamTest::Truth(t) => ParamTest::Truth(!t),
            ParamTest::Compare {
                index,
                equal,
                identity,
                literal,
            } => ParamTest::Compare {
                index,
                equal: !equal,
                identity,
                literal,
            },
        }
    }

    /// What the test says on `value`: `None` unless the value is a literal that decides it.
    pub fn holds_on(&self, value: &Value) -> Option<bool> {
        if self.fails_on(value) {
            Some(false)
        } else if self.clone().negated().fails_on(value) {
            Some(true)
        } else {
            None
        }
    }

    /// Whether the test is certainly false on `value`: the value is a literal, and the
    /// test does not hold on it. Anything else may make it true.
    pub fn fails_on(&self, value: &Value) -> bool {
        match self {
            ParamTest::Truth(wanted) => truthiness(value).is_some_and(|t| t != *wanted),
            ParamTest::Compare {
                index,
                equal,
                identity,
                literal,
            } => {
                let tested = match (index, value) {
                    (None, v) => v,
                    (Some(k), Value::Tuple(items)) => match items.get(*k as usize) {
                        Some(v) => v,
                        None => return false,
                    },
                    _ => return false,
                };
                let same = if *identity {
                    literal_identical(tested, literal)
                } else {
                    literal_equal(tested, literal)
                };
                same.is_some_and(|same| same != *equal)
            }
        }
    }
}

/// Python's truth value of a literal (`None` for a value that is not one).
pub fn truthiness(value: &Value) -> Option<bool> {
    match value {
        Value::Bool(b) => Some(*b),
        Value::Int(i) => Some(*i != 0),
        Value::Str(s) => Some(!s.is_empty()),
        Value::None => Some(false),
        Value::Tuple(items) => Some(!items.is_empty()),
        _ => None,
    }
}

/// `a == b` for two literals as Python decides it (`True == 1`, `False == 0`); `None` when
/// either is not a literal.
fn literal_equal(a: &Value, b: &Value) -> Option<bool> {
    let number = |v: &Value| match v {
        Value::Bool(b) => Some(i64::from(*b)),
        Value::Int(i) => Some(*i),
        _ => None,
    };
    match (a, b) {
        (Value::Tuple(x), Value::Tuple(y)) => {
            if x.len() != y.len() {
                return Some(false);
            }
            let mut all = true;
            for (x, y) in x.iter().zip(y.iter()) {
                all &= literal_equal(x, y)?;
            }
            Some(all)
        }
        _ if truthiness(a).is_none() || truthiness(b).is_none() => None,
        _ => match (number(a), number(b)) {
            (Some(x), Some(y)) => Some(x == y),
            _ => Some(a == b),
        },
    }
}

/// `a is b` where `b` is `None`, `True` or `False` (singletons); `None` otherwise.
fn literal_identical(a: &Value, b: &Value) -> Option<bool> {
    if !matches!(b, Value::None | Value::Bool(_)) {
        return None;
    }
    truthiness(a)?;
    Some(a == b)
}

/// A clause that never runs while module constants keep their values: `if debug:` where
/// the module binds `debug = 0` once and nowhere else. Only the link step can tell that no
/// other module sets the name (`server.debug = 1`): it drops the clause's events then.
#[derive(Clone, Debug, PartialEq, serde::Serialize, serde::Deserialize)]
pub struct ConstantGuard {
    /// The function the clause is in (`None`: the module body).
    pub func: Option<FuncIdx>,
    /// Index range into that body's events.
    pub events: std::ops::Range<u32>,
    /// The module's constants the test reads.
    pub names: Vec<Name>,
}

#[cfg(test)]
mod tests {
    use super::*;
    use ruff_text_size::TextRange;

    fn compare(index: Option<u32>, equal: bool, literal: Value) -> ParamTest {
        ParamTest::Compare {
            index,
            equal,
            identity: false,
            literal,
        }
    }

    fn version(tag: &str) -> Value {
        Value::Tuple(vec![Value::Int(5), Value::Int(2), Value::Str(Name::new(tag))].into())
    }

    #[test]
    fn an_element_test_fails_only_on_a_literal_that_differs() {
        let alpha = Value::Str(Name::new("alpha"));
        let is_alpha = compare(Some(2), true, alpha.clone());
        assert!(is_alpha.fails_on(&version("final")));
        assert!(!is_alpha.fails_on(&version("alpha")));
        let not_alpha = compare(Some(2), false, alpha);
        assert!(not_alpha.fails_on(&version("alpha")));
        assert!(!not_alpha.fails_on(&version("final")));
        // An element past the end, or an argument that is not a literal: unknown, so kept.
        assert!(!compare(Some(7), true, Value::Int(0)).fails_on(&version("final")));
        assert!(!is_alpha.fails_on(&Value::Unknown));
        assert!(!is_alpha.fails_on(&Value::Qual("pkg.VERSION".into())));
    }

    #[test]
    fn a_whole_parameter_test_compares_the_argument_itself() {
        let dev = compare(None, true, Value::Str(Name::new("dev")));
        assert!(dev.fails_on(&Value::Str(Name::new("prod"))));
        assert!(!dev.fails_on(&Value::Str(Name::new("dev"))));
        assert!(dev.fails_on(&Value::Bool(true)));
        assert!(!dev.fails_on(&Value::Unknown));
        let on = compare(None, true, Value::Bool(true));
        assert!(on.fails_on(&Value::Bool(false)));
        assert!(!on.fails_on(&Value::Bool(true)));
    }

    #[test]
    fn equality_is_pythons_and_identity_tells_true_from_one() {
        // `True == 1` and `False == 0` hold in Python: `p == 1` may be true on `True`.
        assert!(!compare(None, true, Value::Int(1)).fails_on(&Value::Bool(true)));
        assert!(compare(None, true, Value::Int(1)).fails_on(&Value::Bool(false)));
        let is_true = ParamTest::Compare {
            index: None,
            equal: true,
            identity: true,
            literal: Value::Bool(true),
        };
        assert!(is_true.fails_on(&Value::Int(1)));
        assert!(!is_true.fails_on(&Value::Bool(true)));
        assert!(!is_true.fails_on(&Value::Unknown));
    }

    #[test]
    fn a_truth_test_fails_on_literals_of_the_other_truth() {
        let truthy = ParamTest::Truth(true);
        for falsy in [
            Value::Bool(false),
            Value::Int(0),
            Value::None,
            Value::Str(Name::new("")),
        ] {
            assert!(truthy.fails_on(&falsy), "{falsy:?}");
        }
        assert!(!truthy.fails_on(&Value::Int(2)));
        assert!(!truthy.fails_on(&Value::Unknown));
        assert!(ParamTest::Truth(false).fails_on(&Value::Str(Name::new("x"))));
    }

    /// `def work(self, burst=False, with_scheduler=False): if with_scheduler: <0..2>`.
    fn work() -> FunctionSummary {
        FunctionSummary {
            qualname: "Worker.work".into(),
            name_range: TextRange::default(),
            class: Some(0),
            events: Vec::new(),
            returns: None,
            ends_in_exit: false,
            ends_process: false,
            long_loop: None,
            code_string: false,
            guards: vec![ParamGuard {
                events: 0..2,
                position: Some(2),
                name: Name::new("with_scheduler"),
                default: Some(Value::Bool(false)),
                attr: None,
                test: ParamTest::Truth(true),
            }],
            receiver: Receiver::Instance,
            stop_signals: Vec::new(),
        }
    }

    fn call(positional: Vec<Value>, keywords: Vec<(&str, Value)>) -> CallArgs {
        CallArgs {
            positional,
            keywords: keywords
                .into_iter()
                .map(|(k, v)| (Name::new(k), v))
                .collect(),
            receiver_attrs: Vec::new(),
        }
    }

    #[test]
    fn a_parameter_not_passed_has_its_default() {
        let f = work();
        let burst = vec![("burst", Value::Bool(true))];
        let shape = ArgShape::new(0, false, false, []);
        let args = call(Vec::new(), burst);
        assert_eq!(f.skipped_by(CallBinding::Bound, &args, shape), vec![0..2]);
        // Through the class, the receiver is written out: `Worker.work(w, True)` leaves the
        // default, `Worker.work(w, True, flag)` may not.
        let args = CallArgs::default();
        let two = ArgShape::new(2, false, false, []);
        assert_eq!(f.skipped_by(CallBinding::Plain, &args, two), vec![0..2]);
        let three = ArgShape::new(3, false, false, []);
        assert!(f.skipped_by(CallBinding::Plain, &args, three).is_empty());
        let one = ArgShape::new(1, false, false, []);
        assert_eq!(f.skipped_by(CallBinding::Bound, &args, one), vec![0..2]);
        assert!(f.skipped_by(CallBinding::Bound, &args, two).is_empty());
    }

    #[test]
    fn what_may_pass_the_parameter_keeps_the_guard() {
        let f = work();
        let none = CallArgs::default();
        for shape in [
            // `w.work(True, True)`: passed positionally, value not kept.
            ArgShape::new(2, false, false, []),
            // `w.work(*args)`, `w.work(**options)`.
            ArgShape::new(1, true, false, []),
            ArgShape::new(0, false, true, []),
            // `w.work(with_scheduler=flag)`.
            ArgShape::new(0, false, false, ["with_scheduler"]),
            // A call Python makes: nothing known.
            ArgShape::UNKNOWN,
        ] {
            assert!(
                f.skipped_by(CallBinding::Bound, &none, shape).is_empty(),
                "{shape:?}"
            );
        }
        let on = call(Vec::new(), vec![("with_scheduler", Value::Bool(true))]);
        assert!(
            f.skipped_by(CallBinding::Bound, &on, ArgShape::UNKNOWN)
                .is_empty()
        );
        let off = call(vec![Value::Bool(true), Value::Int(0)], Vec::new());
        assert_eq!(
            f.skipped_by(CallBinding::Bound, &off, ArgShape::new(2, false, false, [])),
            vec![0..2]
        );
    }

    #[test]
    fn a_receiver_attribute_guard_is_decided_by_what_the_caller_stored() {
        // `_flush` re-arms only `if not self._closed:`.
        let mut f = work();
        f.guards = vec![ParamGuard {
            events: 3..5,
            position: Some(0),
            name: Name::new("self"),
            default: None,
            attr: Some(Name::new("_closed")),
            test: ParamTest::Truth(false),
        }];
        let closed = CallArgs {
            receiver_attrs: vec![(Name::new("_closed"), Value::Bool(true))],
            ..CallArgs::default()
        };
        let open = CallArgs {
            receiver_attrs: vec![(Name::new("_closed"), Value::Bool(false))],
            ..CallArgs::default()
        };
        let shape = ArgShape::new(0, false, false, []);
        assert_eq!(f.skipped_by(CallBinding::Bound, &closed, shape), vec![3..5]);
        assert!(f.skipped_by(CallBinding::Bound, &open, shape).is_empty());
        assert!(
            f.skipped_by(CallBinding::Bound, &CallArgs::default(), shape)
                .is_empty()
        );
        // `Class._flush(other)`: the receiver is written out, its attributes are not known.
        let one = ArgShape::new(1, false, false, []);
        assert!(f.skipped_by(CallBinding::Plain, &closed, one).is_empty());
    }
}
