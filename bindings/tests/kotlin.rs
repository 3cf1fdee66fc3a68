//! The Kotlin bindings against a live server: generates the Kotlin from the library this build
//! produced, compiles it with `tests/kotlin/Story.kt` (the same story as `test_sdk.py`) using the
//! JVM Kotlin compiler, and runs the story on the JVM (JNA loads the library) against a real
//! server, in both modes; in cluster mode the two clients sit on two instances.
//!
//! The toolchain: `KOTLIN_COMPILER_HOME` names the npm package `kotlin-compiler`'s directory (its
//! `lib/` holds `kotlin-compiler.jar`, `kotlin-stdlib.jar`, `kotlinx-coroutines-core-jvm.jar`),
//! `JNA_JAR` JNA's jar (default `/usr/share/java/jna.jar`, Debian's `libjna-java`);
//! `.ci/run` installs both. Without them the test says so and passes, except under `CI=true`,
//! where it fails.

// Test code: a failed unwrap is a failed test, which is what we want.
#![allow(clippy::unwrap_used, clippy::expect_used, missing_docs)]
use std::io::Write as _;
use std::path::{Path, PathBuf};
use std::process::Command;
use std::sync::OnceLock;
use std::time::Duration;

use tidings_tests::helpers::run_bounded as run;
use tidings_tests::{Backend, spawn_server};

/// Longest run of the story (its own waits are bounded far below this).
const STORY_LIMIT: Duration = Duration::from_secs(180);

/// The jars the compiler and the story need, or why they are missing.
struct Toolchain {
    compiler: PathBuf,
    classpath: Vec<PathBuf>,
}

fn toolchain() -> Result<Toolchain, String> {
    let home = std::env::var("KOTLIN_COMPILER_HOME").map_err(|_| "KOTLIN_COMPILER_HOME is not set".to_owned())?;
    let lib = Path::new(&home).join("lib");
    let jna = std::env::var("JNA_JAR").unwrap_or_else(|_| "/usr/share/java/jna.jar".into());
    let jars = [lib.join("kotlin-stdlib.jar"), lib.join("kotlinx-coroutines-core-jvm.jar"), PathBuf::from(jna)];
    let compiler = lib.join("kotlin-compiler.jar");
    for jar in jars.iter().chain([&compiler]) {
        if !jar.exists() {
            return Err(format!("{} is missing", jar.display()));
        }
    }
    Ok(Toolchain { compiler, classpath: jars.to_vec() })
}

/// The cdylib built with this test (`target/<profile>/deps/` holds both).
fn library() -> PathBuf {
    let exe = std::env::current_exe().unwrap();
    let deps = exe.parent().unwrap();
    let name = format!("{}tidings_bindings{}", std::env::consts::DLL_PREFIX, std::env::consts::DLL_SUFFIX);
    [deps.join(&name), deps.parent().unwrap().join(&name)]
        .into_iter()
        .find(|p| p.exists())
        .unwrap_or_else(|| panic!("{name} not found next to {}", exe.display()))
}

/// The story compiled with the bindings generated from this build (once per test process; the
/// two modes share it): the classes directory, and the toolchain's jars.
fn compiled(tools: &Toolchain) -> &'static Result<PathBuf, String> {
    static COMPILED: OnceLock<Result<PathBuf, String>> = OnceLock::new();
    COMPILED.get_or_init(|| {
        // Kept for the whole test process: both modes run the classes.
        let work = Box::leak(Box::new(tempfile::tempdir().unwrap())).path().to_owned();
        let sources = work.join("src");
        uniffi::generate(uniffi::GenerateOptions {
            languages: vec![uniffi::TargetLanguage::Kotlin],
            source: library().to_str().unwrap().to_owned().into(),
            out_dir: sources.to_str().unwrap().to_owned().into(),
            config_override: None,
            format: false,
            crate_filter: None,
            metadata_no_deps: true,
        })
        .map_err(|e| format!("generating the Kotlin: {e}"))?;
        let story = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/kotlin/Story.kt");
        let classes = work.join("classes");
        let mut cmd = Command::new("java");
        cmd.arg("-Xmx1g")
            .arg("-cp")
            .arg(&tools.compiler)
            .arg("org.jetbrains.kotlin.cli.jvm.K2JVMCompiler")
            .args(["-no-stdlib", "-no-reflect", "-nowarn", "-classpath"])
            .arg(std::env::join_paths(&tools.classpath).unwrap())
            .arg("-d")
            .arg(&classes)
            .arg(sources.join("uniffi/tidings/tidings.kt"))
            .arg(sources.join("uniffi/tidings_sdk/tidings_sdk.kt"))
            .arg(story);
        let (ok, output) = run(cmd, Duration::from_secs(300));
        if ok { Ok(classes) } else { Err(format!("kotlinc failed:\n{output}")) }
    })
}

async fn kotlin_story(backend: Backend) {
    let tools = match toolchain() {
        Ok(tools) => tools,
        Err(why) if std::env::var("CI").is_ok_and(|v| v == "true") => panic!("no Kotlin toolchain under CI: {why}"),
        Err(why) => {
            let _ = writeln!(std::io::stderr(), "SKIPPED the Kotlin story: {why} (.ci/run installs the toolchain)");
            return;
        }
    };
    let srv = spawn_server(backend).await;
    let peer = srv.peer().await;
    let url = |port: u16| format!("http://127.0.0.1:{port}");
    let server_a = url(srv.port());
    let server_b = peer.as_ref().map_or_else(|| server_a.clone(), |p| url(p.port()));
    let data = tempfile::tempdir().unwrap();
    let data_dir = data.path().to_owned();
    let (ok, output) = tokio::task::spawn_blocking(move || {
        let classes = compiled(&tools).as_ref().unwrap_or_else(|e| panic!("{e}"));
        let mut classpath = vec![classes.clone()];
        classpath.extend(tools.classpath.iter().cloned());
        let mut cmd = Command::new("java");
        cmd.arg(format!("-Djna.library.path={}", library().parent().unwrap().display()))
            .arg("-cp")
            .arg(std::env::join_paths(&classpath).unwrap())
            .arg("StoryKt")
            .env("TIDINGS_SERVER_A", server_a)
            .env("TIDINGS_SERVER_B", server_b)
            .env("TIDINGS_DATA", data_dir);
        run(cmd, STORY_LIMIT)
    })
    .await
    .unwrap();
    assert!(ok, "the Kotlin story failed:\n{output}");
    // The story reports each step; all of them ran.
    assert!(output.contains("PASSED all"), "the Kotlin story did not finish:\n{output}");
    drop(data);
}

tidings_tests::both_modes!(kotlin_story);
