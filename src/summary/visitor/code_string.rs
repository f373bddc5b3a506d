//! Literal code strings run in a subinterpreter (`interp.exec("...")`): parsed and walked as
//! a function of this module, with positions mapped back into the literal, so findings point
//! at the code that runs.

use ruff_python_ast::visitor::Visitor;
use ruff_python_ast::{self as ast, Expr, PySourceType};
use ruff_python_parser::parse_unchecked_source;
use ruff_text_size::{TextRange, TextSize};

use crate::knowledge::{Api, EffectKind};
use crate::summary::{CallArgs, FuncIdx, Value};

use super::prescan::scan_tokens;
use super::scope::{QualPrefix, concat};
use super::{MAX_VISIT_DEPTH, ModuleVisitor};

impl<'s, 'i, 'a> ModuleVisitor<'s, 'i, 'a> {
    /// `interp.exec("...")`, `_interpreters.run_string(id, dedent("""..."""))`: a
    /// literal code string runs in a subinterpreter. It is parsed and summarised as a
    /// function of this module, whose events sit at their places inside the literal; the
    /// argument then names that function. Anything but a literal is left alone: its
    /// contents are not guessed at (RULES.md §3 FP trap 7).
    pub(super) fn code_string_target(
        &mut self,
        api: &Api,
        call: &'a ast::ExprCall,
        args: &mut CallArgs,
    ) {
        let Some(spec) = &api.target else { return };
        let keyword = spec.keyword.as_deref().and_then(|k| {
            call.arguments
                .keywords
                .iter()
                .find(|kw| kw.arg.as_ref().is_some_and(|a| a.as_str() == k))
                .map(|kw| &kw.value)
        });
        let positional = spec.position.and_then(|p| call.arguments.args.get(p));
        let Some(expr) = keyword.or(positional) else {
            return;
        };
        // `dedent("...")`: the knowledge base says which calls dedent.
        let (literal, dedent) = match expr {
            Expr::Call(inner) => match (inner.arguments.args.first(), self.eval_quiet(&inner.func))
            {
                (Some(arg), Value::Qual(q))
                    if self
                        .index
                        .knowledge
                        .get(&q)
                        .is_some_and(|a| a.has(EffectKind::Dedent)) =>
                {
                    (self.string_literal(arg), true)
                }
                _ => return,
            },
            _ => (self.string_literal(expr), false),
        };
        let Some(literal) = literal else { return };
        let Some(idx) = self.walk_code_string(literal, dedent) else {
            return;
        };
        let value = Value::Local(idx);
        if keyword.is_some() {
            let k = spec.keyword.as_deref().unwrap_or_default();
            if let Some(slot) = args.keywords.iter_mut().find(|(n, _)| n.as_str() == k) {
                slot.1 = value;
            }
        } else if let Some(slot) = spec.position.and_then(|p| args.positional.get_mut(p)) {
            *slot = value;
        }
    }

