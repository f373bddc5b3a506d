pub mod fl001_syntax_error;
pub mod fl002_unused_noqa;
