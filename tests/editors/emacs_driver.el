;;; emacs_driver.el --- drives eglot for tests/editor_emacs.rs  -*- lexical-binding: t; -*-

;; Run as `emacs --batch -Q -l emacs_driver.el': activates the installed packages (Debian's
;; elpa-eglot), loads editors/emacs/stella.el ($EDITOR_TEST_CONFIG), opens the .stella.yaml
;; ($EDITOR_TEST_FILE) as a user would, lets eglot start the server, waits (bounded) for
;; flymake's diagnostics, and writes them as JSON to $EDITOR_TEST_OUT: 0-based lines and
;; columns in characters, severity 1 to 3, the LSP code, source and message, and the text
;; flymake shows.  A failed wait is written as `error'.

;;; Code:

(require 'package)
(require 'json)
(require 'subr-x)

(setq package-directory-list
      (append package-directory-list '("/usr/share/emacs/site-lisp/elpa")))
(package-initialize)

(defconst stella-driver-wait 20 "Seconds any one wait may take.")
(defvar stella-driver-result nil "What the driver saw, as an alist for `json-encode'.")

(defun stella-driver-finish ()
  "Write the result and leave Emacs."
  (with-temp-file (getenv "EDITOR_TEST_OUT")
    (insert (json-encode stella-driver-result)))
  (kill-emacs 0))

(defun stella-driver-wait-for (what condition)
  "Run the event loop until CONDITION holds; on time out, write WHAT as the error."
  (let ((deadline (+ (float-time) stella-driver-wait)))
    (while (and (not (funcall condition)) (< (float-time) deadline))
      (accept-process-output nil 0.05))
    (unless (funcall condition)
      (push (cons 'error (format "timed out waiting for %s" what)) stella-driver-result)
      (stella-driver-finish))))

(defun stella-driver-position (position)
  "POSITION as (line . column), both 0-based, the column in characters."
  (save-excursion
    (goto-char position)
    (cons (1- (line-number-at-pos)) (current-column))))

(defun stella-driver-diagnostic (diagnostic)
  "One flymake DIAGNOSTIC as an alist, with the LSP fields eglot keeps."
  (let* ((start (stella-driver-position (flymake-diagnostic-beg diagnostic)))
         (end (stella-driver-position (flymake-diagnostic-end diagnostic)))
         (lsp (get-text-property 0 'eglot--lsp-diag (flymake-diagnostic-text diagnostic)))
         (lsp (or lsp (alist-get 'eglot-lsp-diag (flymake-diagnostic-data diagnostic))))
         (type (flymake-diagnostic-type diagnostic)))
    `((line . ,(car start))
      (column . ,(cdr start))
      (end_line . ,(car end))
      (end_column . ,(cdr end))
      (severity . ,(pcase type
                     ('eglot-error 1) (:error 1)
                     ('eglot-warning 2) (:warning 2)
                     (_ 3)))
      (code . ,(and lsp (plist-get lsp :code)))
      (source . ,(and lsp (plist-get lsp :source)))
      (message . ,(and lsp (plist-get lsp :message)))
      (shown . ,(flymake-diagnostic-text diagnostic)))))

(load (getenv "EDITOR_TEST_CONFIG") nil t)
(find-file (getenv "EDITOR_TEST_FILE"))
(push (cons 'mode (symbol-name major-mode)) stella-driver-result)
;; `eglot-ensure' starts the server after the command that opened the file.
(run-hooks 'post-command-hook)
(stella-driver-wait-for "eglot to manage the buffer" (lambda () (bound-and-true-p eglot--managed-mode)))
(flymake-start)
(stella-driver-wait-for "diagnostics" (lambda () (flymake-diagnostics)))
(push (cons 'diagnostics
            (vconcat (mapcar #'stella-driver-diagnostic
                             (sort (flymake-diagnostics)
                                   (lambda (a b)
                                     (< (flymake-diagnostic-beg a) (flymake-diagnostic-beg b)))))))
      stella-driver-result)
(stella-driver-finish)

;;; emacs_driver.el ends here
