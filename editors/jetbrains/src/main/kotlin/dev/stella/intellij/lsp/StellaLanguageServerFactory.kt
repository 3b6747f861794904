// The `stella` server of plugin.xml: starts stella-lsp when its binary is there, and leaves
// the server off with a notification (never an exception) when it is not.
package dev.stella.intellij.lsp

import com.intellij.openapi.project.Project
import com.redhat.devtools.lsp4ij.LanguageServerEnablementSupport
import com.redhat.devtools.lsp4ij.LanguageServerFactory
import com.redhat.devtools.lsp4ij.server.StreamConnectionProvider
import org.eclipse.lsp4j.services.LanguageServer

class StellaLanguageServerFactory : LanguageServerFactory, LanguageServerEnablementSupport {
    override fun createConnectionProvider(project: Project): StreamConnectionProvider {
        // LSP4IJ asks isEnabled first, so the binary is there unless it vanished since.
        val binary = StellaBinary.find() ?: java.io.File("stella-lsp")
        return StellaConnectionProvider(binary)
    }

    override fun getServerInterface(): Class<out LanguageServer> = StellaServerApi::class.java

    override fun isEnabled(project: Project): Boolean {
        if (StellaBinary.find() != null) {
            return true
        }
        StellaBinary.notifyMissing(project)
        return false
    }

    override fun setEnabled(enabled: Boolean, project: Project) {
        // Whether the server runs follows from the binary; the LSP console's switch is kept
        // by LSP4IJ itself.
    }
}