    /// The string literal an expression is: itself, or a module name whose latest binding is
    /// one (`BOOTSTRAP = """..."""`) and that no enclosing function or class rebinds.
    fn string_literal(&self, expr: &'a Expr) -> Option<&'a ast::ExprStringLiteral> {
        match expr {
            Expr::StringLiteral(s) => Some(s),
            Expr::Name(n)
                if self.scopes[1..]
                    .iter()
                    .all(|s| !s.names.contains_key(n.id.as_str())) =>
            {
                self.module_strings.get(n.id.as_str()).copied()
            }
            _ => None,
        }
    }

    /// Parses a literal code string and walks it as a new function (see
    /// [`Self::code_string_target`]); `None` when it is too long or does not parse.
    fn walk_code_string(
        &mut self,
        literal: &'a ast::ExprStringLiteral,
        dedent: bool,
    ) -> Option<FuncIdx> {
        if literal.value.len() > MAX_CODE_STRING || self.depth + 8 >= MAX_VISIT_DEPTH {
            return None;
        }
        let code = literal.value.to_str();
        let (code, map) = CodeMap::new(self.source, literal, code, dedent);
        let parsed = parse_unchecked_source(&code, PySourceType::Python);
        if !parsed.errors().is_empty() || scan_tokens(&code, parsed.tokens()).too_deep.is_some() {
            return None;
        }
        let prefix = self.qual_prefix.get();
        let idx = self.new_function(concat([&prefix, "<code string>"]), literal.range);
        self.summary.functions[idx as usize].code_string = true;
        let (first_class, first_region, first_child) = (
            self.summary.classes.len(),
            self.summary.regions.len(),
            self.summary.fork_children.len(),
        );
        {
            // A fresh `__main__`: nothing of this module's namespace is visible in it.
            let mut child = ModuleVisitor::new(&mut *self.summary, self.index, &code);
            child.next_handle = self.next_handle;
            child.sink = Some(idx);
            // What the code string defines is named under it (`<code string>.worker`).
            child.qual_prefix = QualPrefix {
                base: concat([&prefix, "<code string>."]),
                locals_of: None,
            };
            child.depth = self.depth + 1;
            child.pending.push(Vec::new());
            child.visit_body(parsed.suite());
            let pending = child.pending.pop().unwrap_or_default();
            child.walk_pending(pending);
            self.next_handle = child.next_handle;
        }
        // Back to positions in this file.
        let s = &mut *self.summary;
        for f in &mut s.functions[idx as usize + 1..] {
            f.name_range = map.range(f.name_range);
            if let Some(l) = &mut f.long_loop {
                l.range = map.range(l.range);
            }
            for e in &mut f.events {
                e.range = map.range(e.range);
            }
        }
        for e in &mut s.functions[idx as usize].events {
            e.range = map.range(e.range);
        }
        if let Some(l) = &mut s.functions[idx as usize].long_loop {
            l.range = map.range(l.range);
        }
        for c in &mut s.classes[first_class..] {
            c.name_range = map.range(c.name_range);
        }
        for r in &mut s.regions[first_region..] {
            r.range = map.range(r.range);
            r.body = map.range(r.body);
        }
        for c in &mut s.fork_children[first_child..] {
            c.fork = map.range(c.fork);
            c.body = map.range(c.body);
        }
        Some(idx)
    }
}

/// Longest code string parsed (bytes); longer ones are left alone.
const MAX_CODE_STRING: usize = 256 * 1024;

/// From offsets in a code string (as the subinterpreter sees it: dedented, escapes
/// decoded) back to offsets in the file. Exact for a plain literal line by line; a literal
/// with escape sequences or implicit concatenation maps everything to the literal itself.
struct CodeMap {
    /// (offset of a line in the code, offset of the same line's text in the file).
    lines: Vec<(u32, u32)>,
    literal: TextRange,
}

impl CodeMap {
    fn new(
        source: &str,
        literal: &ast::ExprStringLiteral,
        code: &str,
        dedent: bool,
    ) -> (String, CodeMap) {
        let verbatim = match literal.value.as_slice() {
            [part] => {
                let content = part.content_range();
                (source.get(usize::from(content.start())..usize::from(content.end())) == Some(code)
                    && !code.contains('\r'))
                .then_some(content.start())
            }
            _ => None,
        };
        let indent = if dedent { common_indent(code) } else { 0 };
        let mut out = String::with_capacity(code.len());
        let mut lines = Vec::new();
        let mut at = 0u32;
        for line in code.split_inclusive('\n') {
            let blank = line.trim().is_empty();
            let cut = if blank {
                line.len() - usize::from(line.ends_with('\n'))
            } else {
                indent.min(line.len())
            };
            if let Some(start) = verbatim {
                lines.push((out.len() as u32, u32::from(start) + at + cut as u32));
            }
            out.push_str(&line[cut..]);
            at += line.len() as u32;
        }
        (
            out,
            CodeMap {
                lines,
                literal: literal.range,
            },
        )
    }

    fn offset(&self, offset: TextSize) -> Option<TextSize> {
        let o = u32::from(offset);
        let i = self
            .lines
            .partition_point(|(code, _)| *code <= o)
            .checked_sub(1)?;
        let (code, file) = self.lines[i];
        Some(TextSize::new(file + (o - code)))
    }

    fn range(&self, range: TextRange) -> TextRange {
        match (self.offset(range.start()), self.offset(range.end())) {
            (Some(a), Some(b)) if a <= b => TextRange::new(a, b),
            _ => self.literal,
        }
    }
}

/// `textwrap.dedent`'s common indentation: the whitespace prefix every non-blank line shares
/// (in bytes).
fn common_indent(code: &str) -> usize {
    let mut common: Option<&str> = None;
    for line in code.lines().filter(|l| !l.trim().is_empty()) {
        let ws = &line[..line.len() - line.trim_start_matches([' ', '\t']).len()];
        common = Some(match common {
            None => ws,
            Some(c) => {
                let n = c
                    .bytes()
                    .zip(ws.bytes())
                    .take_while(|(a, b)| a == b)
                    .count();
                &c[..n]
            }
        });
    }
    common.map_or(0, str::len)
}
