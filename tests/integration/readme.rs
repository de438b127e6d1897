//! The README stays true: its rule table lists every rule with its default severity, and
//! the console examples it shows are what the binary prints.

use dsguard::policy::RuleId;

use crate::{out, root};

fn readme() -> String {
    std::fs::read_to_string(root().join("README.md")).unwrap()
}

#[test]
fn the_rule_table_lists_every_rule_with_its_default_severity() {
    let text = readme();
    let table = text
        .split("## Rules")
        .nth(1)
        .and_then(|s| s.split("\n## ").next())
        .expect("a Rules section");
    let rows: Vec<(String, String)> = table
        .lines()
        .filter(|l| l.starts_with("| `"))
        .map(|l| {
            let cells: Vec<&str> = l.split('|').map(str::trim).collect();
            (cells[1].trim_matches('`').to_string(), cells[2].to_string())
        })
        .collect();
    let want: Vec<(String, String)> = RuleId::ALL
        .iter()
        .map(|r| {
            (
                r.as_str().to_string(),
                r.default_severity().as_str().to_string(),
            )
        })
        .collect();
    assert_eq!(
        rows, want,
        "README rule table vs src/policy/rules.rs, in catalogue order"
    );
}

/// Runs each `$ dsguard …` console example whose output the README shows in full and
/// compares (examples that elide output with `…` are left out), in a directory holding
/// `examples/` and the seed workflow's `web.yaml`, made as the README makes it (kubectl).
#[test]
fn console_examples_print_what_the_readme_shows() {
    let text = readme();
    let dir = tempfile::tempdir().unwrap();
    std::os::unix::fs::symlink(root().join("examples"), dir.path().join("examples")).unwrap();
    let web = crate::kubectl::seed_daemonset();
    std::fs::write(dir.path().join("web.yaml"), web).unwrap();
    let mut checked = 0;
    for block in text.split("```console\n").skip(1) {
        let block = block.split("```").next().unwrap();
        let mut lines = block.lines();
        let Some(command) = lines.next().and_then(|l| l.strip_prefix("$ dsguard ")) else {
            continue;
        };
        let shown: String = lines.map(|l| format!("{l}\n")).collect();
        if shown.contains('…')
            || command.contains(" -o policyreport")
            || command.contains("--kubernetes-version")
        {
            continue;
        }
        let args: Vec<&str> = command.split(' ').collect();
        let o = crate::dsguard_in(dir.path(), &args, None);
        assert_eq!(out(&o), shown, "README: $ dsguard {command}");
        checked += 1;
    }
    assert!(checked >= 2, "console examples went unchecked");
}
