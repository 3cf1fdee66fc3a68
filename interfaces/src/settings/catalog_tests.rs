//! The catalog against the structs it describes, and docs/operations.md against the catalog.

use std::collections::BTreeSet;

use figment::Figment;
use figment::providers::{Format, Toml};

use super::*;
use crate::settings::renamed::Renamed;

/// Every key the structs have, dotted, from the serialized defaults.
fn struct_keys() -> BTreeSet<String> {
    let defaults = serde_json::to_value(Settings::default()).unwrap();
    let mut keys = BTreeSet::new();
    for (name, value) in defaults.as_object().unwrap() {
        match value.as_object() {
            Some(section) => keys.extend(section.keys().map(|k| format!("{name}.{k}"))),
            None => {
                keys.insert(name.clone());
            }
        }
    }
    keys
}

#[test]
fn the_catalog_lists_every_key_of_the_structs_and_no_other() {
    let listed: Vec<String> = entries().into_iter().map(|e| e.key).collect();
    let unique: BTreeSet<String> = listed.iter().cloned().collect();
    assert_eq!(unique.len(), listed.len(), "a key is listed twice");
    let missing: Vec<_> = struct_keys().difference(&unique).cloned().collect();
    let extra: Vec<_> = unique.difference(&struct_keys()).cloned().collect();
    assert!(missing.is_empty() && extra.is_empty(), "not in the catalog: {missing:?}; not a setting: {extra:?}");
}

#[test]
fn every_old_name_is_still_read() {
    let defaults = serde_json::to_value(Settings::default()).unwrap();
    for e in entries() {
        let Some(was) = &e.was else { continue };
        let (section, old) = was.split_once('.').unwrap();
        let toml = format!("[{section}]\n{old} = 13\n");
        let s: Settings =
            Figment::from(Renamed::file(Toml::string(&toml))).extract().unwrap_or_else(|err| panic!("{was}: {err}"));
        let (section, new) = e.key.split_once('.').unwrap();
        let now = serde_json::to_value(&s).unwrap()[section][new].clone();
        assert_ne!(now, defaults[section][new], "{was} = 13 did not reach {}", e.key);
    }
}

#[test]
fn defaults_in_words_stay_true() {
    let queue = entries().into_iter().find(|e| e.key == "pipeline.queue_capacity").unwrap();
    assert_eq!(queue.default.text(), format!("{} per core", super::super::QUEUE_PER_CORE));
    let heartbeat = entries().into_iter().find(|e| e.key == "ws.heartbeat").unwrap();
    assert_eq!(heartbeat.default, Shown::Code("20s".into()));
}

#[test]
fn help_lists_every_variable_with_its_default() {
    let help = help_text();
    let listed: Vec<&str> = help.lines().filter(|l| l.starts_with("  TIDINGS_")).collect();
    assert_eq!(listed.len(), entries().len(), "one line per setting");
    for e in entries() {
        let line = listed.iter().find(|l| l.trim_start().starts_with(&format!("{} ", e.env)));
        let line = line.unwrap_or_else(|| panic!("--help misses {}", e.env));
        assert!(line.ends_with(&format!("[{}]", e.default.text())), "{line}");
    }
}

/// The first three cells of each row of the settings table in docs/operations.md.
fn documented_rows() -> Vec<(String, [String; 3])> {
    let doc = std::fs::read_to_string(concat!(env!("CARGO_MANIFEST_DIR"), "/../docs/operations.md")).unwrap();
    let mut lines = doc.lines().skip_while(|l| !l.starts_with("| setting | env | default | meaning |")).skip(2);
    let mut rows = Vec::new();
    for line in lines.by_ref().take_while(|l| l.starts_with('|')) {
        let cells: Vec<&str> = line.split('|').map(str::trim).collect();
        assert!(cells.len() >= 5, "not a settings row: {line}");
        rows.push((line.to_owned(), [cells[1].to_owned(), cells[2].to_owned(), cells[3].to_owned()]));
    }
    rows
}

#[test]
fn docs_operations_lists_what_the_catalog_has() {
    let rows = documented_rows();
    let mut wrong = Vec::new();
    for e in entries() {
        let expected = [format!("`{}`", e.key), format!("`{}`", e.env), e.default.markdown()];
        match rows.iter().find(|(_, cells)| cells[0] == expected[0]) {
            None => {
                wrong.push(format!("missing: | {} | {} | {} | {} |", expected[0], expected[1], expected[2], e.meaning))
            }
            Some((_, cells)) if *cells != expected => {
                wrong.push(format!("{cells:?} should start | {} | {} | {} |", expected[0], expected[1], expected[2]))
            }
            Some((line, _)) => {
                if let Some(was) = &e.was {
                    let old = was.rsplit('.').next().unwrap_or(was);
                    if !line.contains(&format!("`{old}`")) {
                        wrong.push(format!("{}: say the old key `{old}` still works", e.key));
                    }
                }
            }
        }
    }
    let known: BTreeSet<String> = entries().into_iter().map(|e| format!("`{}`", e.key)).collect();
    wrong.extend(rows.iter().filter(|(_, c)| !known.contains(&c[0])).map(|(_, c)| format!("not a setting: {}", c[0])));
    assert!(wrong.is_empty(), "docs/operations.md's settings table:\n{}", wrong.join("\n"));
}
