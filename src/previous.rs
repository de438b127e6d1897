//! The previous versions of the DaemonSets being validated (`dsguard validate --previous`):
//! from files, from a git revision of the same paths, or from the cluster. Objects are
//! matched by namespace and name, as the API server identifies them: a DaemonSet without a
//! namespace is in the one given with `-n`, else `default` (kubectl's rule); one that moved
//! to another namespace is a new object, not an update.

use std::collections::{HashMap, HashSet};
use std::io::{BufRead, BufReader, Read, Write};
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};

use serde_json::Value;

use crate::audit::AuditOptions;
use crate::manifest::{self, Input};

/// Where the previous versions come from.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum PreviousSource {
    /// Files or directories of the old manifests.
    Paths(Vec<String>),
    /// The same paths at a git revision of the repository they live in (`git:REV`).
    Git(String),
    /// The live objects (`cluster`).
    Cluster,
}

impl PreviousSource {
    /// Reads `--previous`: `git:REV`, `cluster`, or a path.
    pub fn parse(arg: &str) -> PreviousSource {
        if let Some(rev) = arg.strip_prefix("git:") {
            PreviousSource::Git(rev.to_string())
        } else if arg == "cluster" {
            PreviousSource::Cluster
        } else {
            PreviousSource::Paths(vec![arg.to_string()])
        }
    }
}

/// Why the previous versions could not be read (exit code 2).
#[derive(Debug, thiserror::Error)]
#[error("--previous: {0}")]
pub struct PreviousError(pub String);

/// The previous DaemonSets by namespace and name, each kept as the compact JSON of what the
/// update rules read (its `spec`): a few KB of text instead of a tree of maps per object,
/// read into a borrowed [`crate::policy::Node`] only when its DaemonSet is checked.
#[derive(Debug, Default)]
pub struct Previous {
    objects: HashMap<(String, String), String>,
    default_namespace: String,
    /// Where they came from, for messages.
    pub source: String,
}

impl Previous {
    /// An empty set with `default_namespace` for objects without one.
    pub fn new(default_namespace: &str, source: String) -> Self {
        Previous {
            objects: HashMap::new(),
            default_namespace: default_namespace.to_string(),
            source,
        }
    }

    /// The namespace and name `obj` is known by.
    fn identity(&self, obj: &Value) -> Option<(String, String)> {
        identity(obj, &self.default_namespace)
    }

    /// Adds a previous object when it is a DaemonSet with a name.
    pub fn insert(&mut self, obj: Value) {
        if let Some((id, text)) = kept(obj, &self.default_namespace) {
            self.objects.insert(id, text);
        }
    }

    /// The previous version of `obj`, if there is one.
    pub fn get(&self, obj: &Value) -> Option<&str> {
        self.objects.get(&self.identity(obj)?).map(String::as_str)
    }

    /// How many previous DaemonSets were read.
    pub fn len(&self) -> usize {
        self.objects.len()
    }

    /// Whether none were read.
    pub fn is_empty(&self) -> bool {
        self.objects.is_empty()
    }

    /// The namespaces `inputs`' DaemonSets are in (for one list call per namespace).
    fn namespaces_of(&self, objects: &[Value]) -> Vec<String> {
        let set: HashSet<String> = objects
            .iter()
            .filter(|o| o.get("kind").and_then(Value::as_str) == Some("DaemonSet"))
            .filter_map(|o| self.identity(o).map(|(ns, _)| ns))
            .collect();
        let mut list: Vec<String> = set.into_iter().collect();
        list.sort();
        list
    }

    /// Adds every DaemonSet of the inputs' documents, read on all cores: reading YAML is
    /// most of the work of `--previous`, and each input stands alone. `read` gives an
    /// input's bytes.
    fn insert_all<T: Sync>(
        &mut self,
        inputs: &[T],
        read: impl Fn(&T) -> Result<std::borrow::Cow<'_, [u8]>, PreviousError> + Sync,
    ) -> Result<(), PreviousError> {
        let threads = std::thread::available_parallelism().map_or(1, |n| n.get());
        let chunk = inputs.len().div_ceil(threads).max(1);
        let ns = self.default_namespace.as_str();
        let read = &read;
        let parts: Vec<Result<Vec<Kept>, PreviousError>> = std::thread::scope(|scope| {
            let handles: Vec<_> = inputs
                .chunks(chunk)
                .map(|part| {
                    scope.spawn(move || {
                        let mut out = Vec::new();
                        for input in part {
                            let bytes = read(input)?;
                            out.extend(
                                manifest::read_documents(&bytes)
                                    .into_iter()
                                    .filter_map(|e| e.content.ok())
                                    .filter_map(|o| kept(o.value, ns)),
                            );
                        }
                        Ok(out)
                    })
                })
                .collect();
            handles
                .into_iter()
                .map(|h| {
                    h.join()
                        .unwrap_or_else(|_| Err(PreviousError("a reader thread failed".into())))
                })
                .collect()
        });
        for part in parts {
            for (id, text) in part? {
                self.objects.insert(id, text);
            }
        }
        Ok(())
    }
}

