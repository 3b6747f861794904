/**
 * The entry point: activates for `*.stella.yaml`, `*.stella.yml` and the global config,
 * starts the server and sets up the views and commands. Activation failures are shown,
 * since VS Code itself says nothing about them.
 */

import * as vscode from 'vscode';

import * as commands from './commands';
import * as config from './config';
import { Ctx } from './ctx';
import { ReleaseTree } from './releases';
import { StatusItem } from './status';

let ctx: Ctx | undefined;

export async function activate(context: vscode.ExtensionContext): Promise<void> {
    const owner = new Ctx(context.extensionPath);
    ctx = owner;
    const tree = new ReleaseTree(owner);
    const status = new StatusItem(owner);
    const logs = new commands.DeploymentLogs(owner);
    context.subscriptions.push(
        owner,
        owner.output,
        tree,
        status,
        logs,
        vscode.window.registerTreeDataProvider('stellaReleases', tree),
        ...commands.register(owner, tree, status, logs),
        vscode.workspace.onDidChangeConfiguration(async (event) => {
            if (config.RESTART_SETTINGS.some((setting) => event.affectsConfiguration(setting))) {
                owner.output.info('settings changed; restarting the server');
                await owner.restart();
            }
        }),
    );

    try {
        await owner.start();
    } catch (error) {
        const message = `Stella could not start: ${String(error)}`;
        owner.output.error(message);
        void vscode.window.showErrorMessage(message);
    }
}

export async function deactivate(): Promise<void> {
    const owner = ctx;
    ctx = undefined;
    await owner?.stop();
}
