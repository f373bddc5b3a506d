---@brief
---
--- https://github.com/forklint/forklint
---
--- forklint finds Python thread, fork and import-time hazards. `forklint server` is its
--- language server: diagnostics that follow imports across files, quick fixes, `# noqa`
--- actions and a fix-all source action (`source.fixAll.forklint`).
---
--- Install the `forklint` executable so that it is on your `PATH`.
---
--- Settings (all optional; a key that is set overrides the project's `[tool.forklint]`
--- / `forklint.toml` the way the matching `forklint check` flag does):
--- ```lua
--- vim.lsp.config('forklint', {
---   settings = {
---     forklint = {
---       select = { 'FL1', 'FL203' },  -- or { 'ALL' }
---       extendSelect = { 'FL3' },
---       ignore = { 'FL106' },
---       targetVersion = 'py312',       -- py38 … py314
---       platforms = { 'linux', 'macos' },
---       showInfo = true,
---     },
---   },
--- })
--- ```
--- The same table can be given as `init_options` (keys at top level).
---
--- Drop this file into `~/.config/nvim/lsp/` (or any `lsp/` directory on 'runtimepath')
--- and call `vim.lsp.enable('forklint')` (Neovim 0.11+).

---@type vim.lsp.Config
return {
  cmd = { 'forklint', 'server' },
  filetypes = { 'python' },
  root_markers = { 'pyproject.toml', 'forklint.toml', '.forklint.toml', '.git' },
}
