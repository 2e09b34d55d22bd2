//! Any bytes as a KDL config file: the loader, validator and renderers must not panic and must
//! keep their bounds (`jcform::config::fuzz::check`).
#![no_main]

use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    jcform::config::fuzz::check("kdl", data);
});
