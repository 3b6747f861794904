// The plugin's settings: where the stella-lsp binary is. An application service (registered
// in plugin.xml), never a project one, so that a project someone else wrote can never choose
// the program the IDE runs.
package dev.stella.intellij.settings

import com.intellij.openapi.application.ApplicationManager
import com.intellij.openapi.components.PersistentStateComponent
import com.intellij.openapi.components.State
import com.intellij.openapi.components.Storage

@State(name = "StellaSettings", storages = [Storage("stella-lsp.xml")])
class StellaSettings : PersistentStateComponent<StellaSettings.Values> {
    /** What is stored; an empty path means `stella-lsp` on `PATH`. */
    class Values {
        var binaryPath: String = ""
    }

    private var values = Values()

    var binaryPath: String
        get() = values.binaryPath
        set(path) {
            values.binaryPath = path.trim()
        }

    override fun getState(): Values = values

    override fun loadState(state: Values) {
        values = state
    }

    companion object {
        fun getInstance(): StellaSettings =
            ApplicationManager.getApplication().getService(StellaSettings::class.java)
    }
}
