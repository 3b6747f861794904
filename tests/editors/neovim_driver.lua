-- Drives Neovim's own LSP client (0.7, as Debian ships it) for tests/editor_neovim.rs:
-- sources editors/neovim/stella-0.7.lua, opens a .stella.yaml, waits for its diagnostics,
-- asks the server to poll the orchestrator (so that lens titles carry its state), reads the
-- code lenses, runs "Validate with server" as a user would (vim.lsp.codelens.run on the
-- `release:` line, picking it from vim.ui.select), and writes what it saw as JSON to
-- $EDITOR_TEST_OUT. Every wait is bounded; a failed wait is written as `error` and ends
-- Neovim.
local buffer_file = os.getenv("EDITOR_TEST_FILE")
local config_file = os.getenv("EDITOR_TEST_CONFIG")
local out_file = os.getenv("EDITOR_TEST_OUT")
local WAIT_MS = 20000

local result = { messages = {}, notifications = {}, picked_from = {} }

local function finish()
  local out = assert(io.open(out_file, "w"))
  out:write(vim.fn.json_encode(result))
  out:close()
  vim.cmd("qall!")
end

local function wait_for(what, condition)
  if not vim.wait(WAIT_MS, condition, 50) then
    result.error = "timed out waiting for " .. what
    finish()
    return false
  end
  return true
end

-- Messages from the server and from Neovim itself, kept instead of shown.
vim.lsp.handlers["window/showMessage"] = function(_, params)
  table.insert(result.messages, { type = params.type, message = params.message })
end
vim.notify = function(message, level)
  table.insert(result.notifications, { level = level, message = message })
end

-- Counts the code lens answers, to know when a refresh asked for below has come back.
local codelens = require("vim.lsp.codelens")
local lens_answers = 0
local on_codelens = codelens.on_codelens
codelens.on_codelens = function(...)
  on_codelens(...)
  lens_answers = lens_answers + 1
end

-- Diagnostics with columns in characters (Neovim keeps bytes), in order.
local function diagnostics(buffer)
  local found = {}
  for _, diagnostic in ipairs(vim.diagnostic.get(buffer)) do
    local function column(line_number, byte)
      local line = vim.api.nvim_buf_get_lines(buffer, line_number, line_number + 1, false)[1] or ""
      return (vim.str_utfindex(line, math.min(byte, #line)))
    end
    table.insert(found, {
      line = diagnostic.lnum,
      column = column(diagnostic.lnum, diagnostic.col),
      end_line = diagnostic.end_lnum,
      end_column = column(diagnostic.end_lnum, diagnostic.end_col),
      severity = diagnostic.severity,
      code = diagnostic.code,
      source = diagnostic.source,
      message = diagnostic.message,
    })
  end
  table.sort(found, function(a, b)
    if a.line ~= b.line then
      return a.line < b.line
    end
    return a.column < b.column
  end)
  return found
end

local function lenses(buffer)
  local found = {}
  for _, lens in ipairs(codelens.get(buffer)) do
    table.insert(found, {
      range = lens.range,
      title = lens.command and lens.command.title,
      command = lens.command and lens.command.command,
      arguments = lens.command and lens.command.arguments,
    })
  end
  return found
end

local function message_starting(prefix)
  for _, message in ipairs(result.messages) do
    if vim.startswith(message.message, prefix) then
      return true
    end
  end
  return false
end

dofile(config_file)
vim.cmd("edit " .. vim.fn.fnameescape(buffer_file))
local buffer = vim.api.nvim_get_current_buf()

local function run()
  if not wait_for("diagnostics", function()
    return #vim.diagnostic.get(buffer) > 0
  end) then
    return
  end
  if not wait_for("the first code lenses", function()
    return lens_answers > 0
  end) then
    return
  end
  result.diagnostics = diagnostics(buffer)

  local client = vim.lsp.get_client_by_id(next(vim.lsp.buf_get_clients(buffer)))
  result.client_name = client.name
  client.request("workspace/executeCommand", { command = "stella.refresh" }, function() end, buffer)
  if not wait_for("the refresh", function()
    return message_starting("Refreshed")
  end) then
    return
  end

  local answers_before = lens_answers
  codelens.refresh()
  if not wait_for("the lenses after the refresh", function()
    return lens_answers > answers_before
  end) then
    return
  end
  result.lenses = lenses(buffer)

  -- As a user would: the cursor on the `release:` line, then pick the lens by its title.
  for _, lens in ipairs(codelens.get(buffer)) do
    if lens.command and lens.command.command == "stella.validate" then
      vim.api.nvim_win_set_cursor(0, { lens.range.start.line + 1, 0 })
    end
  end
  vim.ui.select = function(items, options, on_choice)
    local chosen = nil
    for _, item in ipairs(items) do
      local title = options.format_item(item)
      table.insert(result.picked_from, title)
      if title == "Validate with server" then
        chosen = item
      end
    end
    on_choice(chosen)
  end
  local messages_before = #result.messages
  codelens.run()
  if not wait_for("the validation's outcome", function()
    return #result.messages > messages_before
  end) then
    return
  end
  if not wait_for("the orchestrator's findings", function()
    for _, diagnostic in ipairs(vim.diagnostic.get(buffer)) do
      if diagnostic.code == "server-validation" then
        return true
      end
    end
    return false
  end) then
    return
  end
  result.diagnostics_after = diagnostics(buffer)
  finish()
end

run()
