//! The Kubernetes versions whose strict DaemonSet schema dsguard embeds
//! ([`KubernetesVersion`], `--kubernetes-version`), and each version's schema, built only
//! when that version is asked for.
//!
//! How they are stored: the latest version's schema whole (`daemonset.schema.json`, 95 KB
//! as written, kept readable and equal to k8s-openapi `latest` by `embedded_schema_is_current`),
//! and every older version as an RFC 6902 JSON Patch that turns the latest schema into
//! that version's (`schemas/1.NN.patch.json`, 1.3 to 3.4 KB each, 15 KB for 1.30 to 1.36).
//! Chosen over compressing each schema whole (deflate gives about 4.5 KB a version, 36 KB
//! for eight, plus a decompressor crate): neighbouring versions differ by a few dozen fields,
//! so the patches are smaller than compressed schemas; they are applied with `json-patch`,
//! which dsguard links already for its mutations, so no dependency is added; and they read
//! in review as what they are, the fields a version lacks or has besides the latest's.
//! Both kinds of file are written by `scripts/gen-schemas.sh` from k8s-openapi (one build
//! per version, through tools/schema-gen, with the post-processing of
//! `schema_postprocess.rs`); `--check` there proves them current.

use std::fmt;
use std::str::FromStr;

use serde_json::Value;

/// The latest version's strict schema, whole.
pub(super) const LATEST_SCHEMA: &str = include_str!("daemonset.schema.json");

/// The oldest supported version's minor number.
const OLDEST_MINOR: u8 = 30;

/// The older versions, oldest first from [`OLDEST_MINOR`], as JSON Patches against
/// [`LATEST_SCHEMA`]; the latest version is the one after the last of them.
const PATCHES: [&str; 7] = [
    include_str!("schemas/1.30.patch.json"),
    include_str!("schemas/1.31.patch.json"),
    include_str!("schemas/1.32.patch.json"),
    include_str!("schemas/1.33.patch.json"),
    include_str!("schemas/1.34.patch.json"),
    include_str!("schemas/1.35.patch.json"),
    include_str!("schemas/1.36.patch.json"),
];

/// A Kubernetes release whose DaemonSet schema the strict schema check (`schema`,
/// `unknown-field`) uses: a field the release does not know is an unknown field there.
/// Releases are `1.MINOR`; patch releases do not change the API, so `1.30.4` is `1.30`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct KubernetesVersion {
    minor: u8,
}

impl KubernetesVersion {
    /// How many versions are supported.
    pub const COUNT: usize = PATCHES.len() + 1;
    /// The oldest supported version.
    pub const OLDEST: KubernetesVersion = KubernetesVersion {
        minor: OLDEST_MINOR,
    };
    /// The newest supported version, the one k8s-openapi `latest` describes (the default).
    pub const LATEST: KubernetesVersion = KubernetesVersion {
        minor: OLDEST_MINOR + PATCHES.len() as u8,
    };

    /// Every supported version, oldest first.
    pub fn supported() -> impl Iterator<Item = KubernetesVersion> {
        (Self::OLDEST.minor..=Self::LATEST.minor).map(|minor| KubernetesVersion { minor })
    }

    /// The minor number: 30 for 1.30.
    pub fn minor(self) -> u8 {
        self.minor
    }

    /// 0 for the oldest supported version, `COUNT - 1` for the latest.
    pub(super) fn index(self) -> usize {
        usize::from(self.minor - OLDEST_MINOR)
    }

    /// This version's strict schema: the latest's, with the version's patch applied.
    pub(super) fn schema(self) -> Value {
        let mut schema: Value = serde_json::from_str(LATEST_SCHEMA)
            .expect("the embedded latest schema is JSON (covered by tests)");
        if let Some(patch) = PATCHES.get(self.index()) {
            let patch: json_patch::Patch = serde_json::from_str(patch)
                .expect("the embedded schema patches are JSON Patches (covered by tests)");
            json_patch::patch(&mut schema, &patch)
                .expect("the embedded schema patches apply (covered by tests)");
        }
        schema
    }
}

impl Default for KubernetesVersion {
    fn default() -> Self {
        Self::LATEST
    }
}

impl fmt::Display for KubernetesVersion {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "1.{}", self.minor)
    }
}

