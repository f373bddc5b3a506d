// Where the extension looks for the forklint executable: pure functions of the workspace, the
// environment and the file system, kept apart from `vscode` so that `npm test` can run them.

import * as fs from 'fs';
import * as path from 'path';

/**
 * The virtual environments' script directories a bare command is looked for in before PATH,
 * as a project's own tools are found first: the active `VIRTUAL_ENV`, then `.venv` and `venv`
 * in each workspace folder (`bin`, or `Scripts` on Windows).
 */
export function environmentDirs(
  folders: readonly string[],
  env: NodeJS.ProcessEnv,
  platform: NodeJS.Platform,
): string[] {
  const scripts = platform === 'win32' ? 'Scripts' : 'bin';
  const dirs: string[] = [];
  if (env.VIRTUAL_ENV) {
    dirs.push(path.join(env.VIRTUAL_ENV, scripts));
  }
  for (const folder of folders) {
    for (const name of ['.venv', 'venv']) {
      dirs.push(path.join(folder, name, scripts));
    }
  }
  return dirs;
}

/**
 * The absolute path of `command`, or undefined when there is none. A bare name is looked up in
 * the workspace's virtual environments ([environmentDirs]), then on PATH; `~`,
 * `${workspaceFolder}` and relative paths (against the first workspace folder) are expanded.
 */
export function resolveExecutable(
  command: string,
  folders: readonly string[],
  env: NodeJS.ProcessEnv,
  platform: NodeJS.Platform,
  home: string,
): string | undefined {
  const folder = folders[0];
  let expanded = command;
  if (expanded === '~' || expanded.startsWith('~/') || expanded.startsWith('~\\')) {
    expanded = path.join(home, expanded.slice(1));
  }
  if (folder !== undefined) {
    expanded = expanded.replace(/\$\{workspaceFolder\}/g, folder);
  }
  const hasSeparator = expanded.includes('/') || (platform === 'win32' && expanded.includes('\\'));
  if (path.isAbsolute(expanded) || hasSeparator) {
    const candidate = path.isAbsolute(expanded) || folder === undefined
      ? path.resolve(expanded)
      : path.resolve(folder, expanded);
    return withExtensions(candidate, env, platform).find((f) => isExecutableFile(f, platform));
  }
  const searchPath = (env.PATH ?? '').split(path.delimiter).filter((dir) => dir !== '');
  for (const dir of [...environmentDirs(folders, env, platform), ...searchPath]) {
    const found = withExtensions(path.join(dir, expanded), env, platform)
      .find((f) => isExecutableFile(f, platform));
    if (found !== undefined) {
      return found;
    }
  }
  return undefined;
}

function withExtensions(file: string, env: NodeJS.ProcessEnv, platform: NodeJS.Platform): string[] {
  if (platform !== 'win32' || path.extname(file) !== '') {
    return [file];
  }
  const extensions = (env.PATHEXT ?? '.COM;.EXE;.BAT;.CMD').split(';').filter((e) => e !== '');
  return [file, ...extensions.map((extension) => file + extension.toLowerCase())];
}

function isExecutableFile(file: string, platform: NodeJS.Platform): boolean {
  try {
    if (!fs.statSync(file).isFile()) {
      return false;
    }
    if (platform !== 'win32') {
      fs.accessSync(file, fs.constants.X_OK);
    }
    return true;
  } catch {
    return false;
  }
}
