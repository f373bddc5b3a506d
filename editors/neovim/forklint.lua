-- forklint language server for Neovim 0.11 or later.
--
-- Put this in your init.lua (or source it from there). It needs the `forklint` executable on
-- your PATH; otherwise change `cmd` to its full path, e.g. { '/path/to/forklint', 'server' }.
-- No plugin is required. If you use nvim-lspconfig, or have copied lsp/forklint.lua from this
-- directory into ~/.config/nvim/lsp/, `vim.lsp.enable('forklint')` alone is enough: the table
-- below only adds settings on top of that file.

-- The settings. Every key is optional; a key that is set overrides the project's configuration
-- (`[tool.forklint]` in pyproject.toml, forklint.toml, .forklint.toml) the way the matching
-- `forklint check` flag does. Leave a key out to let the configuration file decide.
-- Keep at least one key in the table: Neovim sends an empty Lua table as a JSON array (`[]`);
-- use `vim.empty_dict()` for "no settings".
local forklint_settings = {
  -- select = { 'FL1', 'FL203' },       -- run exactly these rules (codes, prefixes, or { 'ALL' })
  -- extendSelect = { 'FL3' },          -- run these rules too
  -- ignore = { 'FL106' },              -- do not run these rules
  -- targetVersion = 'py312',           -- py38 … py314
  -- platforms = { 'linux', 'macos' },  -- any of 'linux', 'macos', 'windows'
  showInfo = false, -- true: also show info-level findings
}

vim.lsp.config('forklint', {
  cmd = { 'forklint', 'server' },
  filetypes = { 'python' },
  root_markers = { 'pyproject.toml', 'forklint.toml', '.forklint.toml', '.git' },
  -- Read when the server starts (keys at top level) ...
  init_options = forklint_settings,
  -- ... and by the server's `workspace/configuration` requests for the section `forklint`,
  -- which it repeats after `workspace/didChangeConfiguration`.
  settings = { forklint = forklint_settings },
})
vim.lsp.enable('forklint')

-- Fix all: apply every safe fix in the current buffer.
--   :lua vim.lsp.buf.code_action({ context = { only = { 'source.fixAll.forklint' } }, apply = true })
-- or through the server's command:
--   :lua vim.lsp.get_clients({ name = 'forklint' })[1]:exec_cmd({ title = 'Fix all',
--        command = 'forklint.applyFixAll', arguments = { { uri = vim.uri_from_bufnr(0) } } })
-- To change a setting while the server runs, edit the client's settings and notify it:
--   local client = vim.lsp.get_clients({ name = 'forklint' })[1]
--   client.settings.forklint.ignore = { 'FL106' }
--   client:notify('workspace/didChangeConfiguration', { settings = client.settings })

-- Without vim.lsp.config/enable (one buffer, e.g. from an ftplugin/python.lua):
--
-- vim.lsp.start({
--   name = 'forklint',
--   cmd = { 'forklint', 'server' },
--   root_dir = vim.fs.root(0, { 'pyproject.toml', 'forklint.toml', '.forklint.toml', '.git' }),
--   init_options = { showInfo = false },
--   settings = { forklint = { showInfo = false } },
-- })
