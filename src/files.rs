//! The disk behind [`crate::core::FileSystem`]: paths relative to one directory.

use std::path::{Path, PathBuf};

use crate::core::{FileKind, FileSystem};

#[derive(Clone, Debug)]
pub struct DiskFiles {
    base: PathBuf,
}

impl DiskFiles {
    /// The files around `document`, or `None` when its directory does not exist (an unsaved
    /// buffer, a path from another machine).
    pub fn around(document: &Path) -> Option<DiskFiles> {
        let base = document.parent()?;
        let base = if base.as_os_str().is_empty() { Path::new(".") } else { base };
        base.is_dir().then(|| DiskFiles { base: base.to_path_buf() })
    }
}

impl FileSystem for DiskFiles {
    fn kind(&self, relative: &str) -> Option<FileKind> {
        let metadata = std::fs::metadata(self.base.join(relative)).ok()?;
        Some(if metadata.is_dir() { FileKind::Directory } else { FileKind::File })
    }
}
