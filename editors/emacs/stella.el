;;; stella.el --- stella-lsp through eglot for .stella.yaml files  -*- lexical-binding: t; -*-

;; Load this file from your init file (or paste it there).  Files named .stella.yaml,
;; .stella.yml (or ending so) and ~/.stella/config.yaml open in `stella-yaml-mode', which
;; keeps yaml-mode's highlighting when yaml-mode is installed, and eglot starts
;; `stella-lsp serve' for them.  Its code actions (M-x eglot-code-actions) carry out the
;; server's commands.

;;; Code:

(require 'eglot)

(if (require 'yaml-mode nil t)
    (define-derived-mode stella-yaml-mode yaml-mode "Stella"
      "Major mode for Stella's .stella.yaml files, served by stella-lsp.")
  (define-derived-mode stella-yaml-mode prog-mode "Stella"
    "Major mode for Stella's .stella.yaml files, served by stella-lsp."
    (setq-local comment-start "# ")
    (setq-local comment-start-skip "#+\\s-*")))

(add-to-list 'auto-mode-alist '("\\.stella\\.ya?ml\\'" . stella-yaml-mode))
(add-to-list 'auto-mode-alist '("/\\.stella/config\\.ya?ml\\'" . stella-yaml-mode))
(add-to-list 'eglot-server-programs '(stella-yaml-mode . ("stella-lsp" "serve")))
(add-hook 'stella-yaml-mode-hook #'eglot-ensure)

(provide 'stella)
;;; stella.el ends here
