//! `forklint server`: the Language Server Protocol over stdio (docs/editors.md).
//!
//! One thread owns the whole state (a [`Session`]) and handles messages in order, so an
//! answer always describes the latest text: notifications that change a document only mark
//! its file dirty; before a request is answered, and whenever the queue of messages runs dry,
//! the dirty files are summarised again and the project is linked and checked again. Bursts
//! of keystrokes cost one analysis, not one each.
//!
//! Each workspace folder is a project, analysed as `forklint check <folder>` would, with the
//! buffers of open files in place of their text on disk. A project keeps every file's summary
//! (not its syntax tree), so an edit re-parses one file and re-links the rest; diagnostics are
//! published for every file whose findings changed, open or not.

mod actions;
mod convert;
mod settings;
mod transport;

use std::collections::{HashMap, HashSet};
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::Instant;

use anyhow::Context as _;
use lsp_server::{Connection, ErrorCode, Message, Notification, Request, RequestId, Response};
use lsp_types::notification::Notification as _;
use lsp_types::request::Request as _;
use lsp_types::{
    self as lsp, InitializeParams, PositionEncodingKind, PublishDiagnosticsParams, Uri,
};
use rayon::prelude::*;
use ruff_source_file::{LineIndex, PositionEncoding};
use serde_json::Value;

use crate::diagnostic::{Diagnostic, FileId};
use crate::discover::{self, FoundFile};
use crate::knowledge::Knowledge;
use crate::program::{Analyser, LinkInput, Program, Source};
use crate::settings::Settings;
use settings::ClientSettings;

/// The command `forklint.applyFixAll` (arguments `[{"uri": …}]`): applies the safe fixes of
/// one file through `workspace/applyEdit`.
pub const FIX_ALL_COMMAND: &str = "forklint.applyFixAll";

/// Runs the server until the client says `exit` (or goes away). Returns the exit code: 0 after
/// a `shutdown` request, 1 otherwise, as the protocol asks.
pub fn run() -> anyhow::Result<u8> {
    let (connection, writer) = transport::stdio();
    let code = crate::analysis_pool().install(|| serve(&connection));
    // The writer thread ends when the last sender is gone; joining it flushes every reply.
    drop(connection);
    let _ = writer.join();
    code
}

fn serve(connection: &Connection) -> anyhow::Result<u8> {
    let (id, params) = connection
        .initialize_start()
        .context("the client did not initialize")?;
    let params: InitializeParams =
        serde_json::from_value(params).context("invalid `initialize` parameters")?;
    let mut session = Session::new(connection.sender.clone(), &params);
    let result = serde_json::json!({
        "capabilities": session.capabilities(),
        "serverInfo": {"name": "forklint", "version": env!("CARGO_PKG_VERSION")},
    });
    connection
        .initialize_finish(id, result)
        .context("the client did not finish initializing")?;
    session.start();
    session.main_loop(&connection.receiver)
}

/// An open document: the editor's text, which wins over the file on disk.
struct Document {
    uri: Uri,
    version: i32,
    text: String,
}

/// What the client can do, as it said in `initialize`.
#[derive(Default)]
struct ClientCapabilities {
    configuration: bool,
    watch_files_dynamically: bool,
    work_done_progress: bool,
    related_information: bool,
}

/// A finding as published, with what code actions need to act on it.
struct Published {
    lsp: lsp::Diagnostic,
    code: &'static str,
    /// The file it is in and where its primary span starts (for `# noqa`).
    file: FileId,
    start: ruff_text_size::TextSize,
    fix: Option<crate::diagnostic::Fix>,
}

/// A workspace folder (or, for a file opened outside every folder, that file alone).
struct Project {
    root: PathBuf,
    /// Only this file, not a directory.
    single_file: bool,
    settings: Settings,
    /// Files found, in [`FileId`] order once linked.
    found: Vec<FoundFile>,
    by_path: HashMap<PathBuf, FileId>,
    program: Option<Program>,
    /// Files to summarise again before the next answer.
    dirty: HashSet<PathBuf>,
    /// Discover and summarise everything again (settings or the set of files changed).
    rebuild: bool,
    /// The installed dependencies' modules, as the last full analysis found them.
    libraries: Option<crate::environment::Libraries>,
    /// Findings last published, per file (absent: none).
    published: HashMap<PathBuf, Vec<Published>>,
}