/// A `--kubernetes-version` that is not a supported version. The message lists them.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{given}; dsguard knows the DaemonSet schema of Kubernetes {list} (as 1.N, v1.N or 1.N.PATCH), or latest ({latest})",
    list = supported_list(), latest = KubernetesVersion::LATEST)]
pub struct UnsupportedVersion {
    given: String,
}

fn supported_list() -> String {
    KubernetesVersion::supported()
        .map(|v| v.to_string())
        .collect::<Vec<_>>()
        .join(", ")
}

impl FromStr for KubernetesVersion {
    type Err = UnsupportedVersion;

    /// `latest`, `1.30`, `v1.30`, `1.30.4` or `v1.30.4`.
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        let err = |given: String| Err(UnsupportedVersion { given });
        let trimmed = s.trim();
        if trimmed.eq_ignore_ascii_case("latest") {
            return Ok(Self::LATEST);
        }
        let digits = trimmed.strip_prefix('v').unwrap_or(trimmed);
        let parts: Vec<&str> = digits.split('.').collect();
        let number = |p: &str| !p.is_empty() && p.bytes().all(|b| b.is_ascii_digit());
        if !(parts.len() == 2 || parts.len() == 3) || !parts.iter().all(|p| number(p)) {
            return err(format!("{s:?} is not a Kubernetes version"));
        }
        let minor = parts[1].parse::<u8>().ok();
        match (parts[0], minor) {
            ("1", Some(minor)) if (Self::OLDEST.minor..=Self::LATEST.minor).contains(&minor) => {
                Ok(KubernetesVersion { minor })
            }
            _ => err(format!("Kubernetes {digits} is not supported")),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_versions() {
        let v30 = KubernetesVersion { minor: 30 };
        for s in ["1.30", "v1.30", "1.30.4", "v1.30.0", " 1.30 "] {
            assert_eq!(s.parse(), Ok(v30), "{s}");
        }
        for s in ["latest", "LATEST", "1.37"] {
            assert_eq!(s.parse(), Ok(KubernetesVersion::LATEST), "{s}");
        }
        assert_eq!(KubernetesVersion::LATEST.to_string(), "1.37");
        assert_eq!(KubernetesVersion::default(), KubernetesVersion::LATEST);
        assert_eq!(
            KubernetesVersion::supported()
                .map(|v| v.to_string())
                .collect::<Vec<_>>(),
            [
                "1.30", "1.31", "1.32", "1.33", "1.34", "1.35", "1.36", "1.37"
            ]
        );
    }

    #[test]
    fn refuses_others_listing_the_supported() {
        for (s, start) in [
            ("1.29", "Kubernetes 1.29 is not supported"),
            ("1.38", "Kubernetes 1.38 is not supported"),
            ("2.0", "Kubernetes 2.0 is not supported"),
            ("1.300", "Kubernetes 1.300 is not supported"),
            ("abc", "\"abc\" is not a Kubernetes version"),
            ("1", "\"1\" is not a Kubernetes version"),
            ("1.30.4.1", "\"1.30.4.1\" is not a Kubernetes version"),
            ("1.x", "\"1.x\" is not a Kubernetes version"),
            ("", "\"\" is not a Kubernetes version"),
        ] {
            let e = s.parse::<KubernetesVersion>().unwrap_err().to_string();
            assert!(e.starts_with(start), "{s}: {e}");
            assert!(
                e.contains("1.30, 1.31, 1.32, 1.33, 1.34, 1.35, 1.36, 1.37")
                    && e.contains("latest (1.37)"),
                "{e}"
            );
        }
    }

    /// Every file in schemas/ is in [`PATCHES`], in order, and nothing else is.
    #[test]
    fn patches_are_the_files_of_schemas() {
        let dir = concat!(env!("CARGO_MANIFEST_DIR"), "/src/policy/schemas");
        let mut files: Vec<String> = std::fs::read_dir(dir)
            .unwrap()
            .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
            .collect();
        files.sort_by_key(|f| f.split('.').nth(1).and_then(|m| m.parse::<u8>().ok()));
        let expected: Vec<String> = KubernetesVersion::supported()
            .filter(|v| *v != KubernetesVersion::LATEST)
            .map(|v| format!("{v}.patch.json"))
            .collect();
        assert_eq!(files, expected);
        for (file, patch) in files.iter().zip(PATCHES) {
            let on_disk = std::fs::read_to_string(format!("{dir}/{file}")).unwrap();
            assert_eq!(on_disk, patch, "{file}");
        }
    }
}
