//! The Python bindings against a live server: generates the Python module from the library
//! this build produced (the cdylib next to the test binary), then runs `test_sdk.py` through
//! CPython (ctypes, no pip package) against a real server, in both modes. In cluster mode the
//! two Python clients sit on two different instances.

// Test code: a failed unwrap is a failed test, which is what we want.
#![allow(clippy::unwrap_used, clippy::expect_used, missing_docs)]
use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::Duration;

use tidings_tests::{Backend, spawn_server};

/// Longest run of the Python script (its own waits are bounded far below this).
const SCRIPT_LIMIT: Duration = Duration::from_secs(180);

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

/// Generates `language` bindings of the library into `dir` (as `uniffi-bindgen generate --library` does).
fn generate(language: uniffi::TargetLanguage, dir: &Path) {
    uniffi::generate(uniffi::GenerateOptions {
        languages: vec![language],
        source: library().to_str().unwrap().to_owned().into(),
        out_dir: dir.to_str().unwrap().to_owned().into(),
        config_override: None,
        format: false,
        crate_filter: None,
        metadata_no_deps: true,
    })
    .unwrap();
}

/// Generates the Python modules into `dir` (`tidings`, and `tidings_sdk` with the SDK's records
/// and events) and puts the library beside them.
fn generate_python(dir: &Path) {
    generate(uniffi::TargetLanguage::Python, dir);
    for module in ["tidings.py", "tidings_sdk.py"] {
        assert!(dir.join(module).exists(), "no {module} generated in {}", dir.display());
    }
    let lib = library();
    std::fs::copy(&lib, dir.join(lib.file_name().unwrap())).unwrap();
}

/// Kotlin and Swift cannot be compiled here (bindings/README.md), but their generation from
/// this build's library must work and expose the API: the client's suspend/async calls (local
/// search with its optional arguments defaulted), the listener interface, the error type with
/// the server's code, and the SDK's event enum and search records.
#[test]
fn kotlin_and_swift_are_generated() {
    let out = tempfile::tempdir().unwrap();
    generate(uniffi::TargetLanguage::Kotlin, &out.path().join("kotlin"));
    generate(uniffi::TargetLanguage::Swift, &out.path().join("swift"));
    let read =
        |p: &str| std::fs::read_to_string(out.path().join(p)).unwrap_or_else(|e| panic!("{p} was not generated: {e}"));
    let kotlin = read("kotlin/uniffi/tidings/tidings.kt");
    for needle in [
        "suspend fun `login`(",
        "suspend fun `badgeCount`(): kotlin.ULong",
        "suspend fun `muteConversationUntil`(`conv`: kotlin.String, `untilMs`: kotlin.Long)",
        "suspend fun `searchLocal`(`query`: kotlin.String, `conv`: kotlin.String? = null",
        "fun `serverCandidates`(): List<ServerCandidate>",
        "fun `chosenServer`(): kotlin.String?",
        "public interface EventListener",
        "sealed class TidingsException",
        "val `code`: kotlin.String",
    ] {
        assert!(kotlin.contains(needle), "generated Kotlin lacks {needle:?}");
    }
    let swift = read("swift/tidings.swift");
    for needle in [
        "func login(username: String, password: String) async throws",
        "func searchLocal(query: String",
        "protocol EventListener",
        "enum TidingsError",
    ] {
        assert!(swift.contains(needle), "generated Swift lacks {needle:?}");
    }
    // The SDK's records and events come in a module of their own, which Swift compiles with the rest.
    let kotlin_sdk = read("kotlin/uniffi/tidings_sdk/tidings_sdk.kt");
    assert!(kotlin_sdk.contains("sealed class ClientEvent"));
    assert!(kotlin_sdk.contains("data class LocalSearchPage"), "the local search records");
    assert!(kotlin_sdk.contains("data class PushSettings"), "the push settings records");
    assert!(kotlin_sdk.contains("data class ServerCandidate"), "the discovery record");
    assert!(kotlin_sdk.contains("var `discovery`: kotlin.Boolean = true"), "the config's discovery default");
    assert!(kotlin_sdk.contains("var `mutedUntil`: kotlin.Long?"), "the conversation's timed mute");
    let swift_sdk = read("swift/tidings_sdk.swift");
    assert!(swift_sdk.contains("enum ClientEvent"));
    assert!(swift_sdk.contains("struct LocalSearchPage"));
    assert!(read("swift/tidingsFFI.modulemap").contains("tidingsFFI"));
    assert!(read("swift/tidingsFFI.h").contains("uniffi_tidings_bindings_fn_method_tidingsclient_login"));
    // No Swift compiler here; the C side the XCFramework ships (the headers its module maps
    // name) is checked with the machine's C compiler, included from a one-line C file as Swift's
    // module map includes them. They are written for clang: GCC is told that clang's nullability
    // qualifiers mean nothing.
    for header in ["tidingsFFI.h", "tidings_sdkFFI.h"] {
        let source = out.path().join(format!("check_{header}.c"));
        std::fs::write(&source, format!("#include \"{header}\"\n")).unwrap();
        let out = std::process::Command::new("cc")
            .args(["-fsyntax-only", "-Wall", "-Werror", "-D_Nullable=", "-D_Nonnull=", "-D_Null_unspecified="])
            .arg("-I")
            .arg(out.path().join("swift"))
            .arg(&source)
            .output()
            .unwrap_or_else(|e| panic!("running cc on {header}: {e}"));
        assert!(out.status.success(), "{header} is not valid C: {}", String::from_utf8_lossy(&out.stderr));
    }
}

/// Runs the script; returns (success, stdout + stderr). Killed after [`SCRIPT_LIMIT`].
fn run_script(module_dir: &Path, data_dir: &Path, server_a: &str, server_b: &str) -> (bool, String) {
    let python = std::env::var("TIDINGS_PYTHON").unwrap_or_else(|_| "python3".into());
    let script = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/test_sdk.py");
    let mut cmd = Command::new(&python);
    cmd.arg(&script)
        .env("PYTHONPATH", module_dir)
        .env("PYTHONDONTWRITEBYTECODE", "1")
        .env("TIDINGS_SERVER_A", server_a)
        .env("TIDINGS_SERVER_B", server_b)
        .env("TIDINGS_DATA", data_dir);
    tidings_tests::helpers::run_bounded(cmd, SCRIPT_LIMIT)
}

async fn python_story(backend: Backend) {
    let srv = spawn_server(backend).await;
    let peer = srv.peer().await;
    let url = |port: u16| format!("http://127.0.0.1:{port}");
    let server_a = url(srv.port());
    let server_b = peer.as_ref().map_or_else(|| server_a.clone(), |p| url(p.port()));

    let work = tempfile::tempdir().unwrap();
    let module_dir = work.path().join("module");
    let data_dir = work.path().join("data");
    std::fs::create_dir_all(&data_dir).unwrap();
    let (ok, output) = tokio::task::spawn_blocking(move || {
        generate_python(&module_dir);
        run_script(&module_dir, &data_dir, &server_a, &server_b)
    })
    .await
    .unwrap();
    assert!(ok, "test_sdk.py failed:\n{output}");
    // The script reports each story step; all of them ran.
    assert!(output.contains("PASSED all"), "test_sdk.py did not finish:\n{output}");
    drop(work);
}

tidings_tests::both_modes!(python_story);