/// A previous DaemonSet as kept: its identity and the compact JSON of its `spec`.
type Kept = ((String, String), String);

/// The namespace and name `obj` is known by (`default_ns` when it names none).
fn identity(obj: &Value, default_ns: &str) -> Option<(String, String)> {
    let meta = obj.get("metadata")?;
    let name = meta.get("name").and_then(Value::as_str)?.to_string();
    let ns = meta
        .get("namespace")
        .and_then(Value::as_str)
        .filter(|n| !n.is_empty())
        .unwrap_or(default_ns)
        .to_string();
    Some((ns, name))
}

/// What is kept of a previous object: nothing unless it is a DaemonSet with a name; else
/// its `spec`, the only part the update rules read (the selector; the template, for the
/// validation options), as compact JSON.
fn kept(mut obj: Value, default_ns: &str) -> Option<Kept> {
    if obj.get("kind").and_then(Value::as_str) != Some("DaemonSet") {
        return None;
    }
    let id = identity(&obj, default_ns)?;
    let spec = match &mut obj {
        Value::Object(m) => m.remove("spec").unwrap_or(Value::Null),
        _ => Value::Null,
    };
    Some((id, serde_json::json!({ "spec": spec }).to_string()))
}

/// Reads the previous versions for the manifests being validated: `paths` are the path
/// arguments as given, `inputs` what they expanded to.
pub fn load(
    source: &PreviousSource,
    paths: &[String],
    inputs: &[Input],
    default_namespace: &str,
    cluster: &AuditOptions,
) -> Result<Previous, PreviousError> {
    match source {
        PreviousSource::Paths(paths) => {
            let mut previous = Previous::new(default_namespace, paths.join(", "));
            let inputs =
                manifest::expand_paths(paths, true).map_err(|e| PreviousError(e.to_string()))?;
            if inputs.iter().any(|i| matches!(i, Input::Stdin)) {
                return Err(PreviousError(
                    "stdin holds the manifests being validated; give the previous ones as a file, a directory, git:REV or cluster".into(),
                ));
            }
            previous.insert_all(&inputs, |input| {
                manifest::read_input(input)
                    .map(std::borrow::Cow::Owned)
                    .map_err(|e| PreviousError(format!("{}: {e}", input.name())))
            })?;
            Ok(previous)
        }
        PreviousSource::Git(rev) => from_git(rev, paths, default_namespace),
        PreviousSource::Cluster => {
            let mut previous = Previous::new(default_namespace, "cluster".into());
            let objects: Vec<Value> = inputs
                .iter()
                .flat_map(manifest::read_entries)
                .filter_map(|e| e.content.ok().map(|o| o.value))
                .collect();
            let namespaces = previous.namespaces_of(&objects);
            let runtime = tokio::runtime::Builder::new_current_thread()
                .enable_all()
                .build()
                .map_err(|e| PreviousError(format!("cannot start the runtime: {e}")))?;
            let listed = runtime
                .block_on(crate::audit::list_daemonsets(cluster, &namespaces))
                .map_err(|e| PreviousError(e.to_string()))?;
            previous.source = format!("cluster ({})", listed.0);
            for obj in listed.1 {
                previous.insert(obj);
            }
            Ok(previous)
        }
    }
}

/// Runs git in `dir` and returns stdout, or what it said on stderr.
fn git(dir: &Path, args: &[&str]) -> Result<String, PreviousError> {
    let out = Command::new("git")
        .arg("-C")
        .arg(dir)
        .args(args)
        .output()
        .map_err(|e| PreviousError(format!("cannot run git: {e}; git:REV needs git on PATH")))?;
    if !out.status.success() {
        return Err(PreviousError(format!(
            "git {} in {}: {}",
            args.join(" "),
            dir.display(),
            String::from_utf8_lossy(&out.stderr).trim()
        )));
    }
    Ok(String::from_utf8_lossy(&out.stdout).into_owned())
}

