pub mod fl001_syntax_error;
