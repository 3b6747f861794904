// The Stella tool window: a Releases and a Deployments panel, each a table filled by one of
// the server's custom requests.
package dev.stella.intellij.toolwindow

import com.intellij.openapi.project.DumbAware
import com.intellij.openapi.project.Project
import com.intellij.openapi.wm.ToolWindow
import com.intellij.openapi.wm.ToolWindowFactory
import com.intellij.ui.content.ContentFactory
import dev.stella.intellij.lsp.DeploymentsParams
import dev.stella.intellij.lsp.ReleasesParams

class StellaToolWindowFactory : ToolWindowFactory, DumbAware {
    override fun createToolWindowContent(project: Project, toolWindow: ToolWindow) {
        val releases = StellaListPanel(
            project,
            columns = listOf("id", "name", "version", "status", "created_at"),
            request = { server -> server.releases(ReleasesParams(limit = 50)) },
        )
        val deployments = StellaListPanel(
            project,
            columns = listOf("id", "release_id", "environment_id", "strategy", "status", "started_at"),
            request = { server -> server.deployments(DeploymentsParams(limit = 50)) },
        )

        val contents = ContentFactory.getInstance()
        toolWindow.contentManager.addContent(contents.createContent(releases, "Releases", false))
        toolWindow.contentManager.addContent(contents.createContent(deployments, "Deployments", false))
        releases.refresh()
        deployments.refresh()
    }
}
