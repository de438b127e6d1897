//! Integration tests, in one binary: the CLI through the built executable, AdmissionReview
//! fixtures against golden responses, kubectl-generated input, property tests, and the
//! webhook server through real TLS clients.

mod admission;
mod audit;
mod cli;
mod fake_discovery;
mod kubeconfig;
mod kubectl;
mod kubernetes_version;
mod manifests;
mod parity;
mod policies;
mod precommit;
mod previous;
mod props;
mod readme;
mod reports;
mod serve;
mod serve_support;
mod write;

use std::path::{Path, PathBuf};
use std::process::{Command, Output, Stdio};

/// The repository root.
pub fn root() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}

/// Runs the built `dsguard` with `args` in the repository root, feeding `stdin`.
pub fn dsguard(args: &[&str], stdin: Option<&[u8]>) -> Output {
    dsguard_in(&root(), args, stdin)
}

/// Runs the built `dsguard` in `dir`.
pub fn dsguard_in(dir: &Path, args: &[&str], stdin: Option<&[u8]>) -> Output {
    use std::io::Write;
    let mut child = Command::new(env!("CARGO_BIN_EXE_dsguard"))
        .args(args)
        .current_dir(dir)
        .env_remove("DSGUARD_CONFIG")
        .env_remove("DSGUARD_OUTPUT")
        .env("NO_COLOR", "1")
        .stdin(if stdin.is_some() {
            Stdio::piped()
        } else {
            Stdio::null()
        })
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("the dsguard binary runs");
    if let Some(input) = stdin {
        let mut pipe = child.stdin.take().expect("stdin is piped");
        // The child may exit before reading everything (e.g. on a usage error).
        let _ = pipe.write_all(input);
    }
    child.wait_with_output().expect("dsguard finishes")
}

/// stdout as text.
pub fn out(o: &Output) -> String {
    String::from_utf8_lossy(&o.stdout).into_owned()
}

/// stderr as text.
pub fn err(o: &Output) -> String {
    String::from_utf8_lossy(&o.stderr).into_owned()
}

/// The exit code.
pub fn code(o: &Output) -> i32 {
    o.status
        .code()
        .expect("dsguard exits normally, not by a signal")
}

/// `git -C dir ARGS` with a throwaway identity and no signing; its stdout. Fails the test
/// with git's message when git fails.
pub fn git(dir: &Path, args: &[&str]) -> String {
    let o = Command::new("git")
        .arg("-C")
        .arg(dir)
        .args([
            "-c",
            "user.name=t",
            "-c",
            "user.email=t@example.com",
            "-c",
            "commit.gpgsign=false",
        ])
        .args(args)
        .output()
        .expect("git runs");
    assert!(
        o.status.success(),
        "git {args:?}: {}",
        String::from_utf8_lossy(&o.stderr)
    );
    String::from_utf8(o.stdout).unwrap()
}

/// Runs a shell command line under a terminal (`script` from util-linux), with `CI` set or
/// not; what the terminal showed. Fails the test when the command fails.
pub fn under_pty(command_line: &str, ci: bool) -> String {
    let mut cmd = Command::new("script");
    cmd.args(["-qec", command_line, "/dev/null"]);
    cmd.env_remove("CI");
    if ci {
        cmd.env("CI", "true");
    }
    let o = cmd.output().expect("script (util-linux) runs");
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
    String::from_utf8_lossy(&o.stdout).into_owned()
}
