//! Where `{"file": ...}` references may point.
//!
//! A case file or scenario is often someone else's (a pull request, a downloaded example). Its
//! `{"file": "../../../etc/shadow"}` must not make iamsim read, and then quote in an error, a
//! file the user never meant to give it. A reference is resolved relative to the directory of
//! the file that names it, symlinks are resolved, and the result must lie inside one of the
//! allowed roots: the directory iamsim was started in, the directory of every input named on
//! the command line, and any directory widened explicitly with `--root DIR`.

use crate::diag::InputError;
use crate::json::Pos;
use std::path::{Component, Path, PathBuf};

/// The directories references may resolve into (canonical paths).
#[derive(Debug, Clone, Default)]
pub struct Roots {
    dirs: Vec<PathBuf>,
    /// No confinement at all (library users who trust their inputs; `--root /`).
    unrestricted: bool,
}

impl Roots {
    /// The current directory only.
    pub fn current_dir() -> Roots {
        let mut r = Roots::default();
        if let Ok(d) = std::env::current_dir() {
            r.allow_dir(&d);
        }
        r
    }

    /// Any path is allowed.
    pub fn unrestricted() -> Roots {
        Roots {
            dirs: Vec::new(),
            unrestricted: true,
        }
    }

    /// Allows references into `dir` (and below).
    pub fn allow_dir(&mut self, dir: &Path) {
        if let Ok(c) = dir.canonicalize() {
            if c == Path::new("/") {
                self.unrestricted = true;
            }
            if !self.dirs.contains(&c) {
                self.dirs.push(c);
            }
        }
    }

    /// Allows references next to an input named on the command line: the directory itself for
    /// a directory, the file's directory for a file.
    pub fn allow_input(&mut self, input: &Path) {
        if crate::io::read::is_stdin(input) {
            return;
        }
        if input.is_dir() {
            self.allow_dir(input);
        } else {
            let parent = input.parent().filter(|p| !p.as_os_str().is_empty());
            self.allow_dir(parent.unwrap_or(Path::new(".")));
        }
    }

    /// Whether `canonical` lies inside an allowed root.
    pub fn contains(&self, canonical: &Path) -> bool {
        self.unrestricted || self.dirs.iter().any(|d| canonical.starts_with(d))
    }

    /// Resolves a `{"file": rel}` reference found at `pos` in `file`, whose directory is
    /// `base_dir`: the lexically normalised path to read (for labels), after checking that it
    /// exists and that its real location is inside the roots.
    pub fn resolve(
        &self,
        file: &str,
        pos: Pos,
        json_path: &str,
        base_dir: &Path,
        rel: &str,
    ) -> Result<PathBuf, InputError> {
        let path = normalize(&base_dir.join(rel));
        let real = path.canonicalize().map_err(|_| {
            InputError::at(
                file,
                pos,
                json_path,
                format!(
                    "policy file \"{rel}\" does not exist (resolved to {}; paths are relative to the directory of {file})",
                    path.display()
                ),
            )
        })?;
        if !self.contains(&real) {
            return Err(InputError::at(
                file,
                pos,
                json_path,
                format!(
                    "policy file \"{rel}\" resolves to {}, outside the directories iamsim may read ({}); \
                     run from a directory that contains it or widen with --root DIR",
                    real.display(),
                    self.describe()
                ),
            ));
        }
        Ok(path)
    }

    fn describe(&self) -> String {
        if self.dirs.is_empty() {
            return "none".into();
        }
        self.dirs
            .iter()
            .map(|d| d.display().to_string())
            .collect::<Vec<_>>()
            .join(", ")
    }
}

/// The regular files below `dir` that `keep` accepts, sorted. Directory symlinks are not
/// followed (a loop would list the same files again and again, or forever).
pub fn walk_files(dir: &Path, keep: &dyn Fn(&Path) -> bool) -> std::io::Result<Vec<PathBuf>> {
    fn walk(
        dir: &Path,
        keep: &dyn Fn(&Path) -> bool,
        out: &mut Vec<PathBuf>,
    ) -> std::io::Result<()> {
        for e in std::fs::read_dir(dir)? {
            let e = e?;
            let p = e.path();
            // file_type() does not follow symlinks: a symlinked directory is skipped.
            let ft = e.file_type()?;
            if ft.is_dir() {
                walk(&p, keep, out)?;
            } else if ft.is_file() && keep(&p) {
                out.push(p);
            }
        }
        Ok(())
    }
    let mut out = Vec::new();
    walk(dir, keep, &mut out)?;
    out.sort();
    Ok(out)
}

/// Removes `.` and `dir/..` components lexically, so labels read `testdata/policies/p.json`
/// rather than `testdata/cases/../policies/p.json`.
pub fn normalize(p: &Path) -> PathBuf {
    let mut out: Vec<Component<'_>> = Vec::new();
    for c in p.components() {
        match c {
            Component::CurDir => {}
            Component::ParentDir if matches!(out.last(), Some(Component::Normal(_))) => {
                out.pop();
            }
            c => out.push(c),
        }
    }
    if out.is_empty() {
        return PathBuf::from(".");
    }
    out.iter().collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn tmp(name: &str) -> PathBuf {
        let d = std::env::temp_dir().join(format!("iamsim-roots-{name}-{}", std::process::id()));
        let _ = std::fs::remove_dir_all(&d);
        std::fs::create_dir_all(d.join("cases")).unwrap();
        std::fs::create_dir_all(d.join("policies")).unwrap();
        std::fs::write(d.join("policies/p.json"), "{}").unwrap();
        d
    }

    #[test]
    fn references_inside_the_root_resolve_and_escapes_are_refused() {
        let d = tmp("esc");
        let mut roots = Roots::default();
        roots.allow_dir(&d);
        let base = d.join("cases");
        let ok = roots.resolve("c.json", Pos::default(), "p", &base, "../policies/p.json");
        assert_eq!(ok.unwrap(), d.join("policies/p.json"));
        let e = roots
            .resolve(
                "c.json",
                Pos::default(),
                "p",
                &base,
                "../../../../../../etc/passwd",
            )
            .unwrap_err();
        assert!(e.message.contains("outside the directories"), "{e}");
        let e = roots
            .resolve("c.json", Pos::default(), "p", &base, "/etc/passwd")
            .unwrap_err();
        assert!(e.message.contains("outside"), "{e}");
        std::fs::remove_dir_all(&d).unwrap();
    }

    #[test]
    fn a_symlink_pointing_out_is_refused() {
        let d = tmp("link");
        std::os::unix::fs::symlink("/etc/passwd", d.join("policies/link.json")).unwrap();
        let mut roots = Roots::default();
        roots.allow_dir(&d);
        let e = roots
            .resolve(
                "c.json",
                Pos::default(),
                "p",
                &d.join("cases"),
                "../policies/link.json",
            )
            .unwrap_err();
        assert!(e.message.contains("resolves to /etc/passwd"), "{e}");
        std::fs::remove_dir_all(&d).unwrap();
    }

    #[test]
    fn a_missing_reference_names_the_path_as_written_and_resolved() {
        let d = tmp("missing");
        let mut roots = Roots::default();
        roots.allow_dir(&d);
        let e = roots
            .resolve("c.json", Pos::default(), "p", &d.join("cases"), "nope.json")
            .unwrap_err();
        assert!(e.message.contains("\"nope.json\""), "{e}");
        assert!(e.message.contains("cases/nope.json"), "{e}");
        std::fs::remove_dir_all(&d).unwrap();
    }
}
