//! Policy sources: where a scenario's policies come from — an inline JSON object, a JSON string
//! holding a policy document (as AWS APIs return them), a `{"file": ...}` reference relative to
//! the referring file, or a file named on the command line — read with the scenario's limits.

use crate::diag::{first_error, Diagnostic, InputError};
use crate::io::Roots;
use crate::json::{self, Json, JsonKind};
use crate::policy::{parse_policy, ParseOptions, Policy, PolicyKind};
use rustc_hash::FxHashMap;
use std::path::{Path, PathBuf};

/// Loads policies, caching files (a case file's tests often share them), collecting warnings.
#[derive(Debug)]
pub struct PolicyLoader {
    cache: FxHashMap<(PathBuf, u8), Policy>,
    /// Warnings from the policies loaded.
    pub warnings: Vec<Diagnostic>,
    /// Validation options (from the scenario's settings).
    pub options: ParseOptions,
    /// Where `{"file"}` references may point.
    pub roots: Roots,
    /// Policy files under this directory are named relative to it: a Spark or Ray worker that
    /// reads the driver's files by their absolute path still labels statements as the driver
    /// (and `iamsim batch`) does.
    pub shown_relative_to: Option<PathBuf>,
}

impl Default for PolicyLoader {
    fn default() -> Self {
        PolicyLoader::new(Roots::current_dir())
    }
}

fn json_limits(o: &ParseOptions) -> json::Limits {
    json::Limits {
        max_depth: o.limits.max_depth,
        max_bytes: o.limits.max_bytes,
    }
}

/// `path` relative to the directory `base` (both absolute): `base/a/b` is `a/b`, a sibling
/// `base/../c` is `../c`; a relative `path` is returned as it is.
fn relative_to(path: &Path, base: &Path) -> PathBuf {
    use std::path::Component;
    if !path.is_absolute() || !base.is_absolute() {
        return path.to_path_buf();
    }
    let (p, b): (Vec<Component>, Vec<Component>) =
        (path.components().collect(), base.components().collect());
    let common = p.iter().zip(&b).take_while(|(x, y)| x == y).count();
    let mut out = PathBuf::new();
    for _ in common..b.len() {
        out.push("..");
    }
    for c in &p[common..] {
        out.push(c.as_os_str());
    }
    out
}

fn rejected(ds: &[Diagnostic]) -> InputError {
    InputError::from_diag(first_error(ds))
}

impl PolicyLoader {
    /// A loader whose references must resolve inside `roots`.
    pub fn new(roots: Roots) -> PolicyLoader {
        PolicyLoader {
            cache: FxHashMap::default(),
            warnings: Vec::new(),
            options: ParseOptions::default(),
            roots,
            shown_relative_to: None,
        }
    }

    /// Loads one policy file (a file named by the user, or a checked reference). At most
    /// `max_policy_bytes` are read.
    pub fn load_file(&mut self, path: &Path, kind: PolicyKind) -> Result<Policy, InputError> {
        self.load_file_as(path, &path.display().to_string(), kind)
    }

    /// [`Self::load_file`], naming the file `shown` in labels and messages.
    fn load_file_as(
        &mut self,
        path: &Path,
        shown: &str,
        kind: PolicyKind,
    ) -> Result<Policy, InputError> {
        let key = (path.to_path_buf(), kind as u8);
        if let Some(p) = self.cache.get(&key) {
            return Ok(p.clone());
        }
        let shown = shown.to_string();
        let text = crate::io::read_text(path, self.options.limits.max_bytes as u64)?;
        let j = json::parse_with(&text, json_limits(&self.options))
            .map_err(|e| super::json_error(&text, &shown, e))?;
        let (p, w) =
            parse_policy(&j, &shown, &shown, kind, self.options).map_err(|ds| rejected(&ds))?;
        self.warnings.extend(w);
        if !crate::io::read::is_stdin(path) {
            self.cache.insert(key, p.clone());
        }
        Ok(p)
    }

    /// Resolves a Policy value of a scenario found in `file` (whose directory is `base_dir`) at
    /// JSON path `name`.
    pub fn resolve(
        &mut self,
        v: &Json,
        file: &str,
        base_dir: &Path,
        name: &str,
        kind: PolicyKind,
    ) -> Result<Policy, InputError> {
        match &v.kind {
            JsonKind::Object(members) if members.len() == 1 && members[0].key == "file" => {
                let target = &members[0].value;
                let Some(rel) = target.as_str() else {
                    return Err(InputError::at(
                        file,
                        target.pos,
                        &format!("{name}.file"),
                        format!(
                            "\"file\" must be a string path, found {}",
                            target.type_name()
                        ),
                    ));
                };
                let path =
                    self.roots
                        .resolve(file, target.pos, &format!("{name}.file"), base_dir, rel)?;
                // A relative reference read from the driver's directory is named as the driver
                // names it (relative to that directory); an absolute one keeps its own text.
                let shown = match &self.shown_relative_to {
                    Some(root) if Path::new(rel).is_relative() => relative_to(&path, root),
                    _ => path.clone(),
                };
                self.load_file_as(&path, &shown.display().to_string(), kind)
            }
            JsonKind::Object(_) => {
                let (p, w) =
                    parse_policy(v, file, name, kind, self.options).map_err(|ds| rejected(&ds))?;
                self.warnings.extend(w);
                Ok(p)
            }
            JsonKind::String(text) => {
                let label = format!("{file}:{}:{} (policy string)", v.pos.line, v.pos.col);
                let j = json::parse_with(text, json_limits(&self.options))
                    .map_err(|e| InputError::at(&label, e.pos, name, e.message))?;
                let (mut p, w) = parse_policy(&j, &label, name, kind, self.options)
                    .map_err(|ds| rejected(&ds))?;
                // Statement positions inside the string are not positions in the file: point at
                // the string itself.
                for s in &mut p.statements {
                    s.pos = v.pos;
                    s.end = v.end;
                }
                p.file = file.to_string();
                self.warnings.extend(w);
                Ok(p)
            }
            _ => Err(InputError::at(
                file,
                v.pos,
                name,
                format!(
                    "a policy must be an object, a JSON string or {{\"file\": \"path\"}}, found {}",
                    v.type_name()
                ),
            )),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::relative_to;
    use std::path::{Path, PathBuf};

    #[test]
    fn paths_are_named_relative_to_the_driver_directory() {
        let base = Path::new("/home/u/proj");
        assert_eq!(
            relative_to(Path::new("/home/u/proj/pol/p.json"), base),
            PathBuf::from("pol/p.json")
        );
        assert_eq!(
            relative_to(Path::new("/home/u/other/p.json"), base),
            PathBuf::from("../other/p.json")
        );
        assert_eq!(
            relative_to(Path::new("rel/p.json"), base),
            PathBuf::from("rel/p.json")
        );
    }
}