pub(crate) struct Session {
    sender: crossbeam_channel::Sender<Message>,
    encoding: PositionEncoding,
    client: ClientCapabilities,
    /// From `initializationOptions`, then overridden key by key by `workspace/configuration`.
    init_settings: ClientSettings,
    client_settings: ClientSettings,
    projects: Vec<Project>,
    documents: HashMap<PathBuf, Document>,
    /// Requests this server sent, by id, and what the answer is for.
    outgoing: HashMap<RequestId, Outgoing>,
    next_id: i32,
    shutdown: bool,
}

enum Outgoing {
    Configuration,
    Other,
}

impl Session {
    fn new(sender: crossbeam_channel::Sender<Message>, params: &InitializeParams) -> Session {
        let caps = &params.capabilities;
        let utf8 = caps
            .general
            .as_ref()
            .and_then(|g| g.position_encodings.as_ref())
            .is_some_and(|encodings| encodings.contains(&PositionEncodingKind::UTF8));
        let workspace = caps.workspace.as_ref();
        let client = ClientCapabilities {
            configuration: workspace.and_then(|w| w.configuration).unwrap_or(false),
            watch_files_dynamically: workspace
                .and_then(|w| w.did_change_watched_files.as_ref())
                .and_then(|w| w.dynamic_registration)
                .unwrap_or(false),
            work_done_progress: caps
                .window
                .as_ref()
                .and_then(|w| w.work_done_progress)
                .unwrap_or(false),
            related_information: caps
                .text_document
                .as_ref()
                .and_then(|t| t.publish_diagnostics.as_ref())
                .and_then(|p| p.related_information)
                .unwrap_or(true),
        };
        let mut session = Session {
            sender,
            encoding: if utf8 {
                PositionEncoding::Utf8
            } else {
                PositionEncoding::Utf16
            },
            client,
            init_settings: ClientSettings::default(),
            client_settings: ClientSettings::default(),
            projects: Vec::new(),
            documents: HashMap::new(),
            outgoing: HashMap::new(),
            next_id: 0,
            shutdown: false,
        };
        if let Some(options) = &params.initialization_options {
            session.init_settings = session.read_settings(options, "initializationOptions");
            session.client_settings = session.init_settings.clone();
        }
        let mut roots: Vec<PathBuf> = params
            .workspace_folders
            .iter()
            .flatten()
            .filter_map(|f| convert::path_of(&f.uri))
            .collect();
        #[allow(deprecated)] // Older clients send only `rootUri`.
        if roots.is_empty()
            && let Some(root) = params.root_uri.as_ref().and_then(convert::path_of)
        {
            roots.push(root);
        }
        for root in roots {
            session.add_project(root, false);
        }
        session
    }

    fn capabilities(&self) -> lsp::ServerCapabilities {
        use lsp::*;
        ServerCapabilities {
            position_encoding: Some(match self.encoding {
                PositionEncoding::Utf8 => PositionEncodingKind::UTF8,
                _ => PositionEncodingKind::UTF16,
            }),
            text_document_sync: Some(TextDocumentSyncCapability::Options(
                TextDocumentSyncOptions {
                    open_close: Some(true),
                    change: Some(TextDocumentSyncKind::INCREMENTAL),
                    save: Some(TextDocumentSyncSaveOptions::Supported(true)),
                    ..Default::default()
                },
            )),
            code_action_provider: Some(CodeActionProviderCapability::Options(CodeActionOptions {
                code_action_kinds: Some(vec![
                    CodeActionKind::QUICKFIX,
                    CodeActionKind::from(actions::FIX_ALL_KIND.to_string()),
                ]),
                resolve_provider: Some(false),
                work_done_progress_options: Default::default(),
            })),
            execute_command_provider: Some(ExecuteCommandOptions {
                commands: vec![FIX_ALL_COMMAND.to_string()],
                work_done_progress_options: Default::default(),
            }),
            workspace: Some(WorkspaceServerCapabilities {
                workspace_folders: Some(WorkspaceFoldersServerCapabilities {
                    supported: Some(true),
                    change_notifications: Some(OneOf::Left(true)),
                }),
                file_operations: None,
            }),
            ..Default::default()
        }
    }

    /// After `initialized`: watch the files, ask for the settings, analyse every project.
    fn start(&mut self) {
        if self.client.watch_files_dynamically {
            let watchers = [
                "**/*.py",
                "**/pyproject.toml",
                "**/forklint.toml",
                "**/.forklint.toml",
            ]
            .iter()
            .map(|glob| lsp::FileSystemWatcher {
                glob_pattern: lsp::GlobPattern::String((*glob).to_string()),
                kind: None,
            })
            .collect();
            let registration = lsp::Registration {
                id: "forklint-watch".into(),
                method: lsp::notification::DidChangeWatchedFiles::METHOD.into(),
                register_options: serde_json::to_value(
                    lsp::DidChangeWatchedFilesRegistrationOptions { watchers },
                )
                .ok(),
            };
            self.request(
                lsp::request::RegisterCapability::METHOD,
                lsp::RegistrationParams {
                    registrations: vec![registration],
                },
                Outgoing::Other,
            );
        }
        self.pull_configuration();
        self.analyse_dirty();
    }

