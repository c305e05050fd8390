//! Every translation key used in the code exists in both languages, and both languages have the
//! same keys, so no page ever shows a raw key.

use std::{collections::BTreeSet, fs, path::Path};

fn flatten(prefix: &str, value: &serde_yaml::Value, out: &mut BTreeSet<String>) {
    match value {
        serde_yaml::Value::Mapping(map) => {
            for (k, v) in map {
                let key = k.as_str().expect("string keys");
                let full = if prefix.is_empty() { key.to_string() } else { format!("{prefix}.{key}") };
                flatten(&full, v, out);
            }
        }
        _ => {
            out.insert(prefix.to_string());
        }
    }
}

fn keys_of(file: &str) -> BTreeSet<String> {
    let path = Path::new(env!("CARGO_MANIFEST_DIR")).join("locales").join(file);
    let value: serde_yaml::Value = serde_yaml::from_str(&fs::read_to_string(path).unwrap()).unwrap();
    let mut keys = BTreeSet::new();
    flatten("", &value, &mut keys);
    keys
}

/// Keys passed as literals to `.t("…")` or `.t_with("…", …)` anywhere in `src/`; a key counted
/// with `.t_count("…", n, …)` needs both its `one` and `other` forms.
fn keys_used_in(dir: &Path, out: &mut BTreeSet<String>) {
    for entry in fs::read_dir(dir).unwrap() {
        let path = entry.unwrap().path();
        if path.is_dir() {
            keys_used_in(&path, out);
        } else if path.extension().is_some_and(|e| e == "rs") {
            let text = fs::read_to_string(&path).unwrap();
            for marker in [".t(\"", ".t_with(\""] {
                for (at, _) in text.match_indices(marker) {
                    let rest = &text[at + marker.len()..];
                    out.insert(rest[..rest.find('"').unwrap()].to_string());
                }
            }
            for (at, _) in text.match_indices(".t_count(\"") {
                let rest = &text[at + ".t_count(\"".len()..];
                let key = &rest[..rest.find('"').unwrap()];
                out.insert(format!("{key}.one"));
                out.insert(format!("{key}.other"));
            }
        }
    }
}

#[test]
fn english_and_chinese_have_exactly_the_same_keys() {
    let en = keys_of("en.yml");
    let zh = keys_of("zh-CN.yml");
    let only_en: Vec<_> = en.difference(&zh).collect();
    let only_zh: Vec<_> = zh.difference(&en).collect();
    assert!(
        only_en.is_empty() && only_zh.is_empty(),
        "missing in zh-CN: {only_en:?}; missing in en: {only_zh:?}"
    );
}

#[test]
fn every_key_used_in_the_code_is_translated() {
    let mut used = BTreeSet::new();
    keys_used_in(&Path::new(env!("CARGO_MANIFEST_DIR")).join("src"), &mut used);
    assert!(used.len() > 10, "the scan found the keys: {used:?}");
    let en = keys_of("en.yml");
    let missing: Vec<_> = used.iter().filter(|k| !en.contains(*k)).collect();
    assert!(missing.is_empty(), "keys used but not in the locale files: {missing:?}");
}
