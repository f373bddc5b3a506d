// `npm test`: where the extension looks for forklint (src/executable.ts, compiled to out/).
'use strict';

const assert = require('node:assert/strict');
const fs = require('node:fs');
const os = require('node:os');
const path = require('node:path');
const test = require('node:test');

const { environmentDirs, resolveExecutable } = require('../out/executable');

function executable(file) {
  fs.mkdirSync(path.dirname(file), { recursive: true });
  fs.writeFileSync(file, '#!/bin/sh\n');
  fs.chmodSync(file, 0o755);
  return file;
}

test('the workspace virtual environment comes before PATH', () => {
  const root = fs.mkdtempSync(path.join(os.tmpdir(), 'forklint-vscode-'));
  const workspace = path.join(root, 'project');
  const onPath = executable(path.join(root, 'usr', 'bin', 'forklint'));
  const env = { PATH: path.dirname(onPath) };
  // Without a virtual environment: PATH.
  assert.equal(resolveExecutable('forklint', [workspace], env, 'linux', root), onPath);
  // `venv/bin`, then `.venv/bin`, win over PATH, `.venv` first.
  const venv = executable(path.join(workspace, 'venv', 'bin', 'forklint'));
  assert.equal(resolveExecutable('forklint', [workspace], env, 'linux', root), venv);
  const dotVenv = executable(path.join(workspace, '.venv', 'bin', 'forklint'));
  assert.equal(resolveExecutable('forklint', [workspace], env, 'linux', root), dotVenv);
  // The active VIRTUAL_ENV wins over both.
  const active = executable(path.join(root, 'active', 'bin', 'forklint'));
  const withActive = { ...env, VIRTUAL_ENV: path.join(root, 'active') };
  assert.equal(resolveExecutable('forklint', [workspace], withActive, 'linux', root), active);
  // An explicit path is taken as it is.
  assert.equal(resolveExecutable(onPath, [workspace], withActive, 'linux', root), onPath);
  // A venv without forklint is skipped.
  fs.rmSync(path.join(workspace, '.venv'), { recursive: true });
  fs.rmSync(path.join(workspace, 'venv'), { recursive: true });
  fs.mkdirSync(path.join(workspace, '.venv', 'bin'), { recursive: true });
  assert.equal(resolveExecutable('forklint', [workspace], env, 'linux', root), onPath);
  assert.equal(resolveExecutable('nothing-here', [workspace], env, 'linux', root), undefined);
});

test('Windows environments keep their tools in Scripts', () => {
  assert.deepEqual(environmentDirs(['C:\\w'], { VIRTUAL_ENV: 'C:\\v' }, 'win32'), [
    path.join('C:\\v', 'Scripts'),
    path.join('C:\\w', '.venv', 'Scripts'),
    path.join('C:\\w', 'venv', 'Scripts'),
  ]);
});
