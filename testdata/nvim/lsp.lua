-- Neovim as an LSP client of gopls through sockscope wrap, for
-- wrap_nvim_lsp_test.go: nvim --headless --clean -c 'luafile lsp.lua' main.go
-- with SOCKSCOPE (empty: gopls alone), RECORDING, GOPLS and OUT in the
-- environment; with REMOTE, gopls -remote=unix;REMOTE instead (a forwarder
-- to the daemon, or what stands in for it, listening there). It asks
-- hover, definition, completion, rename and formatting as vim.lsp.buf
-- would, stops the client (shutdown, exit), and writes one line per
-- answer to OUT: name, a tab, the answer.
local out = {}
local function put(k, v) table.insert(out, k .. "\t" .. tostring(v)) end
local cmd = {os.getenv("SOCKSCOPE"), "wrap", "-w", os.getenv("RECORDING"), os.getenv("GOPLS")}
if os.getenv("SOCKSCOPE") == "" then cmd = {os.getenv("GOPLS")} end -- gopls alone, to compare
if (os.getenv("REMOTE") or "") ~= "" then cmd = {os.getenv("GOPLS"), "-remote=unix;" .. os.getenv("REMOTE")} end
local caps = vim.tbl_deep_extend("force", vim.lsp.protocol.make_client_capabilities(), {
  workspace = {configuration = true, didChangeWatchedFiles = {dynamicRegistration = true}},
})
local exited = false
local id = vim.lsp.start_client({name = "gopls", cmd = cmd, root_dir = vim.fn.getcwd(), capabilities = caps,
  on_exit = function(code, signal) put("exit", code .. " " .. signal); exited = true end})
local buf = vim.api.nvim_get_current_buf()
vim.lsp.buf_attach_client(buf, id)
local client = vim.lsp.get_client_by_id(id)
vim.wait(30000, function() return client.initialized end, 20)
local uri = vim.uri_from_bufnr(buf)
local function req(method, params)
  local r = vim.lsp.buf_request_sync(buf, method, params, 30000)
  return r and r[id] and r[id].result
end
local at = {textDocument = {uri = uri}, position = {line = 10, character = 8}} -- Greet in main
local h = req("textDocument/hover", at)
put("hover", h and h.contents and h.contents.value:match("Greet returns a greeting") ~= nil)
local d = req("textDocument/definition", at)
put("definition", d and d[1] and d[1].range.start.line)
local c = req("textDocument/completion", {textDocument = {uri = uri}, position = {line = 11, character = 5}})
put("completion", c and c.items and #c.items > 0)
local edits = 0
local rn = req("textDocument/rename", vim.tbl_extend("force", at, {newName = "Hello"})) or {}
for _, dc in ipairs(rn.documentChanges or {}) do edits = edits + #(dc.edits or {}) end
for _, es in pairs(rn.changes or {}) do edits = edits + #es end
put("rename", edits)
local f = req("textDocument/formatting", {textDocument = {uri = uri}, options = {tabSize = 4, insertSpaces = false}})
put("formatting", f and #f)
client.stop()
vim.wait(30000, function() return exited end, 20)
vim.fn.writefile(out, os.getenv("OUT"))
vim.cmd("qa!")
