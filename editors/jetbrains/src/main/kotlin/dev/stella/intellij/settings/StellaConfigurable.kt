// Settings > Tools > Stella: the path of the stella-lsp binary.
package dev.stella.intellij.settings

import com.intellij.openapi.fileChooser.FileChooserDescriptorFactory
import com.intellij.openapi.options.Configurable
import com.intellij.openapi.ui.TextFieldWithBrowseButton
import com.intellij.util.ui.FormBuilder
import javax.swing.JComponent

class StellaConfigurable : Configurable {
    private var pathField: TextFieldWithBrowseButton? = null

    override fun getDisplayName(): String = "Stella"

    override fun createComponent(): JComponent {
        val field = TextFieldWithBrowseButton()
        field.addBrowseFolderListener(
            "stella-lsp Binary",
            "The stella-lsp program; leave empty to use the one on PATH",
            null,
            FileChooserDescriptorFactory.createSingleFileNoJarsDescriptor(),
        )
        pathField = field
        return FormBuilder.createFormBuilder()
            .addLabeledComponent("stella-lsp binary (empty: from PATH):", field)
            .addComponentFillVertically(javax.swing.JPanel(), 0)
            .panel
    }

    override fun isModified(): Boolean =
        pathField?.text?.trim() != StellaSettings.getInstance().binaryPath

    override fun apply() {
        StellaSettings.getInstance().binaryPath = pathField?.text.orEmpty()
        dev.stella.intellij.lsp.StellaBinary.forgetNotification()
    }

    override fun reset() {
        pathField?.text = StellaSettings.getInstance().binaryPath
    }

    override fun disposeUIResources() {
        pathField = null
    }
}
