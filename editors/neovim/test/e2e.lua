-- End-to-end test of `forklint server` in Neovim 0.11, through editors/neovim/lsp/forklint.lua.
--
--   nvim --headless --clean -l editors/neovim/test/e2e.lua <forklint-binary> <project-dir>
--
-- <project-dir> is a writable copy of tests/lsp/project/ (app.py, launch.py, util.py). Nothing
-- is written to disk: every edit stays in a buffer. Prints each step as it passes; on any
-- failure prints a message to stderr and exits 1. The whole run is bounded by GLOBAL_TIMEOUT_MS.

local STEP_TIMEOUT_MS = 20000
local GLOBAL_TIMEOUT_MS = 120000
local started = vim.uv.hrtime()

local log_path = vim.lsp.get_log_path()
local log_offset = vim.fn.getfsize(log_path)
if log_offset < 0 then
  log_offset = 0
end

local function elapsed()
  return string.format('%.1fs', (vim.uv.hrtime() - started) / 1e9)
end

--- The lines Neovim's LSP log gained during this run (the server's stderr is logged there).
local function log_tail()
  local file = io.open(log_path, 'r')
  if not file then
    return ''
  end
  file:seek('set', log_offset)
  local text = file:read('*a') or ''
  file:close()
  if #text > 6000 then
    text = '…' .. text:sub(-6000)
  end
  return text
end

local passed = 0

local function fail(message)
  io.stderr:write(('e2e FAIL [%s]: %s\n'):format(elapsed(), message))
  local tail = log_tail()
  if tail ~= '' then
    io.stderr:write(('--- new lines of %s ---\n%s\n'):format(log_path, tail))
  end
  io.stderr:flush()
  io.stdout:write(('e2e: %d passed, 1 failed\n'):format(passed))
  io.stdout:flush()
  os.exit(1)
end

local function pass(message)
  passed = passed + 1
  io.stdout:write(('ok [%s] %s\n'):format(elapsed(), message))
  io.stdout:flush()
end

--- The first line of a diagnostic's message (the rest is forklint's `help:` text).
local function first_line(text)
  return (tostring(text):match('^[^\n]*'))
end

-- A hard bound on the whole run, whatever blocks.
local global_timer = assert(vim.uv.new_timer())
global_timer:start(GLOBAL_TIMEOUT_MS, 0, function()
  io.stderr:write(('e2e FAIL: global timeout of %d ms reached\n'):format(GLOBAL_TIMEOUT_MS))
  io.stderr:flush()
  io.stdout:write(('e2e: %d passed, 1 failed\n'):format(passed))
  io.stdout:flush()
  os.exit(1)
end)

-- Turns an error raised anywhere below into a failure.
local function run(body)
  local ok, err = xpcall(body, debug.traceback)
  if not ok then
    fail('error: ' .. tostring(err))
  end
end

