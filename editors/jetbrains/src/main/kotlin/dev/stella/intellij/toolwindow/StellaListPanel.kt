// One panel of the tool window: a table of the objects one custom request returns, a Refresh
// button, and a line saying why the list is empty when the request failed.
package dev.stella.intellij.toolwindow

import com.google.gson.JsonElement
import com.intellij.openapi.application.ApplicationManager
import com.intellij.openapi.project.Project
import com.intellij.ui.components.JBLabel
import com.intellij.ui.components.JBScrollPane
import com.intellij.ui.table.JBTable
import com.redhat.devtools.lsp4ij.LanguageServerManager
import dev.stella.intellij.lsp.StellaServerApi
import org.eclipse.lsp4j.jsonrpc.ResponseErrorException
import java.awt.BorderLayout
import java.awt.FlowLayout
import java.util.concurrent.CompletableFuture
import java.util.concurrent.CompletionException
import javax.swing.JButton
import javax.swing.JPanel
import javax.swing.table.DefaultTableModel

class StellaListPanel(
    private val project: Project,
    private val columns: List<String>,
    private val request: (StellaServerApi) -> CompletableFuture<JsonElement>,
) : JPanel(BorderLayout()) {
    private val model = object : DefaultTableModel(columns.toTypedArray(), 0) {
        override fun isCellEditable(row: Int, column: Int): Boolean = false
    }
    private val status = JBLabel()

    init {
        val refreshButton = JButton("Refresh")
        refreshButton.addActionListener { refresh() }
        val top = JPanel(FlowLayout(FlowLayout.LEFT))
        top.add(refreshButton)
        top.add(status)
        add(top, BorderLayout.NORTH)
        add(JBScrollPane(JBTable(model)), BorderLayout.CENTER)
    }

    /** Asks the server again; the table changes when the answer comes, on the UI thread. */
    fun refresh() {
        status.text = "Loading…"
        LanguageServerManager.getInstance(project)
            .getLanguageServer(SERVER_ID)
            .thenCompose { item ->
                val server = item?.server as? StellaServerApi
                    ?: return@thenCompose CompletableFuture.failedFuture<JsonElement>(
                        IllegalStateException("the Stella language server is not running; open a .stella.yaml"),
                    )
                request(server)
            }
            .whenComplete { result, error ->
                ApplicationManager.getApplication().invokeLater {
                    if (error != null) show(emptyList(), message(error)) else show(rows(result), "")
                }
            }
    }

    private fun rows(result: JsonElement?): List<List<String>> {
        val items = result?.takeIf { it.isJsonArray }?.asJsonArray ?: return emptyList()
        return items.filter { it.isJsonObject }.map { item ->
            val fields = item.asJsonObject
            columns.map { column ->
                fields.get(column)?.takeIf { it.isJsonPrimitive }?.asString.orEmpty()
            }
        }
    }

    private fun show(rows: List<List<String>>, message: String) {
        model.rowCount = 0
        rows.forEach { model.addRow(it.toTypedArray()) }
        status.text = message
    }

    private fun message(error: Throwable): String {
        val cause = if (error is CompletionException) error.cause ?: error else error
        return when (cause) {
            // The server's one sentence (code -32803).
            is ResponseErrorException -> cause.responseError.message
            else -> cause.message ?: cause.toString()
        }
    }

    companion object {
        /** The `id` of the server in plugin.xml. */
        const val SERVER_ID = "stella"
    }
}
