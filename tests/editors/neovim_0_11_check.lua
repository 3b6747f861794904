-- Loads editors/neovim/stella.lua ($EDITOR_TEST_CONFIG), written for Neovim 0.11, in an
-- older Neovim for tests/editor_neovim.rs: vim.lsp.config, vim.lsp.enable and
-- vim.filetype.add are stand-ins that record what they are given. Writes to $EDITOR_TEST_OUT
-- the server config (its functions as their type), the servers enabled, and the filetype
-- each sample path gets from the recorded patterns, matched as vim.filetype does (anchored;
-- against the whole path when the pattern has a `/`, else against the file name).
local recorded = { configs = {}, enabled = {}, filetypes = {} }
local patterns = {}

vim.lsp.config = function(name, config)
  local shown = {}
  for key, value in pairs(config) do
    shown[key] = type(value) == "function" and "<function>" or value
  end
  recorded.configs[name] = shown
end
vim.lsp.enable = function(name)
  table.insert(recorded.enabled, name)
end
vim.filetype.add = function(filetypes)
  for pattern, filetype in pairs(filetypes.pattern or {}) do
    patterns[pattern] = filetype
  end
  for _, key in ipairs({ "extension", "filename" }) do
    if filetypes[key] ~= nil then
      recorded.unexpected = key
    end
  end
end

dofile(os.getenv("EDITOR_TEST_CONFIG"))

local samples = {
  "/work/app/.stella.yaml",
  "/work/app/.stella.yml",
  "/work/app/deploy.stella.yaml",
  "/home/jane/.stella/config.yaml",
  "/home/jane/.stella/config.yml",
  "/work/app/stella.yaml",
  "/work/app/config.yaml",
  "/work/app/.stella.yaml.orig",
}
for _, path in ipairs(samples) do
  local tail = path:match("[^/]*$")
  local found = vim.NIL
  for pattern, filetype in pairs(patterns) do
    local subject = pattern:find("/", 1, true) and path or tail
    if subject:match("^" .. pattern .. "$") then
      found = filetype
    end
  end
  recorded.filetypes[path] = found
end

local out = assert(io.open(os.getenv("EDITOR_TEST_OUT"), "w"))
out:write(vim.fn.json_encode(recorded))
out:close()
vim.cmd("qall!")
