//! The web app in a real browser: runs the Playwright suite of `web/e2e/` (Debian's Chromium,
//! each spec file against its own `tidings` process, this package's server binary) and fails
//! with the suite's output when any browser test fails.
//!
//! Needs `npm ci` in `web/` and `/usr/bin/chromium` (or `CHROMIUM_PATH`); `.ci/run` provides
//! both. Without them the test says so and passes, except under `CI=true`, where it fails.

// Test code: a failed unwrap is a failed test, which is what we want.
#![allow(clippy::unwrap_used, clippy::expect_used, missing_docs)]
use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::Duration;

/// Longest the whole browser suite may take.
const SUITE_LIMIT: Duration = Duration::from_secs(900);

fn web_dir() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../web")
}

/// The Playwright runner and the browser, or why they are missing.
fn toolchain() -> Result<(PathBuf, PathBuf), String> {
    let cli = web_dir().join("node_modules/@playwright/test/cli.js");
    if !cli.exists() {
        return Err(format!("{} is missing (run npm ci in web/)", cli.display()));
    }
    let chromium = PathBuf::from(std::env::var("CHROMIUM_PATH").unwrap_or_else(|_| "/usr/bin/chromium".into()));
    if !chromium.exists() {
        return Err(format!("{} is missing (apt-get install chromium)", chromium.display()));
    }
    Ok((cli, chromium))
}

#[test]
fn browser_suite() {
    let (cli, chromium) = match toolchain() {
        Ok(found) => found,
        Err(why) if std::env::var("CI").as_deref() == Ok("true") => panic!("web app tests cannot run: {why}"),
        Err(why) => {
            eprintln!("skipping the browser suite: {why}");
            return;
        }
    };
    let output = tempfile::tempdir().unwrap();
    let mut cmd = Command::new("node");
    cmd.arg(&cli)
        .arg("test")
        .current_dir(web_dir())
        .env("WEB_E2E_SERVER_BIN", env!("CARGO_BIN_EXE_tidings-e2e-server"))
        .env("CHROMIUM_PATH", &chromium)
        .env("WEB_E2E_OUTPUT", output.path())
        .env("FORCE_COLOR", "0");
    let (ok, text) = tidings_tests::helpers::run_bounded(cmd, SUITE_LIMIT);
    eprintln!("{text}");
    assert!(ok, "the browser suite failed or ran past {SUITE_LIMIT:?} (output above)");
    assert!(text.contains(" passed"), "the browser suite reported no passed test (output above)");
}
