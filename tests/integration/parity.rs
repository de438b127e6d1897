//! docs/parity.md stays true: every row that says where dsguard implements a Go function
//! names a file that exists and a function (or type, const) that the file defines, and rule
//! ids that exist; every row that says a function is not implemented gives a reason from
//! the document's fixed vocabulary.

use dsguard::policy::RuleId;

use crate::root;

/// The backticked tokens of a table cell.
fn ticks(cell: &str) -> Vec<&str> {
    cell.split('`').skip(1).step_by(2).collect()
}

#[test]
fn parity_rows_name_real_functions_and_rules() {
    let doc = std::fs::read_to_string(root().join("docs/parity.md")).unwrap();
    let rule_ids: Vec<&str> = RuleId::ALL.iter().map(|r| r.as_str()).collect();
    let reasons = [
        "needs cluster state",
        "Pod only",
        "feature gate off by default",
        "cannot fail for apps/v1 input",
        "not ported",
    ];
    let (mut implemented, mut not) = (0, 0);
    let mut problems = Vec::new();
    for line in doc.lines().filter(|l| l.starts_with("| `")) {
        let cells: Vec<&str> = line.split('|').map(str::trim).collect();
        // "", Go function, what, where, rule or reason, "".
        if cells.len() < 6 {
            problems.push(format!("not a 4-column row: {line}"));
            continue;
        }
        let go = ticks(cells[1]).first().copied().unwrap_or("?");
        let (place, rule) = (cells[3], cells[4]);
        if place == "—" {
            not += 1;
            if !reasons.iter().any(|r| rule.contains(r)) {
                problems.push(format!("{go}: reason {rule:?} is none of {reasons:?}"));
            }
            continue;
        }
        implemented += 1;
        let mut file: Option<String> = None;
        for token in ticks(place) {
            if token.ends_with(".rs") {
                match std::fs::read_to_string(root().join(token)) {
                    Ok(text) => file = Some(text),
                    Err(e) => problems.push(format!("{go}: {token}: {e}")),
                }
                continue;
            }
            let Some(text) = &file else {
                problems.push(format!("{go}: {token} comes before any file"));
                continue;
            };
            let name = token.rsplit("::").next().unwrap_or(token);
            let defined = ["fn", "struct", "enum", "const", "static", "type", "trait"]
                .iter()
                .any(|kw| {
                    text.contains(&format!("{kw} {name}("))
                        || text.contains(&format!("{kw} {name}<"))
                        || text.contains(&format!("{kw} {name} "))
                        || text.contains(&format!("{kw} {name}:"))
                });
            if !defined {
                problems.push(format!("{go}: `{token}` is not defined in the file named"));
            }
        }
        for id in rule.split(',').map(str::trim) {
            if !rule_ids.contains(&id) {
                problems.push(format!("{go}: rule {id:?} does not exist"));
            }
        }
    }
    assert!(problems.is_empty(), "{}", problems.join("\n"));
    assert!(
        implemented > 250 && not > 0,
        "{implemented} implemented, {not} not: rows lost?"
    );
}
