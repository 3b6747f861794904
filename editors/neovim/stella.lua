-- stella-lsp for Neovim 0.11 or later: add this to your init.lua.
-- These files get the filetype yaml.stella, which keeps YAML's highlighting; code lenses are
-- drawn above their lines and refreshed as you edit (run one with vim.lsp.codelens.run()).
vim.filetype.add({
  pattern = {
    [".*%.stella%.ya?ml"] = "yaml.stella",
    [".*/%.stella/config%.ya?ml"] = "yaml.stella",
  },
})

vim.lsp.config("stella", {
  cmd = { "stella-lsp", "serve" },
  filetypes = { "yaml.stella" },
  root_markers = { ".stella.yaml", ".stella.yml", ".git" },
  on_attach = function(_, bufnr)
    vim.lsp.codelens.refresh({ bufnr = bufnr })
    vim.api.nvim_create_autocmd({ "BufEnter", "CursorHold", "InsertLeave" }, {
      buffer = bufnr,
      callback = function()
        vim.lsp.codelens.refresh({ bufnr = bufnr })
      end,
    })
  end,
})
vim.lsp.enable("stella")
