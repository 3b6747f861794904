-- stella-lsp for Neovim 0.7 to 0.10: add this to your init.lua (or source the file from it).
-- The server starts with the first .stella.yaml, .stella.yml or ~/.stella/config.yaml you
-- open and serves every such buffer; code lenses are drawn above their lines and refreshed
-- as you edit (run one with :lua vim.lsp.codelens.run()).
local stella_client_id = nil

local function stella_attach(args)
  if stella_client_id == nil or vim.lsp.client_is_stopped(stella_client_id) then
    stella_client_id = vim.lsp.start_client({
      name = "stella",
      cmd = { "stella-lsp", "serve" },
      root_dir = vim.fn.fnamemodify(args.file, ":p:h"),
      on_attach = function(_, bufnr)
        vim.lsp.codelens.refresh()
        vim.api.nvim_create_autocmd({ "BufEnter", "CursorHold", "InsertLeave" }, {
          buffer = bufnr,
          callback = function()
            vim.lsp.codelens.refresh()
          end,
        })
      end,
    })
  end
  if stella_client_id ~= nil then
    vim.lsp.buf_attach_client(args.buf, stella_client_id)
  end
end

vim.api.nvim_create_autocmd({ "BufReadPost", "BufNewFile" }, {
  group = vim.api.nvim_create_augroup("stella_lsp", { clear = true }),
  pattern = { "*.stella.yaml", "*.stella.yml", "*/.stella/config.yaml", "*/.stella/config.yml" },
  callback = stella_attach,
})