run(function()
  ---------------------------------------------------------------- arguments and config
  local binary, project = _G.arg[1], _G.arg[2]
  if not binary or not project then
    fail('usage: nvim --headless --clean -l editors/neovim/test/e2e.lua <forklint-binary> <project-dir>')
  end
  if vim.fn.has('nvim-0.11') ~= 1 then
    fail('Neovim 0.11 or later is required, this is ' .. tostring(vim.version()))
  end
  binary = vim.fn.fnamemodify(binary, ':p')
  project = vim.fs.normalize(vim.fn.fnamemodify(project, ':p')):gsub('/$', '')
  if vim.fn.executable(binary) ~= 1 then
    fail('not an executable: ' .. binary)
  end
  for _, name in ipairs({ 'app.py', 'util.py', 'launch.py' }) do
    if vim.fn.filereadable(project .. '/' .. name) ~= 1 then
      fail('the project directory has no ' .. name .. ': ' .. project)
    end
  end

  -- editors/neovim/, from this script's own path.
  local script = vim.fn.fnamemodify(debug.getinfo(1, 'S').source:sub(2), ':p')
  local neovim_dir = vim.fs.dirname(vim.fs.dirname(vim.fs.normalize(script)))
  local config_file = neovim_dir .. '/lsp/forklint.lua'
  local spec = dofile(config_file)
  if type(spec) ~= 'table' or type(spec.cmd) ~= 'table' or spec.cmd[2] ~= 'server' then
    fail(config_file .. ' does not return a config table with cmd = { …, "server" }')
  end
  if not vim.tbl_contains(spec.filetypes or {}, 'python') then
    fail(config_file .. ' does not list the python filetype')
  end

  -- Load it the way Neovim does (an lsp/forklint.lua on 'runtimepath'), overriding only the
  -- executable. The fixture has no root marker (pyproject.toml, forklint.toml, .git), so the
  -- root is given explicitly: otherwise a .git above the temp copy could become the root.
  vim.opt.runtimepath:prepend(neovim_dir)
  local exit_info
  vim.lsp.config('forklint', {
    cmd = { binary, 'server' },
    root_dir = project,
    on_exit = function(code, signal)
      exit_info = { code = code, signal = signal }
    end,
  })
  local resolved = vim.lsp.config.forklint
  if not resolved or not vim.deep_equal(resolved.filetypes, spec.filetypes)
    or not vim.deep_equal(resolved.root_markers, spec.root_markers)
  then
    fail('vim.lsp.config did not pick up ' .. config_file .. ' from the runtimepath')
  end
  vim.lsp.enable('forklint')
  pass(('config loaded from %s; cmd = %s server'):format(config_file, binary))

  ---------------------------------------------------------------- helpers
  local function wait_for(what, condition)
    local ok = vim.wait(STEP_TIMEOUT_MS, function()
      if exit_info then
        return true
      end
      return condition()
    end, 50)
    if exit_info then
      fail(('the server exited (code %s, signal %s) while waiting for %s'):format(
        tostring(exit_info.code), tostring(exit_info.signal), what))
    end
    if not ok then
      fail(('timed out after %d ms waiting for %s'):format(STEP_TIMEOUT_MS, what))
    end
  end

  local function diagnostics(bufnr, code)
    local found = {}
    for _, d in ipairs(vim.diagnostic.get(bufnr)) do
      if d.source == 'forklint' and (code == nil or d.code == code) then
        table.insert(found, d)
      end
    end
    return found
  end

  local function describe(bufnr)
    local lines = {}
    for _, d in ipairs(vim.diagnostic.get(bufnr)) do
      table.insert(lines, ('  line %d: [%s %s] %s'):format(
        d.lnum + 1, tostring(d.source), tostring(d.code), first_line(d.message)))
    end
    return #lines == 0 and '  (no diagnostics)' or table.concat(lines, '\n')
  end

  local function open(name)
    vim.cmd.edit(vim.fn.fnameescape(project .. '/' .. name))
    local bufnr = vim.api.nvim_get_current_buf()
    if vim.bo[bufnr].filetype ~= 'python' then
      fail(name .. ' did not get the python filetype')
    end
    return bufnr
  end

  ---------------------------------------------------------------- (a) FL101 on app.py
  local app = open('app.py')
  local client
  wait_for('the forklint client to attach to app.py', function()
    client = vim.lsp.get_clients({ name = 'forklint', bufnr = app })[1]
    return client ~= nil and client.initialized
  end)
  pass(('server started and attached (root %s, position encoding %s)'):format(
    tostring(client.root_dir), tostring(client.offset_encoding)))

  local function app_fl101()
    for _, d in ipairs(diagnostics(app, 'FL101')) do
      if d.lnum == 3 then
        return d
      end
    end
  end
  local ok_a = vim.wait(STEP_TIMEOUT_MS, function()
    return exit_info ~= nil or app_fl101() ~= nil
  end, 50)
  if not ok_a or exit_info then
    fail('no FL101 (source forklint) on app.py line 4; app.py has:\n' .. describe(app))
  end
  pass('(a) FL101 on app.py line 4: ' .. first_line(app_fl101().message))

  ---------------------------------------------------------------- (b) edit util.py in its buffer
  local util = open('util.py')
  local lines = vim.api.nvim_buf_get_lines(util, 0, -1, false)
  local start_line
  for i, line in ipairs(lines) do
    if line:match('^%s*worker%.start%(%)%s*$') then
      start_line = i
    end
  end
  if not start_line then
    fail('util.py has no `worker.start()` line:\n' .. table.concat(lines, '\n'))
  end
  local indent = lines[start_line]:match('^(%s*)')
  vim.api.nvim_buf_set_lines(util, start_line - 1, start_line, false, { indent .. 'pass' })
  if vim.fn.filereadable(project .. '/util.py') ~= 1
    or table.concat(vim.fn.readfile(project .. '/util.py'), '\n'):find('worker.start()', 1, true) == nil
  then
    fail('util.py changed on disk; the edit must stay in the buffer')
  end
  pass(('(b) util.py line %d `worker.start()` replaced by `pass` in the buffer (not saved)'):format(start_line))

  wait_for('FL101 on app.py to disappear after the edit of util.py', function()
    return app_fl101() == nil
  end)
  if not vim.api.nvim_buf_is_loaded(app) then
    fail('the app.py buffer was unloaded, so its diagnostics prove nothing')
  end
  pass('(b) FL101 on app.py is gone (app.py was not edited)')

  ---------------------------------------------------------------- (c) FL203 quick fix on launch.py
  local launch = open('launch.py')
  local fl203
  wait_for('FL203 (source forklint) on launch.py', function()
    fl203 = diagnostics(launch, 'FL203')[1]
    return fl203 ~= nil
  end)
  pass(('(c) FL203 on launch.py line %d: %s'):format(fl203.lnum + 1, first_line(fl203.message)))

  local lsp_diagnostic = fl203.user_data and fl203.user_data.lsp
  if type(lsp_diagnostic) ~= 'table' or type(lsp_diagnostic.range) ~= 'table' then
    fail('the FL203 diagnostic carries no LSP range (user_data.lsp)')
  end
  local response, request_error = client:request_sync('textDocument/codeAction', {
    textDocument = { uri = vim.uri_from_bufnr(launch) },
    range = lsp_diagnostic.range,
    context = { diagnostics = { lsp_diagnostic }, only = { 'quickfix' }, triggerKind = 1 },
  }, STEP_TIMEOUT_MS, launch)
  if not response then
    fail('textDocument/codeAction failed: ' .. tostring(request_error))
  end
  if response.err then
    fail('textDocument/codeAction returned an error: ' .. vim.inspect(response.err))
  end
  local actions = response.result or {}
  local action
  local titles = {}
  for _, candidate in ipairs(actions) do
    table.insert(titles, tostring(candidate.title))
    if not action and type(candidate.title) == 'string' and candidate.title:find('start_new_session', 1, true) then
      action = candidate
    end
  end
  if not action then
    fail('no quick fix mentioning start_new_session; got: ' .. vim.inspect(titles))
  end
  if action.kind ~= nil and action.kind ~= 'quickfix' and not vim.startswith(action.kind, 'quickfix.') then
    fail(('the action has kind %q, not quickfix'):format(action.kind))
  end
  if not action.edit and action.data ~= nil then
    -- The server may leave the edit to codeAction/resolve (Neovim advertises resolveSupport).
    local resolved_response = client:request_sync('codeAction/resolve', action, STEP_TIMEOUT_MS, launch)
    if resolved_response and resolved_response.result then
      action = resolved_response.result
    end
  end
  if type(action.edit) ~= 'table' then
    fail('the quick fix "' .. action.title .. '" has no edit: ' .. vim.inspect(action))
  end
  pass(('(c) quick fix offered: "%s" (%d action(s))'):format(action.title, #actions))

  -- The positions are in the encoding the server chose at initialize (utf-16 unless it picked
  -- utf-8 or utf-32 from Neovim's offer); the fixture is ASCII, where they all agree.
  vim.lsp.util.apply_workspace_edit(action.edit, client.offset_encoding or 'utf-16')
  local fixed_line = vim.api.nvim_buf_get_lines(launch, fl203.lnum, fl203.lnum + 1, false)[1] or ''
  if not fixed_line:find('start_new_session=True', 1, true) or fixed_line:find('preexec_fn', 1, true) then
    fail('after the quick fix, launch.py line ' .. (fl203.lnum + 1) .. ' is: ' .. fixed_line)
  end
  pass('(c) quick fix applied: ' .. vim.trim(fixed_line))

  wait_for('FL203 on launch.py to disappear after the fix', function()
    return diagnostics(launch, 'FL203')[1] == nil
  end)
  pass('(c) FL203 on launch.py is gone')

  ---------------------------------------------------------------- (d) shut down
  local client_id = client.id
  client:stop()
  local stopped = vim.wait(STEP_TIMEOUT_MS, function()
    return exit_info ~= nil and client:is_stopped() and vim.lsp.get_client_by_id(client_id) == nil
  end, 50)
  if not stopped then
    fail('the server did not exit within ' .. STEP_TIMEOUT_MS .. ' ms of shutdown/exit')
  end
  if exit_info.code ~= 0 then
    fail(('the server exited with code %s (signal %s) after shutdown/exit'):format(
      tostring(exit_info.code), tostring(exit_info.signal)))
  end
  pass('(d) server shut down and exited with code 0')
end)

global_timer:stop()
io.stdout:write(('e2e passed in %s\ne2e: %d passed, 0 failed\n'):format(elapsed(), passed))
io.stdout:flush()
os.exit(0)