    fn main_loop(&mut self, receiver: &crossbeam_channel::Receiver<Message>) -> anyhow::Result<u8> {
        loop {
            // Wait for a message; when none is waiting, bring the diagnostics up to date first.
            let message = match receiver.try_recv() {
                Ok(message) => message,
                Err(crossbeam_channel::TryRecvError::Empty) => {
                    self.guarded("analysis", |s| s.analyse_dirty());
                    match receiver.recv() {
                        Ok(message) => message,
                        Err(_) => return Ok(1),
                    }
                }
                Err(crossbeam_channel::TryRecvError::Disconnected) => return Ok(1),
            };
            match message {
                Message::Request(request) => {
                    if self.shutdown {
                        self.respond_error(
                            request.id,
                            ErrorCode::InvalidRequest,
                            "the server is shutting down".into(),
                        );
                        continue;
                    }
                    if request.method == lsp::request::Shutdown::METHOD {
                        self.shutdown = true;
                        self.respond(request.id, Value::Null);
                        continue;
                    }
                    self.guarded("analysis", |s| s.analyse_dirty());
                    let id = request.id.clone();
                    let method = request.method.clone();
                    let answered = self.guarded(&method, |s| s.handle_request(request));
                    if answered.is_none() {
                        self.respond_error(
                            id,
                            ErrorCode::InternalError,
                            format!("internal error while handling `{method}` (see the log)"),
                        );
                    }
                }
                Message::Notification(notification) => {
                    if notification.method == lsp::notification::Exit::METHOD {
                        return Ok(if self.shutdown { 0 } else { 1 });
                    }
                    let method = notification.method.clone();
                    self.guarded(&method, |s| s.handle_notification(notification));
                }
                Message::Response(response) => {
                    self.guarded("response", |s| s.handle_response(response));
                }
            }
        }
    }