/// The same paths at `rev`: for a file, the file; for a directory, every manifest under it
/// then (so a file renamed inside the directory is still found). A path that did not exist
/// at `rev` has no previous version.
fn from_git(
    rev: &str,
    paths: &[String],
    default_namespace: &str,
) -> Result<Previous, PreviousError> {
    let mut previous = Previous::new(default_namespace, format!("git:{rev}"));
    // Repository root → paths (relative to the root) to read at `rev`.
    let mut wanted: HashMap<PathBuf, Vec<String>> = HashMap::new();
    let mut seen_roots: HashMap<PathBuf, PathBuf> = HashMap::new();
    for path in paths.iter().filter(|p| *p != "-").map(PathBuf::from) {
        let dir = if path.is_dir() {
            path.clone()
        } else {
            path.parent()
                .map(Path::to_path_buf)
                .unwrap_or_else(|| ".".into())
        };
        let dir = if dir.as_os_str().is_empty() {
            PathBuf::from(".")
        } else {
            dir
        };
        let root = match seen_roots.get(&dir) {
            Some(r) => r.clone(),
            None => {
                let r = PathBuf::from(git(&dir, &["rev-parse", "--show-toplevel"])?.trim());
                seen_roots.insert(dir.clone(), r.clone());
                r
            }
        };
        // The path relative to the root, as git names it.
        let prefix = git(&dir, &["rev-parse", "--show-prefix"])?
            .trim()
            .to_string();
        let rel = if path.is_dir() {
            prefix.trim_end_matches('/').to_string()
        } else {
            format!(
                "{prefix}{}",
                path.file_name()
                    .map(|f| f.to_string_lossy())
                    .unwrap_or_default()
            )
        };
        let listed = git(
            &root,
            &[
                "ls-tree",
                "-r",
                "--name-only",
                "--full-tree",
                rev,
                "--",
                if rel.is_empty() { "." } else { &rel },
            ],
        )?;
        let files = wanted.entry(root).or_default();
        files.extend(
            listed
                .lines()
                .filter(|f| f.ends_with(".yaml") || f.ends_with(".yml") || f.ends_with(".json"))
                .map(String::from),
        );
    }
    for (root, files) in wanted {
        let texts = cat_files(&root, rev, &files)?;
        previous.insert_all(&texts, |(_, bytes)| Ok(std::borrow::Cow::Borrowed(bytes)))?;
    }
    Ok(previous)
}

/// Reads many files at `rev` through one `git cat-file --batch` process.
fn cat_files(
    root: &Path,
    rev: &str,
    files: &[String],
) -> Result<Vec<(String, Vec<u8>)>, PreviousError> {
    let mut child = Command::new("git")
        .arg("-C")
        .arg(root)
        .args(["cat-file", "--batch"])
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .map_err(|e| PreviousError(format!("cannot run git: {e}")))?;
    let mut stdin = child
        .stdin
        .take()
        .ok_or_else(|| PreviousError("git stdin".into()))?;
    let requests: Vec<String> = files.iter().map(|f| format!("{rev}:{f}\n")).collect();
    // Written from a thread: git answers while it reads, and both pipes are bounded.
    let writer = std::thread::spawn(move || {
        for r in requests {
            if stdin.write_all(r.as_bytes()).is_err() {
                break;
            }
        }
    });
    let stdout = child
        .stdout
        .take()
        .ok_or_else(|| PreviousError("git stdout".into()))?;
    let mut reader = BufReader::new(stdout);
    let mut out = Vec::new();
    for file in files {
        let mut header = String::new();
        if reader
            .read_line(&mut header)
            .map_err(|e| PreviousError(e.to_string()))?
            == 0
        {
            break;
        }
        // "<sha> blob <size>" or "<name> missing".
        let parts: Vec<&str> = header.split_whitespace().collect();
        match parts.as_slice() {
            [_, "blob", size] => {
                let size: usize = size
                    .parse()
                    .map_err(|_| PreviousError(format!("git cat-file: {header}")))?;
                let mut content = vec![0; size];
                reader
                    .read_exact(&mut content)
                    .map_err(|e| PreviousError(e.to_string()))?;
                let mut newline = [0u8; 1];
                reader
                    .read_exact(&mut newline)
                    .map_err(|e| PreviousError(e.to_string()))?;
                out.push((file.clone(), content));
            }
            [_, _kind, size] => {
                // Not a file (a submodule or a tree): skip its content.
                let size: usize = size.parse().unwrap_or(0);
                let mut skip = vec![0; size + 1];
                reader
                    .read_exact(&mut skip)
                    .map_err(|e| PreviousError(e.to_string()))?;
            }
            _ => {} // missing at rev
        }
    }
    let _ = writer.join();
    let status = child.wait().map_err(|e| PreviousError(e.to_string()))?;
    if !status.success() {
        return Err(PreviousError(format!(
            "git cat-file failed in {}",
            root.display()
        )));
    }
    Ok(out)
}
