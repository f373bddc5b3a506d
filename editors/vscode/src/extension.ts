// The forklint extension for VS Code: starts `forklint server` (stdio) and talks LSP to it.
//
// Settings (the `forklint.*` configuration) reach the server twice, with the same keys:
// as `initializationOptions` when it starts, and as the answer to its `workspace/configuration`
// requests for the section `forklint` (which it re-sends after `workspace/didChangeConfiguration`).
// `forklint.path` and `forklint.trace.server` belong to the extension and are never sent;
// settings left unset (`null`) are omitted, so the project's configuration file decides.

import * as os from 'os';
import * as vscode from 'vscode';
import {
  CloseAction,
  DidChangeConfigurationNotification,
  ErrorAction,
  ErrorHandler,
  ExecuteCommandRequest,
  LanguageClient,
  LanguageClientOptions,
  RevealOutputChannelOn,
  ServerOptions,
  State,
} from 'vscode-languageclient/node';

import { resolveExecutable as resolveCommand } from './executable';

const SECTION = 'forklint';
/** The server's command that applies the safe fixes of one file (`workspace/applyEdit`). */
const APPLY_FIX_ALL = 'forklint.applyFixAll';

/** The settings sent to the server, exactly as the server names them. */
interface ServerSettings {
  select?: string[];
  extendSelect?: string[];
  ignore?: string[];
  targetVersion?: string;
  platforms?: string[];
  showInfo?: boolean;
}

let client: LanguageClient | undefined;
let outputChannel: vscode.OutputChannel | undefined;
let traceOutputChannel: vscode.OutputChannel | undefined;
/** Starts and stops run one after another, never interleaved. */
let lifecycle: Promise<void> = Promise.resolve();

export function activate(context: vscode.ExtensionContext): void {
  outputChannel = vscode.window.createOutputChannel('forklint');
  traceOutputChannel = vscode.window.createOutputChannel('forklint (trace)');
  context.subscriptions.push(outputChannel, traceOutputChannel);

  context.subscriptions.push(
    vscode.commands.registerCommand('forklint.fixAll', fixAll),
    vscode.commands.registerCommand('forklint.restart', () => restart()),
    vscode.workspace.onDidChangeConfiguration((event) => {
      if (event.affectsConfiguration(`${SECTION}.path`)) {
        void restart();
      }
    }),
  );

  void enqueue(startClient);
}

export function deactivate(): Thenable<void> {
  return enqueue(stopClient);
}

function enqueue(step: () => Promise<void>): Promise<void> {
  lifecycle = lifecycle.then(step, step);
  return lifecycle;
}

function restart(): Promise<void> {
  return enqueue(async () => {
    await stopClient();
    await startClient();
  });
}

async function stopClient(): Promise<void> {
  const old = client;
  client = undefined;
  if (old === undefined) {
    return;
  }
  try {
    if (old.needsStop()) {
      await old.stop(5000);
    }
  } catch (error) {
    log(`Stopping the server failed: ${String(error)}`);
  }
  await old.dispose().then(undefined, () => undefined);
}

async function startClient(): Promise<void> {
  const configured = configuredCommand();
  const executable = resolveExecutable(configured[0]);
  if (executable === undefined) {
    // Not awaited: the message's promise settles only when the user closes it, and a pending
    // start would hold back the next restart.
    void reportMissing(configured[0]);
    return;
  }
  const args = [...configured.slice(1), 'server'];
  log(`Starting ${[executable, ...args].join(' ')}`);

  const folder = vscode.workspace.workspaceFolders?.[0];
  const serverOptions: ServerOptions = {
    command: executable,
    args,
    // No `transport`: with `TransportKind.stdio` the client would append `--stdio` to the
    // arguments, and `forklint server` takes none. Without it, stdio is used all the same.
    options: folder?.uri.scheme === 'file' ? { cwd: folder.uri.fsPath } : undefined,
  };

  // While starting, a failure is reported once, by this extension, with a hint (the client's
  // own handlers would add several generic pop-ups). Once running, a crash restarts the server
  // as vscode-languageclient does by default (up to 4 times in 3 minutes).
  let starting = true;
  let runningHandler: ErrorHandler | undefined;
  const errorHandler: ErrorHandler = {
    error: (error, message, count) =>
      starting
        ? { action: ErrorAction.Shutdown, handled: true }
        : (runningHandler ??= created.createDefaultErrorHandler(4)).error(error, message, count),
    closed: () =>
      starting
        ? { action: CloseAction.DoNotRestart, handled: true }
        : (runningHandler ??= created.createDefaultErrorHandler(4)).closed(),
  };

  const clientOptions: LanguageClientOptions = {
    documentSelector: [
      { scheme: 'file', language: 'python' },
      { scheme: 'untitled', language: 'python' },
    ],
    initializationOptions: serverSettings(undefined),
    // Sends `workspace/didChangeConfiguration` when a `forklint.*` setting changes; the
    // middleware below replaces its payload with the cleaned settings.
    synchronize: { configurationSection: SECTION },
    outputChannel,
    traceOutputChannel,
    revealOutputChannelOn: RevealOutputChannelOn.Never,
    errorHandler,
    initializationFailedHandler: () => false,
    middleware: {
      workspace: {
        configuration: async (params, token, next) => {
          const answers = await next(params, token);
          if (!Array.isArray(answers)) {
            return answers;
          }
          return params.items.map((item, index) =>
            item.section === SECTION ? serverSettings(item.scopeUri ?? undefined) : answers[index],
          );
        },
        didChangeConfiguration: async (sections, next) => {
          if (sections !== undefined && sections.includes(SECTION)) {
            await created.sendNotification(DidChangeConfigurationNotification.type, {
              settings: { [SECTION]: serverSettings(undefined) },
            });
            return;
          }
          await next(sections);
        },
      },
    },
  };

  const created = new LanguageClient(SECTION, 'forklint', serverOptions, clientOptions);
  client = created;
  try {
    await created.start();
    starting = false;
  } catch (error) {
    client = undefined;
    await created.dispose().then(undefined, () => undefined);
    const message =
      `forklint: the server \`${executable} ${args.join(' ')}\` could not be started (${errorText(error)}). ` +
      'Its error output is in the "forklint" output channel; `forklint server` needs a forklint with the language server.';
    log(message);
    void vscode.window.showErrorMessage(message, 'Open Settings', 'Show Output').then(async (choice) => {
      if (choice === 'Open Settings') {
        await vscode.commands.executeCommand('workbench.action.openSettings', `${SECTION}.path`);
      } else if (choice === 'Show Output') {
        outputChannel?.show();
      }
    });
  }
}