    /// Runs `f`, turning a panic into an error logged to the client. The state a panic
    /// interrupted is dropped: each project whose program was being rebuilt is rebuilt from
    /// scratch next time.
    fn guarded<T>(&mut self, what: &str, f: impl FnOnce(&mut Self) -> T) -> Option<T> {
        match std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| f(self))) {
            Ok(value) => Some(value),
            Err(panic) => {
                let why = crate::panic_message(panic.as_ref());
                self.log(
                    lsp::MessageType::ERROR,
                    format!("forklint: internal error in {what} (please report it): {why}"),
                );
                for project in &mut self.projects {
                    if project.program.is_none() {
                        project.rebuild = true;
                    }
                }
                None
            }
        }
    }

    // ---- Requests and notifications -------------------------------------------------------

    /// Answers one request (always: with a result or an error).
    fn handle_request(&mut self, request: Request) {
        use lsp::request::*;
        let id = request.id.clone();
        let result: Result<Value, (ErrorCode, String)> = match request.method.as_str() {
            CodeActionRequest::METHOD => parse(request).and_then(|p| self.code_actions(p)),
            ExecuteCommand::METHOD => parse(request).and_then(|p| self.execute_command(p)),
            _ => Err((
                ErrorCode::MethodNotFound,
                format!("forklint does not handle `{}`", request.method),
            )),
        };
        match result {
            Ok(value) => self.respond(id, value),
            Err((code, message)) => self.respond_error(id, code, message),
        }
    }

    fn handle_notification(&mut self, notification: Notification) {
        use lsp::notification::*;
        let method = notification.method.clone();
        let outcome = match method.as_str() {
            DidOpenTextDocument::METHOD => parse(notification).map(|p| self.did_open(p)),
            DidChangeTextDocument::METHOD => parse(notification).map(|p| self.did_change(p)),
            DidSaveTextDocument::METHOD => Ok(()),
            DidCloseTextDocument::METHOD => parse(notification).map(|p| self.did_close(p)),
            DidChangeWatchedFiles::METHOD => {
                parse(notification).map(|p| self.did_change_watched_files(p))
            }
            DidChangeConfiguration::METHOD => {
                parse(notification).map(|p| self.did_change_configuration(p))
            }
            DidChangeWorkspaceFolders::METHOD => {
                parse(notification).map(|p| self.did_change_workspace_folders(p))
            }
            // `$/cancelRequest`, `$/setTrace` and the like need nothing.
            _ => Ok(()),
        };
        if let Err((_, message)) = outcome {
            self.log(
                lsp::MessageType::ERROR,
                format!("forklint: {method}: {message}"),
            );
        }
    }

    fn handle_response(&mut self, response: Response) {
        let Some(what) = self.outgoing.remove(&response.id) else {
            return;
        };
        let result = match response.response_result {
            Ok(result) => result,
            Err(error) => {
                self.log(
                    lsp::MessageType::WARNING,
                    format!("forklint: the client refused a request: {}", error.message),
                );
                return;
            }
        };
        if let Outgoing::Configuration = what {
            let section = result
                .as_array()
                .and_then(|items| items.first())
                .cloned()
                .unwrap_or(Value::Null);
            self.apply_client_settings(&section, "workspace/configuration");
        }
    }

    /// Settings the client sent after start-up, over its `initializationOptions`; analyses
    /// everything again if they changed anything.
    fn apply_client_settings(&mut self, section: &Value, from: &str) {
        let from_client = self.read_settings(section, from);
        let merged = self.init_settings.overridden_by(&from_client);
        if merged != self.client_settings {
            self.client_settings = merged;
            self.reconfigure();
        }
    }

    fn did_open(&mut self, params: lsp::DidOpenTextDocumentParams) {
        let doc = params.text_document;
        let Some(path) = convert::path_of(&doc.uri) else {
            return;
        };
        self.documents.insert(
            path.clone(),
            Document {
                uri: doc.uri,
                version: doc.version,
                text: doc.text,
            },
        );
        self.file_changed(&path);
    }

    fn did_change(&mut self, params: lsp::DidChangeTextDocumentParams) {
        let Some(path) = convert::path_of(&params.text_document.uri) else {
            return;
        };
        let encoding = self.encoding;
        let Some(doc) = self.documents.get_mut(&path) else {
            return;
        };
        for change in params.content_changes {
            match change.range {
                None => doc.text = change.text,
                Some(range) => {
                    let index = LineIndex::from_source_text(&doc.text);
                    let text = convert::Text {
                        text: &doc.text,
                        index: &index,
                    };
                    let start = text.offset(range.start, encoding);
                    let end = text.offset(range.end, encoding).max(start);
                    doc.text.replace_range(start..end, &change.text);
                }
            }
        }
        doc.version = params.text_document.version;
        self.file_changed(&path);
    }

    fn did_close(&mut self, params: lsp::DidCloseTextDocumentParams) {
        let Some(path) = convert::path_of(&params.text_document.uri) else {
            return;
        };
        self.documents.remove(&path);
        // A file opened outside every project was analysed alone: it goes, and so do its
        // diagnostics. Otherwise the file is analysed again from disk.
        if let Some(i) = self
            .projects
            .iter()
            .position(|p| p.single_file && p.root == path)
        {
            let project = self.projects.remove(i);
            for (path, _) in project.published {
                self.publish(&path, Vec::new());
            }
            return;
        }
        self.file_changed(&path);
    }

    fn did_change_watched_files(&mut self, params: lsp::DidChangeWatchedFilesParams) {
        for change in params.changes {
            let Some(path) = convert::path_of(&change.uri) else {
                continue;
            };
            let name = path.file_name().and_then(|n| n.to_str()).unwrap_or("");
            if matches!(name, "pyproject.toml" | "forklint.toml" | ".forklint.toml") {
                self.reconfigure();
                continue;
            }
            if change.typ == lsp::FileChangeType::CHANGED {
                // An open file's buffer is what counts, not the disk.
                if !self.documents.contains_key(&path) {
                    self.file_changed(&path);
                }
            } else if let Some(project) = self.project_of(&path) {
                // Created or deleted: the set of modules changed.
                self.projects[project].rebuild = true;
            }
        }
    }

    fn did_change_configuration(&mut self, params: lsp::DidChangeConfigurationParams) {
        if self.client.configuration {
            self.pull_configuration();
        } else {
            // Clients that cannot be asked push the settings (under `forklint`, or bare).
            let section = params
                .settings
                .get("forklint")
                .cloned()
                .unwrap_or(params.settings);
            self.apply_client_settings(&section, "workspace/didChangeConfiguration");
        }
    }

    fn did_change_workspace_folders(&mut self, params: lsp::DidChangeWorkspaceFoldersParams) {
        for removed in params.event.removed {
            if let Some(root) = convert::path_of(&removed.uri)
                && let Some(i) = self
                    .projects
                    .iter()
                    .position(|p| !p.single_file && p.root == root)
            {
                let project = self.projects.remove(i);
                for (path, _) in project.published {
                    self.publish(&path, Vec::new());
                }
            }
        }
        for added in params.event.added {
            if let Some(root) = convert::path_of(&added.uri) {
                self.add_project(root, false);
            }
        }
    }

    // ---- Projects -------------------------------------------------------------------------

    /// The project a path belongs to: the innermost folder that holds it, else the project of
    /// that file alone.
    fn project_of(&self, path: &Path) -> Option<usize> {
        self.projects
            .iter()
            .enumerate()
            .filter(|(_, p)| {
                if p.single_file {
                    p.root == path
                } else {
                    path.starts_with(&p.root)
                }
            })
            .max_by_key(|(_, p)| (!p.single_file, p.root.components().count()))
            .map(|(i, _)| i)
    }

    fn add_project(&mut self, root: PathBuf, single_file: bool) -> usize {
        let settings = self.resolve_settings(&root);
        self.projects.push(Project {
            root,
            single_file,
            settings,
            found: Vec::new(),
            by_path: HashMap::new(),
            libraries: None,
            program: None,
            dirty: HashSet::new(),
            rebuild: true,
            published: HashMap::new(),
        });
        self.projects.len() - 1
    }

    /// A file's text changed (in a buffer, or on disk for a file no buffer holds).
    fn file_changed(&mut self, path: &Path) {
        if path.extension().is_none_or(|e| e != "py" && e != "pyi") {
            return;
        }
        let project = match self.project_of(path) {
            Some(i) => i,
            // Opened outside every folder: analysed on its own.
            None if self.documents.contains_key(path) => self.add_project(path.to_path_buf(), true),
            None => return,
        };
        let p = &mut self.projects[project];
        if p.by_path.contains_key(path) {
            p.dirty.insert(path.to_path_buf());
        } else if self.documents.contains_key(path) && !p.rebuild {
            // A file the last discovery did not see (new, or excluded): look again, once.
            p.rebuild = true;
        }
    }

    /// Settings for a project: its configuration file under the client's settings.
    fn resolve_settings(&self, root: &Path) -> Settings {
        let start = if root.is_dir() {
            root.to_path_buf()
        } else {
            root.parent()
                .map_or_else(|| root.to_path_buf(), Path::to_path_buf)
        };
        match self.client_settings.resolve(&start) {
            Ok(settings) => settings,
            Err(error) => {
                self.show(
                    lsp::MessageType::ERROR,
                    format!("forklint: {error} (using the default settings until it is fixed)"),
                );
                self.client_settings.without_configuration()
            }
        }
    }

    /// The settings or configuration files changed: resolve again and analyse everything.
    fn reconfigure(&mut self) {
        for i in 0..self.projects.len() {
            let root = self.projects[i].root.clone();
            let settings = self.resolve_settings(&root);
            let p = &mut self.projects[i];
            p.settings = settings;
            p.rebuild = true;
        }
    }

    /// Brings every project's findings up to date and publishes what changed.
    fn analyse_dirty(&mut self) {
        for i in 0..self.projects.len() {
            let p = &self.projects[i];
            if !p.rebuild && p.dirty.is_empty() && p.program.is_some() {
                continue;
            }
            let started = Instant::now();
            let full = p.rebuild || p.program.is_none();
            if full {
                self.build_project(i);
            } else {
                self.relink_project(i);
            }
            let published = self.publish_project(i);
            let p = &self.projects[i];
            if full {
                let files = p.program.as_ref().map_or(0, |pr| pr.files.len());
                self.log(
                    lsp::MessageType::INFO,
                    format!(
                        "forklint: analysed {} ({files} files) in {:.0?}; published {published} files",
                        p.root.display(),
                        started.elapsed()
                    ),
                );
            }
        }
    }

    /// Discovers, reads (open buffers instead of disk), summarises and links a project.
    fn build_project(&mut self, i: usize) {
        let progress = self.begin_progress(&format!(
            "Analysing {}",
            self.projects[i].root.file_name().map_or_else(
                || self.projects[i].root.display().to_string(),
                |n| n.to_string_lossy().to_string()
            )
        ));
        let project = &mut self.projects[i];
        project.rebuild = false;
        project.dirty.clear();
        project.program = None;
        let settings = project.settings.clone();
        let knowledge = match Knowledge::load(&settings.knowledge_files) {
            Ok(k) => k,
            Err(e) => {
                let message = format!("forklint: {e}");
                self.show(lsp::MessageType::ERROR, message);
                self.end_progress(progress, "failed");
                return;
            }
        };
        let project = &mut self.projects[i];
        let discovery = match discover::discover(std::slice::from_ref(&project.root), &settings) {
            Ok(d) => d,
            Err(e) => {
                let message = format!("forklint: {e}");
                self.show(lsp::MessageType::ERROR, message);
                self.end_progress(progress, "failed");
                return;
            }
        };
        let mut modules: rustc_hash::FxHashSet<String> = discovery
            .files
            .iter()
            .filter(|f| !f.module.is_empty())
            .map(|f| f.module.clone())
            .collect();
        // The installed dependencies, as `check` analyses them (docs/dependencies.md). An
        // environment that cannot be used is said once and the project analysed without it.
        let libraries =
            match crate::libraries_of(&settings, &project.root, &discovery.files, &knowledge) {
                Ok(libraries) => libraries,
                Err(e) => {
                    self.show(lsp::MessageType::WARNING, format!("forklint: {e}"));
                    None
                }
            };
        if let Some(libraries) = &libraries {
            modules.extend(libraries.names().cloned());
        }
        let project = &mut self.projects[i];
        let total = discovery.files.len();
        let done = AtomicUsize::new(0);
        let documents = &self.documents;
        let sender = &self.sender;
        // The first analysis reads unchanged files' summaries from the cache `check` keeps
        // (a cache that cannot be opened only costs time).
        let cache = crate::cache::SummaryCache::open(&settings.cache, &project.root, &settings)
            .ok()
            .flatten();
        let analyser =
            Analyser::new(&modules, &knowledge, &settings).with_stored(crate::program::Stored {
                cache: cache.as_ref(),
                bundles: None,
            });
        let results: Vec<Result<crate::program::ProgramFile, crate::program::Unreadable>> = {
            discovery
                .files
                .par_iter()
                .map(|found| {
                    let result = match documents.get(&found.path) {
                        Some(doc) => Ok(analyser.analyse(Source {
                            found: found.clone(),
                            text: doc.text.as_str().into(),
                            keep_text: true,
                            encoding: crate::program::SourceEncoding::Utf8,
                        })),
                        None => analyser.analyse_on_disk(found.clone()),
                    };
                    let n = done.fetch_add(1, Ordering::Relaxed) + 1;
                    if let Some(token) = &progress
                        && total >= 20
                        && n.is_multiple_of((total / 10).max(1))
                    {
                        report_progress(sender, token, n, total);
                    }
                    result
                })
                .collect()
        };
        let mut files = Vec::with_capacity(results.len());
        let mut unreadable = Vec::new();
        let mut found = Vec::with_capacity(results.len());
        for (r, f) in results.into_iter().zip(discovery.files) {
            match r {
                Ok(file) => {
                    files.push(file);
                    found.push(f);
                }
                Err(u) => unreadable.push(u),
            }
        }
        if let Some(libraries) = &libraries {
            let library_found = std::sync::Mutex::new(Vec::new());
            crate::program::add_reached_libraries(&mut files, libraries, |batch| {
                let analysed: Vec<(discover::FoundFile, crate::program::ProgramFile)> = batch
                    .into_par_iter()
                    .filter_map(|f| analyser.analyse_on_disk(f.clone()).ok().map(|p| (f, p)))
                    .collect();
                let (batch_found, batch_files): (Vec<_>, Vec<_>) = analysed.into_iter().unzip();
                library_found
                    .lock()
                    .unwrap_or_else(std::sync::PoisonError::into_inner)
                    .extend(batch_found);
                batch_files
            });
            found.extend(
                library_found
                    .into_inner()
                    .unwrap_or_else(std::sync::PoisonError::into_inner),
            );
        }
        drop(analyser);
        if let Some(cache) = cache {
            cache.finish();
        }
        for u in &unreadable {
            self.log(
                lsp::MessageType::WARNING,
                format!("forklint: skipped {}: {}", u.path.display(), u.reason),
            );
        }
        let program = Program::link(
            LinkInput::relinkable(files, unreadable, modules),
            knowledge,
            settings,
        );
        let project = &mut self.projects[i];
        project.by_path = found
            .iter()
            .enumerate()
            .map(|(n, f)| (f.path.clone(), FileId(n as u32)))
            .collect();
        project.found = found;
        project.program = Some(program);
        project.libraries = libraries;
        self.end_progress(progress, &format!("{total} files"));
    }

    /// Summarises the dirty files again and links the project anew.
    fn relink_project(&mut self, i: usize) {
        let project = &mut self.projects[i];
        let Some(program) = project.program.take() else {
            project.rebuild = true;
            return;
        };
        let (mut input, knowledge, settings) = program.unlink();
        let dirty: Vec<PathBuf> = project.dirty.drain().collect();
        {
            let analyser = Analyser::new(&input.modules, &knowledge, &settings);
            let replaced: Vec<(FileId, crate::program::ProgramFile)> = dirty
                .par_iter()
                .filter_map(|path| {
                    let id = *project.by_path.get(path)?;
                    let found = project.found[id.0 as usize].clone();
                    let file = match self.documents.get(path) {
                        Some(doc) => analyser.analyse(Source {
                            found,
                            text: doc.text.as_str().into(),
                            keep_text: true,
                            encoding: crate::program::SourceEncoding::Utf8,
                        }),
                        // Unreadable now (deleted, say): analysed as empty until rediscovered.
                        None => analyser.analyse_on_disk(found.clone()).unwrap_or_else(|_| {
                            analyser.analyse(Source {
                                found,
                                text: "".into(),
                                keep_text: true,
                                encoding: crate::program::SourceEncoding::Utf8,
                            })
                        }),
                    };
                    Some((id, file))
                })
                .collect();
            drop(analyser);
            // An edit that imports an installed module the first analysis did not reach
            // (docs/dependencies.md): that module, and what it imports, must be read, which
            // the first analysis does. Rare (a new import), so it is the whole analysis.
            let reaches_new_library = project.libraries.as_ref().is_some_and(|libraries| {
                replaced.iter().any(|(_, file)| {
                    crate::program::imported_names(&file.summary)
                        .iter()
                        .flat_map(|name| libraries.run_by_import(name))
                        .any(|lib| !project.by_path.contains_key(&lib.path))
                })
            });
            if reaches_new_library {
                self.build_project(i);
                return;
            }
            for (id, file) in replaced {
                input.replace(id, file);
            }
        }
        project.program = Some(Program::link(input, knowledge, settings));
    }

    /// Checks a linked project and publishes the files whose findings changed. Returns how
    /// many files were published.
    fn publish_project(&mut self, i: usize) -> usize {
        let encoding = self.encoding;
        let related = self.client.related_information;
        let project = &mut self.projects[i];
        let Some(program) = &project.program else {
            return 0;
        };
        let diagnostics = crate::diagnose(program);
        let mut by_file: HashMap<PathBuf, Vec<Published>> = HashMap::new();
        for d in &diagnostics {
            let file = program.file(d.primary.file);
            let mut lsp = convert::diagnostic(program, d, encoding);
            if !related {
                lsp.related_information = None;
            }
            by_file
                .entry(discover::absolute(&file.path))
                .or_default()
                .push(published(d, lsp));
        }
        let mut changed: Vec<PathBuf> = Vec::new();
        for (path, new) in &by_file {
            let same = project.published.get(path).is_some_and(|old| {
                old.len() == new.len() && old.iter().zip(new).all(|(a, b)| a.lsp == b.lsp)
            });
            if !same {
                changed.push(path.clone());
            }
        }
        for path in project.published.keys() {
            if !by_file.contains_key(path) {
                changed.push(path.clone());
            }
        }
        project.published = by_file;
        let to_send: Vec<(PathBuf, Vec<lsp::Diagnostic>)> = changed
            .into_iter()
            .map(|path| {
                let list = project
                    .published
                    .get(&path)
                    .map(|v| v.iter().map(|p| p.lsp.clone()).collect())
                    .unwrap_or_default();
                (path, list)
            })
            .collect();
        let count = to_send.len();
        for (path, list) in to_send {
            self.publish(&path, list);
        }
        count
    }

    fn publish(&self, path: &Path, diagnostics: Vec<lsp::Diagnostic>) {
        let doc = self.documents.get(path);
        let Some(uri) = doc.map(|d| d.uri.clone()).or_else(|| convert::uri_of(path)) else {
            return;
        };
        let params = PublishDiagnosticsParams {
            uri,
            diagnostics,
            version: doc.map(|d| d.version),
        };
        self.notify(lsp::notification::PublishDiagnostics::METHOD, params);
    }

    // ---- Settings ---------------------------------------------------------------------------

    fn pull_configuration(&mut self) {
        if !self.client.configuration {
            return;
        }
        let params = lsp::ConfigurationParams {
            items: vec![lsp::ConfigurationItem {
                scope_uri: None,
                section: Some("forklint".into()),
            }],
        };
        self.request(
            lsp::request::WorkspaceConfiguration::METHOD,
            params,
            Outgoing::Configuration,
        );
    }

    /// Reads the client's settings; keys it cannot use are reported and left out.
    fn read_settings(&self, value: &Value, from: &str) -> ClientSettings {
        let (settings, problems) = ClientSettings::from_json(value);
        for problem in problems {
            self.show(
                lsp::MessageType::WARNING,
                format!("forklint: {from}: {problem}"),
            );
        }
        settings
    }

    // ---- Progress ---------------------------------------------------------------------------

    fn begin_progress(&mut self, title: &str) -> Option<lsp::ProgressToken> {
        if !self.client.work_done_progress {
            return None;
        }
        self.next_id += 1;
        let token = lsp::ProgressToken::String(format!("forklint/analysis/{}", self.next_id));
        self.request(
            lsp::request::WorkDoneProgressCreate::METHOD,
            lsp::WorkDoneProgressCreateParams {
                token: token.clone(),
            },
            Outgoing::Other,
        );
        let begin = lsp::WorkDoneProgress::Begin(lsp::WorkDoneProgressBegin {
            title: title.to_string(),
            cancellable: Some(false),
            message: None,
            percentage: Some(0),
        });
        self.notify(
            lsp::notification::Progress::METHOD,
            lsp::ProgressParams {
                token: token.clone(),
                value: lsp::ProgressParamsValue::WorkDone(begin),
            },
        );
        Some(token)
    }

    fn end_progress(&self, token: Option<lsp::ProgressToken>, message: &str) {
        if let Some(token) = token {
            let end = lsp::WorkDoneProgress::End(lsp::WorkDoneProgressEnd {
                message: Some(message.to_string()),
            });
            self.notify(
                lsp::notification::Progress::METHOD,
                lsp::ProgressParams {
                    token,
                    value: lsp::ProgressParamsValue::WorkDone(end),
                },
            );
        }
    }

    // ---- Sending ----------------------------------------------------------------------------

    fn notify(&self, method: &str, params: impl serde::Serialize) {
        let _ = self
            .sender
            .send(Notification::new(method.to_string(), params).into());
    }

    fn request(&mut self, method: &str, params: impl serde::Serialize, what: Outgoing) {
        self.next_id += 1;
        let id = RequestId::from(format!("forklint-{}", self.next_id));
        self.outgoing.insert(id.clone(), what);
        let _ = self
            .sender
            .send(Request::new(id, method.to_string(), params).into());
    }

    fn respond(&self, id: RequestId, result: Value) {
        let _ = self.sender.send(
            Response {
                id,
                response_result: Ok(result),
            }
            .into(),
        );
    }

    fn respond_error(&self, id: RequestId, code: ErrorCode, message: String) {
        let _ = self
            .sender
            .send(Response::new_err(id, code as i32, message).into());
    }

    fn log(&self, typ: lsp::MessageType, message: String) {
        self.notify(
            lsp::notification::LogMessage::METHOD,
            lsp::LogMessageParams { typ, message },
        );
    }

    /// Shown to the user (and logged).
    fn show(&self, typ: lsp::MessageType, message: String) {
        self.notify(
            lsp::notification::ShowMessage::METHOD,
            lsp::ShowMessageParams {
                typ,
                message: message.clone(),
            },
        );
        self.log(typ, message);
    }
}

