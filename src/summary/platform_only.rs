//! Modules that exist on some platforms only: importing one elsewhere raises `ImportError`
//! (`ModuleNotFoundError`), so a module that imports one without a fallback runs only where
//! it exists (see docs/import-time.md, "Platform-only modules"). This is the one list;
//! the summary visitor narrows the platforms of what follows such an import with it.
//!
//! Sources, the "Availability" notes of the CPython library docs:
//! - Windows: the "MS Windows Specific Services" chapter (`msvcrt`, `winreg`, `winsound`);
//!   `_winapi`, `_overlapped` and `nt` are built only on Windows (`PC/config.c`); `msilib`
//!   and `_msi` (Windows, removed in 3.13 by PEP 594). pywin32 (`win32api`, `pythoncom`,
//!   `win32com`, …) ships Windows wheels only.
//! - Unix: the "Unix Specific Services" chapter, each page marked "Availability: Unix"
//!   (gh-106861: `posix`, `pwd`, `grp`, `termios`, `tty`, `pty`, `fcntl`, `resource`,
//!   `syslog`); `crypt`, `spwd` and `nis` (Unix, removed in 3.13 by PEP 594);
//!   `_posixsubprocess` (built only on POSIX).
//!
//! Left out on purpose: `readline` and `curses` (third-party packages — `pyreadline3`,
//! `windows-curses` — provide them on Windows), and modules that exist everywhere but do
//! less on some platforms (`signal`, `select`, `mmap`).

use crate::settings::Platform;

/// Importable on Windows only.
const WINDOWS_ONLY: &[&str] = &[
    "_msi",
    "_overlapped",
    "_winapi",
    "msilib",
    "msvcrt",
    "nt",
    "winreg",
    "winsound",
    // pywin32
    "pythoncom",
    "pywintypes",
    "servicemanager",
    "win32api",
    "win32clipboard",
    "win32com",
    "win32comext",
    "win32con",
    "win32console",
    "win32cred",
    "win32crypt",
    "win32event",
    "win32evtlog",
    "win32file",
    "win32gui",
    "win32job",
    "win32net",
    "win32pdh",
    "win32pipe",
    "win32print",
    "win32process",
    "win32profile",
    "win32security",
    "win32service",
    "win32serviceutil",
    "win32timezone",
    "win32ts",
    "win32ui",
    "winerror",
];

/// Importable on Unix (Linux and macOS) only.
const UNIX_ONLY: &[&str] = &[
    "_posixsubprocess",
    "crypt",
    "fcntl",
    "grp",
    "nis",
    "posix",
    "pty",
    "pwd",
    "resource",
    "spwd",
    "syslog",
    "termios",
    "tty",
];

/// The platforms ([`Platform::bit`]s) on which the top-level module `name` (the first part
/// of a dotted name: `win32com` for `win32com.client`) can be imported, when it exists on
/// some platforms only; `None` for any other module.
pub fn importable_on(name: &str) -> Option<u8> {
    let first = name.split('.').next().unwrap_or(name);
    if WINDOWS_ONLY.contains(&first) {
        Some(Platform::Windows.bit())
    } else if UNIX_ONLY.contains(&first) {
        Some(Platform::Linux.bit() | Platform::Macos.bit())
    } else {
        None
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_first_part_of_a_dotted_name_decides() {
        assert_eq!(
            importable_on("win32com.client"),
            Some(Platform::Windows.bit())
        );
        assert_eq!(importable_on("fcntl"), Some(0b011));
        assert_eq!(importable_on("os"), None);
        // Only the top-level name: a project's `app.fcntl` is not the standard one.
        assert_eq!(importable_on("app.fcntl"), None);
    }

    #[test]
    fn the_lists_hold_no_duplicates_and_are_disjoint() {
        for list in [WINDOWS_ONLY, UNIX_ONLY] {
            let mut sorted = list.to_vec();
            sorted.sort_unstable();
            sorted.dedup();
            assert_eq!(sorted.len(), list.len());
        }
        assert!(WINDOWS_ONLY.iter().all(|m| !UNIX_ONLY.contains(m)));
    }
}
