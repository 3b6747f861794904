// Finds the stella-lsp binary: the path from the settings, else `stella-lsp` on PATH. When
// there is none, says so once in a notification; the server then stays off.
package dev.stella.intellij.lsp

import com.intellij.execution.configurations.PathEnvironmentVariableUtil
import com.intellij.notification.NotificationAction
import com.intellij.notification.NotificationGroupManager
import com.intellij.notification.NotificationType
import com.intellij.openapi.options.ShowSettingsUtil
import com.intellij.openapi.project.Project
import dev.stella.intellij.settings.StellaConfigurable
import dev.stella.intellij.settings.StellaSettings
import java.io.File
import java.util.concurrent.atomic.AtomicBoolean

object StellaBinary {
    private const val PROGRAM = "stella-lsp"

    private val notified = AtomicBoolean(false)

    /** The binary to run, or null when the settings name none that exists and PATH has none. */
    fun find(): File? {
        val configured = StellaSettings.getInstance().binaryPath
        if (configured.isNotEmpty()) {
            return File(configured).takeIf { it.isFile && it.canExecute() }
        }
        return PathEnvironmentVariableUtil.findInPath(PROGRAM)
    }

    /** Tells the user, once per IDE session, that the binary is missing and where to set it. */
    fun notifyMissing(project: Project) {
        if (!notified.compareAndSet(false, true)) {
            return
        }
        val configured = StellaSettings.getInstance().binaryPath
        val content = if (configured.isEmpty()) {
            "No $PROGRAM on PATH. Install it with <code>cargo install --locked --path .</code> in the " +
                "stella-lsp repository, or set its path in Settings | Tools | Stella, then " +
                "reopen the file."
        } else {
            "$configured is not an executable file. Set the path of $PROGRAM in " +
                "Settings | Tools | Stella, then reopen the file."
        }
        NotificationGroupManager.getInstance()
            .getNotificationGroup("Stella")
            .createNotification("Stella language server not started", content, NotificationType.WARNING)
            .addAction(NotificationAction.createSimpleExpiring("Open settings") {
                ShowSettingsUtil.getInstance().showSettingsDialog(project, StellaConfigurable::class.java)
            })
            .notify(project)
    }

    /** After the settings change, a missing binary is worth a new notification. */
    fun forgetNotification() {
        notified.set(false)
    }
}