/** `forklint.path` as [executable, ...extra arguments]; `forklint` when it is empty. */
function configuredCommand(): string[] {
  const value = vscode.workspace.getConfiguration(SECTION).get<unknown>('path');
  let parts: string[] = [];
  if (typeof value === 'string') {
    parts = value.trim() === '' ? [] : [value.trim()];
  } else if (Array.isArray(value)) {
    parts = value.filter((part): part is string => typeof part === 'string' && part !== '');
  }
  return parts.length === 0 ? ['forklint'] : parts;
}

/** The executable for `command` (see `executable.ts`): the workspace's virtual environment first. */
function resolveExecutable(command: string): string | undefined {
  const folders = (vscode.workspace.workspaceFolders ?? []).map((f) => f.uri.fsPath);
  return resolveCommand(command, folders, process.env, process.platform, os.homedir());
}

async function reportMissing(command: string): Promise<void> {
  const where = command.includes('/') || command.includes('\\') ? `at \`${command}\`` : `\`${command}\` on PATH`;
  const message =
    `forklint: could not find the forklint executable ${where}. ` +
    'Install forklint, or set "forklint.path" to its location, then run "forklint: Restart server".';
  log(message);
  const choice = await vscode.window.showErrorMessage(message, 'Open Settings');
  if (choice === 'Open Settings') {
    await vscode.commands.executeCommand('workbench.action.openSettings', `${SECTION}.path`);
  }
}

/** The settings for the server: keys as the server names them, unset ones left out. */
function serverSettings(scopeUri: string | undefined): ServerSettings {
  const scope = scopeUri !== undefined ? vscode.Uri.parse(scopeUri) : undefined;
  const config = vscode.workspace.getConfiguration(SECTION, scope);
  const settings: ServerSettings = {};
  const strings = (key: string): string[] | undefined => {
    const value = config.get<unknown>(key);
    if (!Array.isArray(value)) {
      return undefined;
    }
    return value.filter((item): item is string => typeof item === 'string');
  };
  const select = strings('select');
  if (select !== undefined) {
    settings.select = select;
  }
  const extendSelect = strings('extendSelect');
  if (extendSelect !== undefined) {
    settings.extendSelect = extendSelect;
  }
  const ignore = strings('ignore');
  if (ignore !== undefined) {
    settings.ignore = ignore;
  }
  const targetVersion = config.get<unknown>('targetVersion');
  if (typeof targetVersion === 'string' && targetVersion !== '') {
    settings.targetVersion = targetVersion;
  }
  const platforms = strings('platforms');
  if (platforms !== undefined) {
    settings.platforms = platforms;
  }
  const showInfo = config.get<unknown>('showInfo');
  if (typeof showInfo === 'boolean') {
    settings.showInfo = showInfo;
  }
  return settings;
}

/** `forklint: Fix all`: applies the safe fixes of the active Python file through the server. */
async function fixAll(): Promise<void> {
  const editor = vscode.window.activeTextEditor;
  if (editor === undefined || editor.document.languageId !== 'python') {
    await vscode.window.showInformationMessage('forklint: open a Python file to fix.');
    return;
  }
  const running = client;
  if (running === undefined || running.state !== State.Running) {
    await vscode.window.showErrorMessage('forklint: the server is not running. Run "forklint: Restart server".');
    return;
  }
  try {
    await running.sendRequest(ExecuteCommandRequest.type, {
      command: APPLY_FIX_ALL,
      arguments: [{ uri: editor.document.uri.toString() }],
    });
  } catch (error) {
    await vscode.window.showErrorMessage(`forklint: fix all failed: ${errorText(error)}`);
  }
}

function errorText(error: unknown): string {
  if (error instanceof Error) {
    const code = (error as NodeJS.ErrnoException).code;
    if (code === 'ENOENT') {
      return 'the executable was not found';
    }
    if (code === 'EPIPE' || /EPIPE|Connection (got )?(closed|disposed)/i.test(error.message)) {
      return 'it exited at once';
    }
    return error.message;
  }
  return String(error);
}

function log(message: string): void {
  outputChannel?.appendLine(`[${new Date().toISOString()}] ${message}`);
}
