// Runs `stella-lsp serve` as a child process and speaks LSP over its stdin and stdout.
package dev.stella.intellij.lsp

import com.intellij.execution.configurations.GeneralCommandLine
import com.redhat.devtools.lsp4ij.server.OSProcessStreamConnectionProvider
import java.io.File

class StellaConnectionProvider(binary: File) : OSProcessStreamConnectionProvider() {
    init {
        commandLine = GeneralCommandLine(binary.path, "serve")
            .withParentEnvironmentType(GeneralCommandLine.ParentEnvironmentType.CONSOLE)
    }
}
