// The custom requests of stella-lsp that the tool window uses, as LSP4J requests. Their
// shapes are in the README's "Custom requests"; results stay JSON, read by the panels.
package dev.stella.intellij.lsp

import com.google.gson.JsonElement
import org.eclipse.lsp4j.jsonrpc.services.JsonRequest
import org.eclipse.lsp4j.services.LanguageServer
import java.util.concurrent.CompletableFuture

interface StellaServerApi : LanguageServer {
    /** `stella/releases`: the orchestrator's releases, newest first. */
    @JsonRequest("stella/releases")
    fun releases(params: ReleasesParams): CompletableFuture<JsonElement>

    /** `stella/deployments`: the orchestrator's deployments. */
    @JsonRequest("stella/deployments")
    fun deployments(params: DeploymentsParams): CompletableFuture<JsonElement>
}

/** The params of `stella/releases`; null fields are left out. */
data class ReleasesParams(
    val name: String? = null,
    val env: String? = null,
    val status: String? = null,
    val limit: Int? = null,
)

/** The params of `stella/deployments`; null fields are left out. */
data class DeploymentsParams(
    val env: String? = null,
    val limit: Int? = null,
)
