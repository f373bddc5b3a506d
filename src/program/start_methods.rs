//! Which `multiprocessing` start methods a call may use when the method is held rather than
//! written at the call: a parameter (`get_context(method)`), an attribute (`self.method`,
//! `self.ctx.Process(...)`), a constant imported from another module, a context passed as
//! `mp_context=`. The summaries name a method only when a literal (or a context made from one)
//! is at hand in the same module; otherwise the value flow ([`PointsTo`]) is asked which
//! start-method names, or which contexts, reach the call.
//!
//! The answer is a set, read as "may be" by the fork rules: a start that may be fork forks on
//! the cells where fork exists; one that is only ever spawn or forkserver never forks. What the
//! flow cannot name (an empty or saturated answer, a string that is not a start method, a
//! context of unknown make) leaves the default in the set: the method in force on the cell,
//! as when nothing was known.

use ruff_text_size::TextRange;

use crate::diagnostic::FileId;
use crate::knowledge::{Api, ArgSpec, EffectKind, SpawnKind};
use crate::settings::StartMethod;

use super::effects::Effect;
use super::{Obj, ObjId, PointsTo, Program};

/// How many contexts deep a start method is followed back (`p` of `p.start()` → the
/// `ctx.Process(...)` that made it → the `get_context(...)` that made `ctx`).
const MAX_CONTEXT_DEPTH: usize = 4;

/// The start methods a call may use. Empty: none is chosen at the call, so the one in force
/// on the cell (set process-wide, or the default) applies.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Hash)]
pub struct MethodSet(u8);

impl MethodSet {
    /// The method in force on the cell: nothing chosen at the call, or not known.
    const IN_FORCE: u8 = 1 << 3;

    fn bit(method: StartMethod) -> u8 {
        match method {
            StartMethod::Fork => 1,
            StartMethod::Spawn => 1 << 1,
            StartMethod::Forkserver => 1 << 2,
        }
    }

    pub fn one(method: StartMethod) -> Self {
        Self(Self::bit(method))
    }

    /// Nothing chosen at the call, or a value that cannot be told: the method in force.
    pub fn in_force() -> Self {
        Self(Self::IN_FORCE)
    }

    /// A literal start method's name; anything else is the method in force (a name that
    /// is none raises `ValueError`, and then nothing starts).
    pub fn named(name: Option<&str>) -> Self {
        name.and_then(StartMethod::parse)
            .map_or_else(Self::in_force, Self::one)
    }

    pub fn union(self, other: Self) -> Self {
        Self(self.0 | other.0)
    }

    /// Whether the call may use `method` chosen at the call.
    pub fn may_choose(self, method: StartMethod) -> bool {
        self.0 & Self::bit(method) != 0
    }

    /// Whether the method in force on the cell may apply (nothing chosen, or not known).
    pub fn may_use_in_force(self) -> bool {
        self.0 == 0 || self.0 & Self::IN_FORCE != 0
    }

    /// The one method chosen at the call, when it is certain.
    pub fn single(self) -> Option<StartMethod> {
        [
            StartMethod::Fork,
            StartMethod::Spawn,
            StartMethod::Forkserver,
        ]
        .into_iter()
        .find(|m| self.0 == Self::bit(*m))
    }

    /// Whether the call chooses nothing the summaries or the flow could tell.
    pub fn is_unknown(self) -> bool {
        self.0 & !Self::IN_FORCE == 0
    }
}

impl Program {
    /// Fills in, from the value flow, the start method of an effect whose summary could not
    /// name it: a multiprocessing start (by the object started, or the context passed), a
    /// `get_context(...)` or a `set_start_method(...)` (by the strings that reach the
    /// argument). `range` is the call's in `file`.
    pub(super) fn start_methods_by_flow(
        &self,
        file: FileId,
        range: TextRange,
        effect: &mut Effect,
    ) {
        match effect {
            Effect::ProcessSpawn {
                api,
                kind: SpawnKind::Multiprocessing,
                start_method,
                ..
            } if start_method.is_unknown() => {
                let Some(api) = self.knowledge.get(api) else {
                    return;
                };
                if let Some(found) = self.spawn_methods(file, range, api) {
                    *start_method = found;
                }
            }
            Effect::GetContext { method } | Effect::SetStartMethod { method }
                if method.is_unknown() =>
            {
                let pt = self.points_to();
                let spec = self.method_arg_spec();
                if let Some(found) = spec.and_then(|s| self.names_passed(pt, file, range, s)) {
                    *method = found;
                }
            }
            _ => {}
        }
    }

    /// The start methods of a multiprocessing start at `range` of `file`, a call of `api`:
    /// of the objects it is called on (`p.start()`, `ex.submit(...)`, `ctx.Pool()`), or of
    /// the context passed to it. `None` when the flow knows neither.
    fn spawn_methods(&self, file: FileId, range: TextRange, api: &Api) -> Option<MethodSet> {
        let pt = self.points_to();
        let mut objects = pt.receivers(file, range);
        if let Some(spec) = &api.context_arg {
            objects.extend(pt.arguments(file, range, spec.position, spec.keyword.as_deref()));
        }
        if objects.is_empty() {
            return None;
        }
        let methods = objects
            .into_iter()
            .map(|o| self.object_methods(pt, o, 0))
            .fold(MethodSet::default(), MethodSet::union);
        Some(methods)
    }