fn published(d: &Diagnostic, lsp: lsp::Diagnostic) -> Published {
    Published {
        lsp,
        code: d.code,
        file: d.primary.file,
        start: d.primary.range.start(),
        fix: d.fix.clone(),
    }
}

fn report_progress(
    sender: &crossbeam_channel::Sender<Message>,
    token: &lsp::ProgressToken,
    done: usize,
    total: usize,
) {
    let report = lsp::WorkDoneProgress::Report(lsp::WorkDoneProgressReport {
        cancellable: Some(false),
        message: Some(format!("{done}/{total} files")),
        percentage: Some((done * 100 / total.max(1)) as u32),
    });
    let params = lsp::ProgressParams {
        token: token.clone(),
        value: lsp::ProgressParamsValue::WorkDone(report),
    };
    let _ =
        sender.send(Notification::new(lsp::notification::Progress::METHOD.into(), params).into());
}

/// Parameters of a request or notification, or the `InvalidParams` error.
fn parse<T: serde::de::DeserializeOwned>(
    message: impl Into<Message>,
) -> Result<T, (ErrorCode, String)> {
    let params = match message.into() {
        Message::Request(r) => r.params,
        Message::Notification(n) => n.params,
        Message::Response(_) => Value::Null,
    };
    serde_json::from_value(params)
        .map_err(|e| (ErrorCode::InvalidParams, format!("invalid parameters: {e}")))
}
