use clap::Args;

use crate::rules::{RULES, by_code};

#[derive(Args)]
pub struct RuleArgs {
    /// A rule code (`FL101`) or name (`import-time-thread-start`).
    code: String,
}

pub fn run(args: RuleArgs) -> u8 {
    let Some(rule) = by_code(&args.code) else {
        eprintln!("error: unknown rule `{}` (see `forklint rules`)", args.code);
        return super::EXIT_ERROR;
    };
    println!("# {} {}\n", rule.code, rule.name);
    println!("{}\n", rule.summary);
    println!(
        "Family: {}. Default severity: {}. Fix: {:?}.\n",
        rule.family.title(),
        rule.severity.as_str(),
        rule.fix
    );
    print!("{}", rule.doc);
    super::EXIT_CLEAN
}

pub fn list() -> u8 {
    for rule in RULES {
        println!("{:<7}{:<36}{}", rule.code, rule.name, rule.summary);
    }
    super::EXIT_CLEAN
}
