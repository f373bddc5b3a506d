//! Bytes → up to seven files → summarise, link, every rule, every output format, every fix.
//! `forklint::fuzz::pipeline` panics exactly on a bug; libFuzzer records the input.
#![no_main]

use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| forklint::fuzz::pipeline(data));