    /// The start methods an object uses: a context by the method it was made with; a
    /// process, pool or executor by the context it was made from (`ctx.Process(...)`,
    /// `ProcessPoolExecutor(mp_context=ctx)`) or else the method in force.
    fn object_methods(&self, pt: &PointsTo, o: ObjId, depth: usize) -> MethodSet {
        let Obj::ExtInstance { name, file, site } = pt.object(o) else {
            return MethodSet::in_force();
        };
        // One object for every call of a class the knowledge base does not track has no
        // file or site of its own (`FileId(u32::MAX)`): nothing is known of how it was made.
        let Some(made_in) = self.files.get(file.0 as usize) else {
            return MethodSet::in_force();
        };
        let summary = &made_in.summary;
        let Some(&range) = summary.flow.sites.get(*site as usize) else {
            return MethodSet::in_force();
        };
        // A literal at the call that made it, as the summary of its module saw it.
        if let Some(method) = summary
            .made_at(range)
            .and_then(|inst| inst.start_method.as_deref())
        {
            return MethodSet::named(Some(method));
        }
        if depth >= MAX_CONTEXT_DEPTH {
            return MethodSet::in_force();
        }
        let Some(class) = self.known_class_of(name) else {
            return MethodSet::in_force();
        };
        if self.is_context_class(class) {
            return self
                .method_arg_spec()
                .and_then(|spec| self.names_passed(pt, *file, range, spec))
                .unwrap_or_else(MethodSet::in_force);
        }
        // Made by a method of a context (`ctx.Process`), or given one (`mp_context=ctx`).
        let mut contexts: Vec<ObjId> = pt
            .receivers(*file, range)
            .into_iter()
            .filter(|&r| self.is_context_object(pt, r))
            .collect();
        if let Some(spec) = &class.context_arg {
            let given = pt.arguments(*file, range, spec.position, spec.keyword.as_deref());
            contexts.extend(given);
        }
        if contexts.is_empty() {
            return MethodSet::in_force();
        }
        contexts
            .into_iter()
            .map(|c| self.object_methods(pt, c, depth + 1))
            .fold(MethodSet::default(), MethodSet::union)
    }

    /// The start-method names the flow brings to the method argument of the call at `range`
    /// of `file`. `None` when it knows none; anything but a start method's name (another
    /// string, an object) keeps the method in force among them.
    fn names_passed(
        &self,
        pt: &PointsTo,
        file: FileId,
        range: TextRange,
        spec: &ArgSpec,
    ) -> Option<MethodSet> {
        let passed = pt.arguments(file, range, spec.position, spec.keyword.as_deref());
        if passed.is_empty() {
            return None;
        }
        let methods = passed
            .into_iter()
            .map(|o| match pt.object(o) {
                Obj::Str(name) => MethodSet::named(name.as_deref()),
                _ => MethodSet::in_force(),
            })
            .fold(MethodSet::default(), MethodSet::union);
        Some(methods)
    }

    /// Where `get_context` and `set_start_method` take the method (the knowledge base gives
    /// both, and a context's own `get_context`, the same argument).
    fn method_arg_spec(&self) -> Option<&ArgSpec> {
        self.knowledge
            .get("multiprocessing.get_context")
            .and_then(|api| api.method_arg.as_ref())
    }

    /// A `multiprocessing` context class: one whose `get_context` makes contexts.
    fn is_context_class(&self, class: &Api) -> bool {
        self.knowledge
            .get_member(&class.name, "get_context")
            .is_some_and(|m| m.has(EffectKind::GetContext))
    }

    fn is_context_object(&self, pt: &PointsTo, o: ObjId) -> bool {
        matches!(pt.object(o), Obj::ExtInstance { name, .. }
            if self.known_class_of(name).is_some_and(|c| self.is_context_class(c)))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_set_of_chosen_methods_says_what_may_be_used() {
        let either = MethodSet::one(StartMethod::Spawn).union(MethodSet::one(StartMethod::Fork));
        assert!(either.may_choose(StartMethod::Fork));
        assert!(!either.may_choose(StartMethod::Forkserver));
        assert!(!either.may_use_in_force());
        assert_eq!(either.single(), None);
        assert_eq!(
            MethodSet::one(StartMethod::Spawn).single(),
            Some(StartMethod::Spawn)
        );
    }

    #[test]
    fn nothing_chosen_or_a_name_that_is_no_method_leaves_the_method_in_force() {
        assert!(MethodSet::default().may_use_in_force());
        assert!(MethodSet::default().is_unknown());
        let odd = MethodSet::named(Some("threads"));
        assert!(odd.may_use_in_force() && odd.is_unknown());
        let spawn_or_unknown = MethodSet::named(Some("spawn")).union(odd);
        assert!(spawn_or_unknown.may_use_in_force());
        assert!(!spawn_or_unknown.is_unknown());
        assert_eq!(spawn_or_unknown.single(), None);
    }
}
