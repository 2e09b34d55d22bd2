//! CPU time of the bench's own process, shared by the benches (`mod cpu;` in each).

/// This process's CPU time (user + system) so far, in seconds (`getrusage(RUSAGE_SELF)`).
pub fn self_cpu() -> f64 {
    // SAFETY: getrusage writes into the struct it is given and has no other precondition.
    let usage = unsafe {
        let mut usage: libc::rusage = std::mem::zeroed();
        libc::getrusage(libc::RUSAGE_SELF, &mut usage);
        usage
    };
    let secs = |t: libc::timeval| t.tv_sec as f64 + t.tv_usec as f64 / 1e6;
    secs(usage.ru_utime) + secs(usage.ru_stime)
}
